// TokenBitmask: one bit per vocabulary id, the set of tokens a grammar allows at one decoding step. Produced by
// GrammarMatcher (json_schema_grammar.h) and read by samplers. A plain value type; not synchronized.
#pragma once

#include <bit>
#include <cstdint>
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

}  // namespace catena::inference
