// CudaFlatIndex: the exact "Flat" index of a collection with `device: cuda`. The host FlatVectorStore stays the
// source of truth (Vector(), Save/Load, very selective filters) and is mirrored row for row onto CUDA device 0
// (retrieval/cuda/), where unfiltered and broad-filter searches run. Built only with CATENA_HAVE_CUDA; created
// by VectorIndex::Create. Locking as FlatIndex; device searches of one index are serialized by its device store.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "retrieval/flat_vectors.h"

namespace catena::retrieval {
namespace cuda {
class DeviceFlatStore;
}  // namespace cuda

class CudaFlatIndex final : public FlatIndex {
 public:
  // An empty index for `spec` (Flat, device cuda); FAILED_PRECONDITION when no CUDA device is usable.
  static absl::StatusOr<std::unique_ptr<VectorIndex>> Create(const VectorIndexSpec& spec);
  ~CudaFlatIndex() override;

 protected:
  absl::Status AddApprox(std::span<const int64_t> ids, std::span<const float> rows, size_t replaced) override;
  absl::Status RemoveApprox(std::span<const int64_t> ids) override;
  absl::StatusOr<std::vector<ScoredId>> SearchApprox(const float* query,
                                                     const IndexSearchParams& params) const override;
  absl::StatusOr<std::vector<std::vector<ScoredId>>> SearchBatchApprox(const float* queries, size_t count,
                                                                       const IndexSearchParams& params) const override;
  bool ApproxReady() const override { return true; }
  absl::Status Reloaded() override;

 private:
  CudaFlatIndex(const VectorIndexSpec& spec, std::unique_ptr<cuda::DeviceFlatStore> device);

  // Copies every host row to the device (after a load, or to recover from a failed update).
  absl::Status UploadAll();
  // Uploads the host rows at `rows` (any order), one copy per run of consecutive rows.
  absl::Status UploadRows(std::vector<size_t> rows);
  // Marks the device copy unusable after `error` (searches then scan the host store) and logs why.
  void MarkStale(const absl::Status& error);

  std::unique_ptr<cuda::DeviceFlatStore> device_;
  // The id of each device row; equal to store_.ids() after every successful write.
  std::vector<int64_t> device_ids_;
  bool stale_ = false;
};

}  // namespace catena::retrieval
