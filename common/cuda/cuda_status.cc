#include "common/cuda/cuda_status.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/cuda/cublas_loader.h"

namespace catena::cuda {

absl::Status CudaStatus(cudaError_t error, absl::string_view what) {
  if (error == cudaSuccess) return absl::OkStatus();
  cudaGetLastError();
  std::string message =
      absl::StrCat("CUDA error in ", what, ": ", cudaGetErrorName(error), " (", cudaGetErrorString(error), ")");
  if (error == cudaErrorMemoryAllocation) return absl::ResourceExhaustedError(std::move(message));
  return absl::InternalError(std::move(message));
}

absl::Status CublasStatus(cublasStatus_t status, absl::string_view what) {
  if (status == CUBLAS_STATUS_SUCCESS) return absl::OkStatus();
  const absl::StatusOr<const CublasApi*> api = Cublas();
  const char* name = api.ok() ? (*api)->status_string(status) : nullptr;
  return absl::InternalError(absl::StrCat("cuBLAS error in ", what, ": ",
                                          name != nullptr ? name : absl::StrCat("status ", static_cast<int>(status))));
}

absl::StatusOr<std::string> FirstDeviceName() {
  int count = 0;
  const cudaError_t error = cudaGetDeviceCount(&count);
  if (error != cudaSuccess) {
    cudaGetLastError();
    return absl::FailedPreconditionError(absl::StrCat("no usable CUDA device: ", cudaGetErrorString(error)));
  }
  if (count == 0) return absl::FailedPreconditionError("no CUDA device found");
  cudaDeviceProp properties{};
  if (absl::Status status = CudaStatus(cudaGetDeviceProperties(&properties, 0), "cudaGetDeviceProperties");
      !status.ok()) {
    return status;
  }
  return std::string(properties.name);
}

}  // namespace catena::cuda
