// VectorIndex: the approximate/exact nearest-neighbour index of one collection, over dense int64 document
// numbers. Implementations: Flat (exact BLAS scan), Flat on CUDA (device cuda), HNSW<M> (hnswlib),
// IVF/PQ/SQ8 (FAISS); Create() picks one from the FAISS-style factory string and device in VectorIndexSpec. Used by collections and the retrieval service.
// Thread safety: searches (and Save) may run concurrently; Upsert/Remove take an exclusive lock internally.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "retrieval/types.h"

namespace catena::retrieval {

// What to build: vector dimension, metric and the index kind as a FAISS index-factory string.
struct VectorIndexSpec {
  int dimension = 0;
  Metric metric = Metric::kCosine;
  std::string index = "Flat";
  // kCuda: the vectors also live on CUDA device 0 and unfiltered or broad-filter searches run there (Flat only).
  IndexDevice device = IndexDevice::kCpu;
};

// Per-search knobs; 0 means the index's default.
struct IndexSearchParams {
  int k = 10;
  int ef_search = 0;  // HNSW candidate list size (default 64)
  int nprobe = 0;     // IVF lists probed (default 8)
  const IdFilter* filter = nullptr;
};

// The parsed factory string (see ParseIndexKind).
struct IndexKind {
  enum class Type { kFlat, kHnsw, kFaiss };
  Type type = Type::kFlat;
  int hnsw_m = 0;    // HNSW<M>
  int nlist = 0;     // IVF<n>; 0 when there is no IVF
  int pq_m = 0;      // PQ<m>; 0 when there is no PQ
  bool sq8 = false;  // SQ8
  // Whether stored codes are lossy (PQ/SQ8): candidates are re-ranked with exact distances.
  bool lossy() const { return pq_m > 0 || sq8; }
};

// Checks `spec` (dimension 1..65536, a supported factory string) and parses its index kind.
// Errors are INVALID_ARGUMENT naming the offending string and the rule it breaks.
absl::StatusOr<IndexKind> ParseIndexKind(const VectorIndexSpec& spec);

class VectorIndex {
 public:
  virtual ~VectorIndex() = default;

  // Builds an empty index for a validated `spec`.
  static absl::StatusOr<std::unique_ptr<VectorIndex>> Create(const VectorIndexSpec& spec);
  // Reads an index written by Save(); the saved spec must equal `spec` (FAILED_PRECONDITION otherwise).
  static absl::StatusOr<std::unique_ptr<VectorIndex>> Load(const std::filesystem::path& path,
                                                           const VectorIndexSpec& spec);

  // Inserts or replaces `ids` (each >= 0) with rows of `vectors` (ids.size() * dimension floats, finite).
  virtual absl::Status Upsert(std::span<const int64_t> ids, std::span<const float> vectors) = 0;
  // Removes `ids`; unknown ids are ignored.
  virtual absl::Status Remove(std::span<const int64_t> ids) = 0;
  // The best params.k ids for `query` (dimension floats), best first, scores higher-is-better.
  virtual absl::StatusOr<std::vector<ScoredId>> Search(std::span<const float> query,
                                                       const IndexSearchParams& params) const = 0;
  // Search() for each of queries.size() / dimension queries, in order.
  virtual absl::StatusOr<std::vector<std::vector<ScoredId>>> SearchBatch(std::span<const float> queries,
                                                                         const IndexSearchParams& params) const = 0;
  // The stored vector of `id` (unit length for cosine), or nullopt when absent.
  virtual std::optional<std::vector<float>> Vector(int64_t id) const = 0;
  // Number of stored vectors.
  virtual size_t size() const = 0;
  // False for IVF/PQ/SQ8 until enough vectors arrived to train; searches are exact meanwhile.
  virtual bool trained() const = 0;
  // Writes the index atomically (temp files + rename) to `path` (plus a sidecar `path`.faiss / .hnsw).
  virtual absl::Status Save(const std::filesystem::path& path) const = 0;
};

// Checks that `spec.device` can serve `kind`: cuda needs the Flat index (INVALID_ARGUMENT) and a CUDA device in
// a build with CUDA (FAILED_PRECONDITION). Messages start with `device "cuda"`; callers add the field path.
absl::Status CheckDevice(const VectorIndexSpec& spec, const IndexKind& kind);
// The name of CUDA device 0, or FAILED_PRECONDITION saying why none is usable (build without CUDA, no device,
// driver error).
absl::StatusOr<std::string> CudaDeviceName();

// Checks one batch of ids/vectors against `dimension`: ids >= 0, vectors.size() == ids.size() * dimension,
// all values finite. INVALID_ARGUMENT names expected vs got (or the first bad position).
absl::Status ValidateVectors(std::span<const int64_t> ids, std::span<const float> vectors, int dimension);
// Checks a query batch: a non-empty multiple of `dimension`, finite, and k in 1..100000.
absl::Status ValidateQueries(std::span<const float> queries, int dimension, const IndexSearchParams& params);

}  // namespace catena::retrieval
