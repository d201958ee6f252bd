// Internal to the CUDA backend: a decoder's weights uploaded once to device memory. Matrices keep their GGUF
// type and block layout (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K are all read quantized by the kernels);
// norm vectors and biases become F32. A tied LM head shares the embedding's upload. Immutable after Upload.
#pragma once

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/cuda/cuda_common.h"
#include "inference/cuda/cuda_ops.h"
#include "inference/transformer_spec.h"

namespace catena::inference::cuda {

struct DeviceLayer {
  DeviceMatrix wq, wk, wv, wo, w_gate, w_up, w_down;
  const float* attn_norm = nullptr;
  const float* ffn_norm = nullptr;
  const float *bq = nullptr, *bk = nullptr, *bv = nullptr, *bo = nullptr;  // null when absent
};

class DeviceWeights {
 public:
  // Copies every tensor of `spec` (a decoder) to the current device; RESOURCE_EXHAUSTED when it does not fit.
  static absl::StatusOr<std::unique_ptr<DeviceWeights>> Upload(const TransformerSpec& spec);

  DeviceMatrix token_embedding, output;
  const float* output_norm = nullptr;
  const float* rope_inv_freq = nullptr;
  std::vector<DeviceLayer> layers;
  // Device bytes held.
  size_t bytes() const;

 private:
  absl::StatusOr<DeviceMatrix> Matrix(const TensorRef& ref);
  absl::StatusOr<const float*> Floats(const TensorRef& ref);  // null for an absent tensor
  absl::StatusOr<const float*> Copy(const void* host, size_t bytes);
  absl::Status UploadLayer(const TransformerLayer& layer, DeviceLayer& out);

  std::vector<DeviceBuffer> buffers_;
  std::vector<std::pair<const std::byte*, DeviceMatrix>> uploaded_;  // host data -> upload, for tied tensors
};

}  // namespace catena::inference::cuda
