// A Collection: one tenant's set of chunks with its RocksDB records, its vector index, its BM25 index and an
// in-memory copy of every chunk's metadata for filtering. Writes go to RocksDB (WAL) first, then to the
// in-memory indexes; the vector index is a snapshot on disk plus a change log replayed on open, so nothing
// acknowledged is lost on kill -9. Thread-safe: searches run concurrently, writes are serialized.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/embedder.h"
#include "nlohmann/json.hpp"
#include "retrieval/bm25_index.h"
#include "retrieval/document_store.h"
#include "retrieval/metadata_schema.h"
#include "retrieval/types.h"
#include "retrieval/vector_index.h"

namespace catena::retrieval {

struct CollectionSpec {
  int dimension = 0;
  Metric metric = Metric::kCosine;
  // FAISS index-factory string (HNSW<M> runs on hnswlib); see VectorIndex.
  std::string index = "Flat";
  // Where vectors are searched: kCuda keeps them on CUDA device 0 too (Flat only; see VectorIndexSpec).
  IndexDevice device = IndexDevice::kCpu;
  // Embedder for documents and queries without vectors; empty = none (vectors must be given).
  std::string embedder;
  std::vector<FieldSpec> fields;
  // Keep a BM25 index of the text (sparse and hybrid search).
  bool sparse = true;
  // Language of the BM25 analyzer (stop words).
  std::string language = "en";
};

nlohmann::json SpecToJson(const CollectionSpec& spec);
absl::StatusOr<CollectionSpec> SpecFromJson(const nlohmann::json& json);

struct CollectionInfo {
  std::string tenant;
  std::string name;
  // Unique for the life of the database; prefixes every key of the collection.
  int64_t uid = 0;
  CollectionSpec spec;
  int64_t created_at_unix_ms = 0;
};

enum class SearchMode { kDense, kSparse, kHybrid };
enum class Fusion { kReciprocalRank, kWeighted };

struct SearchQuery {
  std::string text;
  std::vector<float> vector;
  int k = 10;
  SearchMode mode = SearchMode::kDense;
  std::string filter;
  int ef_search = 0;
  int nprobe = 0;
  Fusion fusion = Fusion::kReciprocalRank;
  float dense_weight = 0.5f;
  // 0 = off; otherwise MMR with this lambda over 4k candidates.
  float mmr_lambda = 0;
  bool with_highlights = true;
};

struct SearchResult {
  StoredDocument document;
  float score = 0;
  std::optional<float> dense_score;
  std::optional<float> sparse_score;
  std::vector<std::string> highlights;
};

class Collection {
 public:
  // Opens the collection's state: loads the vector index snapshot from `index_dir` and replays the change
  // log, or rebuilds the index from the stored documents. `embedder` may be null.
  static absl::StatusOr<std::unique_ptr<Collection>> Open(const RetrievalDb* db, CollectionInfo info,
                                                          std::shared_ptr<const inference::Embedder> embedder,
                                                          std::filesystem::path index_dir);

  const CollectionInfo& info() const { return info_; }
  int64_t document_count() const;
  bool index_trained() const;
  const MetadataSchema& schema() const { return schema_; }

  // Inserts or replaces documents by id (empty ids get a generated one); documents without an embedding
  // are embedded. Returns the ids in input order. The field names in errors are "documents[i].<field>".
  absl::StatusOr<std::vector<std::string>> Upsert(std::vector<StoredDocument> documents);
  // Deletes by id (unknown ids ignored) or by filter; returns how many were deleted.
  absl::StatusOr<int64_t> DeleteIds(std::span<const std::string> ids);
  absl::StatusOr<int64_t> DeleteWhere(std::string_view filter);
  // Found documents in request order; missing ids skipped.
  absl::StatusOr<std::vector<StoredDocument>> Get(std::span<const std::string> ids) const;
  absl::StatusOr<std::vector<SearchResult>> Search(const SearchQuery& query) const;

  // The record ingestion keeps per source (content hash, chunk ids), if any.
  absl::StatusOr<std::optional<nlohmann::json>> SourceRecord(const std::string& source) const;
  absl::Status PutSourceRecord(const std::string& source, const nlohmann::json& record);

  // Saves the vector index and trims the change log up to it.
  absl::Status Snapshot();
  // Removes every record of the collection (into `batch`) and its index files.
  absl::Status Drop(rocksdb::WriteBatch& batch);

 private:
  Collection(const RetrievalDb* db, CollectionInfo info, std::shared_ptr<const inference::Embedder> embedder,
             std::filesystem::path index_dir, MetadataSchema schema);

  absl::Status LoadState();
  absl::Status ReplayChanges(int64_t after_seq);
  absl::Status EmbedMissing(std::vector<StoredDocument>& documents) const;
  absl::StatusOr<std::vector<float>> QueryVector(const SearchQuery& query) const;
  absl::StatusOr<std::vector<ScoredId>> DenseSearch(std::span<const float> vector, int k, const SearchQuery& query,
                                                    const IdFilter* filter) const;
  absl::StatusOr<int64_t> DeleteNumbers(std::span<const int64_t> numbers);
  absl::StatusOr<StoredDocument> ReadDocument(int64_t number) const;
  std::vector<SearchResult> Diversify(std::vector<SearchResult> candidates, std::span<const float> query_vector,
                                      const SearchQuery& query) const;
  // Forgets cached filter results (after a write).
  void ClearFilterCache();
  // Stages the counters record into `batch`.
  void StageCounters(rocksdb::WriteBatch& batch) const;
  std::filesystem::path IndexPath() const;

  const RetrievalDb* db_;
  const CollectionInfo info_;
  const std::shared_ptr<const inference::Embedder> embedder_;
  const std::filesystem::path index_dir_;
  const MetadataSchema schema_;
  const std::string prefix_;

  mutable std::shared_mutex mutex_;  // guards everything below; writes exclusive
  std::unique_ptr<VectorIndex> index_;
  std::unique_ptr<Bm25Index> bm25_;
  // Metadata by document number; null for numbers not in use.
  std::vector<nlohmann::json> metadata_;
  int64_t live_documents_ = 0;
  // Document numbers passing recently used selective filters, keyed by expression; cleared by every write.
  mutable std::mutex filter_cache_mutex_;
  mutable std::map<std::string, std::shared_ptr<const IdBitset>, std::less<>> filter_cache_;
  int64_t next_number_ = 0;
  int64_t next_seq_ = 1;
};

}  // namespace catena::retrieval
