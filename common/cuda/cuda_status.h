// CUDA runtime and cuBLAS results as absl::Status, shared by the CUDA code of inference and retrieval. Host
// code only; built only with CATENA_CUDA (common/cuda/README.md).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace catena::cuda {

// OK for cudaSuccess. Otherwise clears the thread's last error (so later calls are not blamed for a
// non-sticky one) and returns RESOURCE_EXHAUSTED for cudaErrorMemoryAllocation, INTERNAL for the rest:
// "CUDA error in <what>: <name> (<description>)".
absl::Status CudaStatus(cudaError_t error, absl::string_view what);

// OK for CUBLAS_STATUS_SUCCESS, else INTERNAL "cuBLAS error in <what>: <status name>".
absl::Status CublasStatus(cublasStatus_t status, absl::string_view what);

}  // namespace catena::cuda
