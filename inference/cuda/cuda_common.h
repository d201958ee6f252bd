// Internal to the CUDA backend: CUDA and cuBLAS errors as absl::Status, and DeviceBuffer, the one owner of a
// cudaMalloc allocation. Host code only (compiled by the C++ compiler); not thread-safe.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace catena::inference::cuda {

// OK for cudaSuccess, else INTERNAL "CUDA error in <what>: <message>".
absl::Status CudaStatus(cudaError_t error, absl::string_view what);
// OK for CUBLAS_STATUS_SUCCESS, else INTERNAL naming `what` and the cuBLAS status.
absl::Status CublasStatus(cublasStatus_t status, absl::string_view what);

// Device memory that grows on demand (contents are lost when it grows).
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  ~DeviceBuffer();

  // Makes the buffer at least `bytes` long; RESOURCE_EXHAUSTED naming the size when the device is full.
  absl::Status Reserve(size_t bytes);
  void* get() const { return data_; }
  template <typename T>
  T* as() const {
    return static_cast<T*>(data_);
  }
  size_t size() const { return size_; }

 private:
  void Release();
  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace catena::inference::cuda
