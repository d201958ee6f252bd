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

}  // namespace catena::cuda
