// BpeMerger: the merge loop shared by the SentencePiece-style and byte-level BPE models: a priority queue over
// adjacent symbol pairs ordered by (rank, position), so equal ranks merge left to right. WordCache memoizes
// the ids of short words. BpeMerger is immutable after construction; WordCache locks internally.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace catena::inference {

class BpeMerger {
 public:
  // Declares that the pair (left, right) merges into `merged` with priority `rank` (lower merges first).
  // A pair added twice keeps its first (better) rank.
  void AddMerge(int32_t left, int32_t right, int32_t merged, int32_t rank);
  // Applies all merges to `symbols` in place.
  void Merge(std::vector<int32_t>& symbols) const;
  size_t size() const { return merges_.size(); }

 private:
  struct MergeResult {
    int32_t rank;
    int32_t merged;
  };
  static uint64_t Key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  const MergeResult* Find(int32_t left, int32_t right) const;

  absl::flat_hash_map<uint64_t, MergeResult> merges_;
};

class WordCache {
 public:
  static constexpr size_t kMaxWordBytes = 128;
  static constexpr size_t kMaxEntries = 1 << 17;

  // Appends the cached ids of `word` to `ids` and returns true, or returns false.
  bool Lookup(std::string_view word, std::vector<int32_t>& ids) const;
  // Remembers `word_ids` (the cache is cleared when it fills up).
  void Insert(std::string_view word, const std::vector<int32_t>& word_ids) const;

 private:
  mutable std::mutex mutex_;
  mutable absl::flat_hash_map<std::string, std::vector<int32_t>> entries_;
};

}  // namespace catena::inference
