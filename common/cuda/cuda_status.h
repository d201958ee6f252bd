// CUDA runtime and cuBLAS results as absl::Status, shared by the CUDA code of inference and retrieval. Host
// code only; built only with CATENA_CUDA (common/cuda/README.md).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace catena::cuda {

// OK for cudaSuccess. Otherwise clears the thread's last error (so later calls are not blamed for a
// non-sticky one) and returns RESOURCE_EXHAUSTED for cudaErrorMemoryAllocation, INTERNAL for the rest:
// "CUDA error in <what>: <name> (<description>)".
absl::Status CudaStatus(cudaError_t error, absl::string_view what);

// OK for CUBLAS_STATUS_SUCCESS, else INTERNAL "cuBLAS error in <what>: <status name>".
absl::Status CublasStatus(cublasStatus_t status, absl::string_view what);

// The name of CUDA device 0 ("NVIDIA H200"), the device every Catena CUDA path uses; FAILED_PRECONDITION
// "no usable CUDA device: <driver's reason>" or "no CUDA device found" when there is none to use.
absl::StatusOr<std::string> FirstDeviceName();

}  // namespace catena::cuda
