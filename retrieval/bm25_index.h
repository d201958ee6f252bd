// Bm25Index: a persistent Okapi BM25 keyword index over document numbers. Each document's term frequencies
// are one RocksDB record under the caller's key prefix; Open rebuilds the in-memory inverted index from them.
// Writes are staged in the caller's WriteBatch (so they commit atomically with the document store).
// Thread-safe: Search runs concurrently; Add, Remove and DropAll take an exclusive lock.
#pragma once

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "retrieval/text_analyzer.h"
#include "retrieval/types.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace catena::retrieval {

struct Bm25Options {
  float k1 = 1.2f;  // Term-frequency saturation (>= 0).
  float b = 0.75f;  // Length normalization, in [0, 1].
  AnalyzerOptions analyzer;
};

// Largest k Search accepts.
inline constexpr int kMaxBm25K = 10000;

class Bm25Index {
 public:
  // Loads every document record under `key_prefix` (non-empty) in `cf` of `db` and builds the index. `db` and
  // `cf` must outlive the index. INVALID_ARGUMENT for bad options, DATA_LOSS for undecodable records.
  static absl::StatusOr<std::unique_ptr<Bm25Index>> Open(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                                                         std::string key_prefix, Bm25Options options);

  // Indexes `text` as document `doc` and stages its record in `batch`; ALREADY_EXISTS when `doc` is present
  // (Remove it first to replace it). The in-memory index changes at once: the caller must write `batch`.
  absl::Status Add(int64_t doc, std::string_view text, rocksdb::WriteBatch& batch);

  // Removes `doc` and stages the deletion of its record; OK (no-op) when `doc` is unknown.
  absl::Status Remove(int64_t doc, rocksdb::WriteBatch& batch);

  // The top `k` (1..kMaxBm25K) documents for `query`, by descending BM25 score, ties by smaller doc; only
  // documents with a positive score that `filter` (when given) contains. Empty when no query term is known.
  absl::StatusOr<std::vector<ScoredId>> Search(std::string_view query, int k, const IdFilter* filter = nullptr) const;

  // Number of indexed documents.
  size_t document_count() const;

  // Forgets every document and stages the deletion of every record under the key prefix; an error only
  // when `batch` refuses the range deletion (the in-memory index is then unchanged).
  absl::Status DropAll(rocksdb::WriteBatch& batch);

  // Whether `doc` is indexed.
  bool Contains(int64_t doc) const;

 private:
  struct Posting {
    uint32_t slot;  // Dense document slot (index into docs_).
    uint32_t tf;
  };
  struct DocInfo {
    int64_t doc = -1;                // -1 marks a free slot.
    uint32_t length = 0;             // Number of terms.
    std::vector<uint32_t> term_ids;  // Distinct terms, for Remove.
  };

  Bm25Index(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, std::string key_prefix, Bm25Options options);

  absl::Status Load();
  std::string DocKey(int64_t doc) const;
  // Adds a document's (term, tf) list to the in-memory index; caller holds the exclusive lock.
  void Insert(int64_t doc, uint32_t length, const std::vector<std::pair<std::string, uint32_t>>& terms);
  void Erase(int64_t doc);
  uint32_t TermId(const std::string& term);
  // BM25 score of every slot for the distinct `terms`; caller holds the lock.
  std::vector<float> Accumulate(const std::vector<std::string>& terms) const;

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* cf_;
  const std::string key_prefix_;
  const Bm25Options options_;
  const TextAnalyzer analyzer_;

  mutable std::shared_mutex mutex_;
  absl::flat_hash_map<std::string, uint32_t> term_ids_;
  std::vector<std::vector<Posting>> postings_;  // By term id, sorted by slot.
  std::vector<DocInfo> docs_;                   // By slot.
  std::vector<float> lengths_;                  // By slot: docs_[slot].length, packed for scoring.
  std::vector<uint32_t> free_slots_;
  absl::flat_hash_map<int64_t, uint32_t> slots_;  // doc -> slot.
  uint64_t total_length_ = 0;
};

}  // namespace catena::retrieval
