// Internal to the CUDA backend: CudaModel, a decoder loaded onto the GPU (weights uploaded once, one stream,
// one cuBLAS handle), and CudaKvStorage, the paged KV cache in device memory with the CPU backend's block-table
// semantics (F32, F16 or Q8_0). Steps are serialized by the model's mutex; the logits of a step are
// copied back to host memory before Step returns.
#pragma once

#include <cuda_runtime.h>

#include <memory>
#include <mutex>
#include <vector>

#include "inference/backend.h"
#include "inference/cuda/cuda_common.h"
#include "inference/cuda/cuda_matmul.h"
#include "inference/cuda/cuda_weights.h"

namespace catena::inference::cuda {

class CudaKvStorage final : public KvStorage {
 public:
  // Allocates `layout` (already checked against the model: Q8_0 needs kv_dim a multiple of 32) on the device.
  static absl::StatusOr<std::unique_ptr<CudaKvStorage>> Create(const KvLayout& layout);
  const KvLayout& layout() const override { return layout_; }
  const DeviceKv& device() const { return device_; }

 private:
  explicit CudaKvStorage(const KvLayout& layout) : layout_(layout) {}
  KvLayout layout_;
  DeviceBuffer keys_, values_;
  DeviceKv device_;
};

// Activation buffers of a step on the device, grown to the largest step seen.
struct DeviceScratch {
  DeviceBuffer x, xn, q, k, v, attn, out, gate, up, logits, ints;
};

class CudaModel final : public BackendModel {
 public:
  // Uploads `spec` (a decoder whose head_dim <= kMaxHeadDim) to the current device.
  static absl::StatusOr<std::unique_ptr<CudaModel>> Load(const TransformerSpec& spec);
  ~CudaModel() override;
  const TransformerSpec& spec() const override { return spec_; }
  absl::StatusOr<std::unique_ptr<KvStorage>> NewKvStorage(const KvLayout& layout) override;
  absl::StatusOr<std::span<const float>> Step(std::span<const SequenceStep> steps, KvStorage& kv) override;
  absl::StatusOr<std::unique_ptr<DecoderSession>> NewSession(int64_t max_positions, KvType kv_type) override;
  absl::StatusOr<std::vector<float>> Encode(std::span<const std::vector<int32_t>> sequences) override;

  // Device bytes of the uploaded weights.
  size_t weight_bytes() const { return weights_->bytes(); }

 private:
  explicit CudaModel(const TransformerSpec& spec) : spec_(spec) {}

  TransformerSpec spec_;
  cudaStream_t stream_ = nullptr;
  std::unique_ptr<DeviceWeights> weights_;
  std::unique_ptr<Projector> projector_;
  std::mutex mutex_;
  DeviceScratch scratch_;           // guarded by mutex_
  std::vector<float> host_logits_;  // guarded by mutex_
};

}  // namespace catena::inference::cuda
