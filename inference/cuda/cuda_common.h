// Internal to the CUDA backend: the shared CUDA helpers (common/cuda) under this backend's names. DeviceBuffer
// here is a byte buffer; kernels take typed pointers through as<T>(). Host code only.
#pragma once

#include <cstddef>

#include "common/cuda/cuda_status.h"
#include "common/cuda/device_buffer.h"

namespace catena::inference::cuda {

using ::catena::cuda::CublasStatus;
using ::catena::cuda::CudaStatus;
using DeviceBuffer = ::catena::cuda::DeviceBuffer<std::byte>;

}  // namespace catena::inference::cuda
