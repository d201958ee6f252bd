// Internal to the CUDA backend: y = W x for a batch of activation rows. Up to kMatVecMaxBatch rows use the
// dequantizing matvec kernels (decode); more rows use cuBLAS tensor-core GEMMs (prefill, batched decode): F32
// weights with SGEMM, every other type dequantized to an F16 scratch matrix and multiplied with F16
// activations (F32 accumulation and output). Owns its cuBLAS handle and scratch; one caller at a time.
#pragma once

#include <cublas_v2.h>

#include "absl/status/statusor.h"
#include "common/cuda/cublas_loader.h"
#include "inference/cuda/cuda_common.h"
#include "inference/cuda/cuda_ops.h"

namespace catena::inference::cuda {

class Projector {
 public:
  // A cuBLAS handle bound to `stream`.
  static absl::StatusOr<std::unique_ptr<Projector>> Create(cudaStream_t stream);
  ~Projector();
  Projector(const Projector&) = delete;
  Projector& operator=(const Projector&) = delete;

  // y[b * w.rows + r] = dot(row r of w, x + b * w.cols) (+ bias[r] when bias is not null), b < batch.
  absl::Status Project(const DeviceMatrix& w, const float* bias, const float* x, int batch, float* y);

 private:
  Projector(cudaStream_t stream, const ::catena::cuda::CublasApi* api, cublasHandle_t handle)
      : stream_(stream), api_(api), handle_(handle) {}
  absl::Status Gemm(const DeviceMatrix& w, const float* x, int batch, float* y);

  cudaStream_t stream_;
  const ::catena::cuda::CublasApi* api_;  // loaded with dlopen (common/cuda/cublas_loader.h)
  cublasHandle_t handle_;
  DeviceBuffer half_weights_, half_activations_;
};

}  // namespace catena::inference::cuda
