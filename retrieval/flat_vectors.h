// FlatVectorStore: the exact copy of every vector an index holds (contiguous rows + id->row map with
// swap-remove, plus an int8 code per row) and the exact top-k scans over it (single query: bounded int8 scan,
// then exact dot products for the rows it cannot rule out; batches: BLAS sgemm). Every VectorIndex
// keeps one: it is the Flat index itself, the fallback while IVF/PQ is untrained or a filter is very
// selective, and the source of exact distances for re-ranking. Not synchronized: the owning index locks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <span>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "retrieval/int8_rows.h"
#include "retrieval/types.h"

namespace catena::retrieval {

// Scales `vector` to unit length (left unchanged when its norm is 0).
void NormalizeInPlace(std::span<float> vector);

// Orders best first: higher score, then lower id (a total order, so results are deterministic).
bool BetterScored(const ScoredId& a, const ScoredId& b);

// Bounds on one row's score.
struct ScoreRange {
  float lower = 0;
  float upper = 0;
};

class FlatVectorStore {
 public:
  FlatVectorStore(int dimension, Metric metric) : dimension_(dimension), metric_(metric), codes_(dimension) {}

  int dimension() const { return dimension_; }
  Metric metric() const { return metric_; }
  size_t size() const { return ids_.size(); }
  bool Contains(int64_t id) const { return rows_.contains(id); }
  // The storage position of `id`, or nullopt when absent.
  std::optional<size_t> RowOf(int64_t id) const {
    auto it = rows_.find(id);
    return it == rows_.end() ? std::nullopt : std::optional<size_t>(it->second);
  }
  // The row ids in storage order and the rows themselves (size() * dimension floats).
  std::span<const int64_t> ids() const { return ids_; }
  std::span<const float> data() const { return data_; }

  // Inserts or replaces `id` with `row` (dimension floats, already normalized for cosine).
  void Put(int64_t id, std::span<const float> row);
  // Removes `id` by moving the last row into its place; returns whether it was present.
  bool Erase(int64_t id);
  // The stored row of `id`, or an empty span.
  std::span<const float> Row(int64_t id) const;

  // Exact top-k over all rows (passing `filter` when non-null) for one prepared query: the int8 codes bound
  // every row's score, and only rows whose upper bound reaches the k-th best lower bound are scored exactly
  // (one plain scan of the floats instead when the bounds keep more than a quarter of the rows).
  std::vector<ScoredId> Search(const float* query, int k, const IdFilter* filter) const;
  // Search() for `count` contiguous prepared queries, scored block-wise with one sgemm per block.
  std::vector<std::vector<ScoredId>> SearchBatch(const float* queries, size_t count, int k,
                                                 const IdFilter* filter) const;
  // Exact top-k among `ids` only (absent ids skipped); used for selective filters and re-ranking.
  std::vector<ScoredId> SearchAmong(const float* query, int k, std::span<const int64_t> ids) const;

  // Binary (de)serialization of ids and rows; Read replaces the contents.
  void Write(std::ostream& out) const;
  absl::Status Read(std::istream& in);

 private:
  // Turns inner products into scores (negated squared L2 for kL2) for rows [begin, begin + n).
  void FinishScores(const float* query_norm2, size_t begin, size_t n, float* scores) const;
  float ScoreRow(const float* query, float query_norm2, size_t row) const;
  // Exact top-k from one matrix-vector product over every row (Search's fallback when bounds prune little).
  std::vector<ScoredId> ScanAll(const float* query, float query_norm2, int k, const IdFilter* filter) const;
  // Lower and upper bounds on row `row`'s score from bounds on its dot product with the query.
  ScoreRange ToScoreRange(const DotBounds& dot, float query_norm2, size_t row) const;
  // Search's first pass (coarse bounds) over rows [begin, end): returns the rows passing `filter` whose upper
  // bound reaches the k-th best lower bound among them (a superset of them, in row order) and leaves the best k
  // lower bounds among them (fewer when fewer pass) in `lowers`.
  std::vector<size_t> CoarsePass(const Int8Query& query, float query_norm2, int k, const IdFilter* filter, size_t begin,
                                 size_t end, std::vector<float>* lowers) const;

  int dimension_;
  Metric metric_;
  std::vector<float> data_;
  std::vector<float> norms2_;  // squared norm per row (for L2)
  Int8Rows codes_;             // in step with data_: one code per row
  std::vector<int64_t> ids_;
  std::unordered_map<int64_t, size_t> rows_;
};

}  // namespace catena::retrieval

#include <filesystem>

#include "absl/synchronization/mutex.h"
#include "retrieval/vector_index.h"

namespace catena::retrieval {

// The exact index ("Flat") and the base of the approximate ones: owns the lock, the spec and the exact
// store (guarded by one reader/writer mutex), validates and normalizes input, and routes searches: very selective
// filter -> exact scan of the filter's ids; approximate structure not ready -> exact scan; otherwise SearchApprox().
class FlatIndex : public VectorIndex {
 public:
  explicit FlatIndex(const VectorIndexSpec& spec) : spec_(spec), store_(spec.dimension, spec.metric) {}

  absl::Status Upsert(std::span<const int64_t> ids, std::span<const float> vectors) final;
  absl::Status Remove(std::span<const int64_t> ids) final;
  absl::StatusOr<std::vector<ScoredId>> Search(std::span<const float> query,
                                               const IndexSearchParams& params) const final;
  absl::StatusOr<std::vector<std::vector<ScoredId>>> SearchBatch(std::span<const float> queries,
                                                                 const IndexSearchParams& params) const final;
  std::optional<std::vector<float>> Vector(int64_t id) const final;
  size_t size() const final;
  bool trained() const override { return true; }
  absl::Status Save(const std::filesystem::path& path) const final;

  // Replaces the contents with what Save() wrote to `path` (called by VectorIndex::Load on a fresh index).
  absl::Status LoadFrom(const std::filesystem::path& path);

 protected:
  // Hooks for approximate structures, called under the exclusive lock after the store changed.
  virtual absl::Status AddApprox(std::span<const int64_t> ids, std::span<const float> rows, size_t replaced) {
    return absl::OkStatus();
  }
  virtual absl::Status RemoveApprox(std::span<const int64_t> ids) { return absl::OkStatus(); }
  // Called under the shared lock; only when ApproxReady().
  virtual absl::StatusOr<std::vector<ScoredId>> SearchApprox(const float* query,
                                                             const IndexSearchParams& params) const {
    return store_.Search(query, params.k, params.filter);
  }
  // Called under the shared lock for a batch of prepared queries when ApproxReady() and the filter (if any) is
  // not selective; the default runs SearchApprox() per query.
  virtual absl::StatusOr<std::vector<std::vector<ScoredId>>> SearchBatchApprox(const float* queries, size_t count,
                                                                               const IndexSearchParams& params) const;
  virtual bool ApproxReady() const { return false; }
  // Called under the exclusive lock after LoadFrom() replaced the store (before any sidecar is read).
  virtual absl::Status Reloaded() { return absl::OkStatus(); }
  // Sidecar files: written next to the main file, read back after the store was loaded.
  virtual std::string SidecarSuffix() const { return ""; }
  virtual absl::Status SaveSidecar(const std::filesystem::path& path) const { return absl::OkStatus(); }
  virtual absl::Status LoadSidecar(const std::filesystem::path& path, bool saved_trained) { return absl::OkStatus(); }

  // Whether `filter` passes so few ids that scanning just those beats the approximate search.
  bool Selective(const IdFilter& filter, int k) const;
  // Exact re-ranking of `candidates` (best params.k of them, filter applied) with the stored rows.
  std::vector<ScoredId> Rerank(const float* query, std::span<const int64_t> candidates, int k) const;

  const VectorIndexSpec spec_;
  // absl::Mutex rather than std::shared_mutex: glibc rwlocks prefer readers, so a steady stream of
  // searches could starve Upsert forever; absl::Mutex blocks new readers while a writer waits.
  mutable absl::Mutex mutex_;
  FlatVectorStore store_;

 private:
  absl::StatusOr<std::vector<ScoredId>> SearchPrepared(const float* query, const IndexSearchParams& params) const;
  // Copies `vectors` and normalizes each row for cosine.
  std::vector<float> Prepare(std::span<const float> vectors) const;
};

}  // namespace catena::retrieval
