// TokenBitmask: one bit per vocabulary id, the set of tokens a grammar allows at one decoding step. Produced by
// GrammarMatcher (json_schema_grammar.h) and read by samplers. A plain value type; not synchronized.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace catena::inference {

class TokenBitmask {
 public:
  TokenBitmask() = default;
  // All bits clear.
  explicit TokenBitmask(int32_t size) : size_(size), words_((static_cast<size_t>(size) + 63) / 64, 0) {}

  int32_t size() const { return size_; }
  // False for ids out of range.
  bool Test(int32_t id) const {
    return id >= 0 && id < size_ && ((words_[static_cast<size_t>(id) >> 6] >> (id & 63)) & 1) != 0;
  }
  // `id` must be in range.
  void Set(int32_t id) { words_[static_cast<size_t>(id) >> 6] |= uint64_t{1} << (id & 63); }
  // `id` must be in range.
  void Clear(int32_t id) { words_[static_cast<size_t>(id) >> 6] &= ~(uint64_t{1} << (id & 63)); }
  // Number of set bits.
  int32_t Count() const {
    int32_t count = 0;
    for (uint64_t word : words_) count += std::popcount(word);
    return count;
  }
  // Bitwise or with a mask of the same size.
  void Or(const TokenBitmask& other) {
    for (size_t i = 0; i < words_.size() && i < other.words_.size(); ++i) words_[i] |= other.words_[i];
  }
  const std::vector<uint64_t>& words() const { return words_; }
  bool operator==(const TokenBitmask& other) const = default;

 private:
  int32_t size_ = 0;
  std::vector<uint64_t> words_;
};

// Sets the logits of tokens not in `mask` to -infinity (ids beyond the mask too); all-allowed words are skipped.
inline void ApplyTokenMask(const TokenBitmask& mask, std::span<float> logits) {
  const std::vector<uint64_t>& words = mask.words();
  const float minus_infinity = -std::numeric_limits<float>::infinity();
  const size_t covered = std::min(logits.size(), static_cast<size_t>(mask.size()));
  for (size_t base = 0; base < covered; base += 64) {
    const uint64_t word = words[base / 64];
    const size_t end = std::min(covered, base + 64);
    if (word == ~uint64_t{0}) continue;
    if (word == 0) {
      std::fill(logits.begin() + base, logits.begin() + end, minus_infinity);
      continue;
    }
    for (uint64_t blocked = ~word; blocked != 0; blocked &= blocked - 1) {
      const size_t i = base + static_cast<size_t>(std::countr_zero(blocked));
      if (i < end) logits[i] = minus_infinity;
    }
  }
  std::fill(logits.begin() + covered, logits.end(), minus_infinity);
}

}  // namespace catena::inference
