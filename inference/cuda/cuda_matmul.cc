#include "inference/cuda/cuda_matmul.h"

#include "common/status.h"

namespace catena::inference::cuda {

absl::StatusOr<std::unique_ptr<Projector>> Projector::Create(cudaStream_t stream) {
  CATENA_ASSIGN_OR_RETURN(const ::catena::cuda::CublasApi* api, ::catena::cuda::Cublas());
  cublasHandle_t handle = nullptr;
  CATENA_RETURN_IF_ERROR(CublasStatus(api->create(&handle), "cublasCreate"));
  std::unique_ptr<Projector> projector(new Projector(stream, api, handle));
  CATENA_RETURN_IF_ERROR(CublasStatus(api->set_stream(handle, stream), "cublasSetStream"));
  return projector;
}

Projector::~Projector() { api_->destroy(handle_); }

absl::Status Projector::Project(const DeviceMatrix& w, const float* bias, const float* x, int batch, float* y) {
  if (batch <= kMatVecMaxBatch) {
    MatVec(w, x, batch, y, stream_);
  } else {
    CATENA_RETURN_IF_ERROR(Gemm(w, x, batch, y));
  }
  if (bias != nullptr) AddBias(y, bias, batch, static_cast<int>(w.rows), stream_);
  return CudaStatus(cudaGetLastError(), "projection kernel launch");
}

// Row-major W [rows, cols] is column-major [cols, rows]; row-major X [batch, cols] is column-major
// [cols, batch]; so column-major Y [rows, batch] (= row-major [batch, rows]) = op_T(W) * X.
absl::Status Projector::Gemm(const DeviceMatrix& w, const float* x, int batch, float* y) {
  const int rows = static_cast<int>(w.rows), cols = static_cast<int>(w.cols);
  const float alpha = 1.0f, beta = 0.0f;
  if (w.type == GgmlType::kF32) {
    return CublasStatus(api_->sgemm(handle_, CUBLAS_OP_T, CUBLAS_OP_N, rows, batch, cols, &alpha,
                                    static_cast<const float*>(w.data), cols, x, cols, &beta, y, rows),
                        "cublasSgemm");
  }
  const void* weights = w.data;
  if (w.type != GgmlType::kF16) {
    CATENA_RETURN_IF_ERROR(half_weights_.Reserve(static_cast<size_t>(w.rows * w.cols) * 2));
    DequantizeToHalf(w, half_weights_.get(), stream_);
    weights = half_weights_.get();
  }
  CATENA_RETURN_IF_ERROR(half_activations_.Reserve(static_cast<size_t>(batch) * cols * 2));
  FloatsToHalves(x, int64_t{batch} * cols, half_activations_.get(), stream_);
  return CublasStatus(api_->gemm_ex(handle_, CUBLAS_OP_T, CUBLAS_OP_N, rows, batch, cols, &alpha, weights, CUDA_R_16F,
                                    cols, half_activations_.get(), CUDA_R_16F, cols, &beta, y, CUDA_R_32F, rows,
                                    CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                      "cublasGemmEx");
}

}  // namespace catena::inference::cuda
