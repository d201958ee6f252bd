// FaissIndex: the IVF<n>,{Flat,PQ<m>,SQ8}, PQ<m> and SQ8 kinds of VectorIndex, backed by FAISS 1.7.3.
// Vectors are kept exactly in the FlatIndex store; the FAISS index is built (trained on every stored vector,
// then filled) once TrainThreshold() vectors arrived, and searched exactly until then. PQ/SQ8 candidates
// (10 x k) are re-ranked with exact distances. FAISS exceptions never leave this adapter.
// Threading: as VectorIndex (the FlatIndex lock guards the FAISS index too).
#pragma once

#include <atomic>
#include <memory>

#include "retrieval/flat_vectors.h"

namespace faiss {
struct Index;
}  // namespace faiss

namespace catena::retrieval {

class FaissIndex final : public FlatIndex {
 public:
  // Builds an empty index of `kind` (a FAISS kind from ParseIndexKind); INVALID_ARGUMENT if FAISS refuses it.
  static absl::StatusOr<std::unique_ptr<VectorIndex>> Create(const VectorIndexSpec& spec, const IndexKind& kind);
  ~FaissIndex() override;

  bool trained() const override { return trained_.load(); }
  // Vectors needed before training: max(1000, 39 * nlist) (k-means wants >= 39 points per centroid), and
  // at least 4 * 256 when PQ codebooks (256 centroids per sub-quantizer) are trained.
  size_t TrainThreshold() const;

 private:
  FaissIndex(const VectorIndexSpec& spec, const IndexKind& kind, std::unique_ptr<faiss::Index> index);

  absl::Status AddApprox(std::span<const int64_t> ids, std::span<const float> rows, size_t replaced) override;
  absl::Status RemoveApprox(std::span<const int64_t> ids) override;
  absl::StatusOr<std::vector<ScoredId>> SearchApprox(const float* query,
                                                     const IndexSearchParams& params) const override;
  bool ApproxReady() const override { return trained_.load(); }
  std::string SidecarSuffix() const override { return ".faiss"; }
  absl::Status SaveSidecar(const std::filesystem::path& path) const override;
  absl::Status LoadSidecar(const std::filesystem::path& path, bool saved_trained) override;

  // Trains on all stored vectors and adds them all.
  absl::Status TrainAndAddAll();

  const IndexKind kind_;
  std::unique_ptr<faiss::Index> index_;
  std::atomic<bool> trained_ = false;
};

}  // namespace catena::retrieval
