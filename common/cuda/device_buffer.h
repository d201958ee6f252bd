// DeviceBuffer<T>: the one owner of a cudaMalloc allocation of T elements, grown on demand. Shared by the CUDA
// code of inference and retrieval; host code only; not thread-safe.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/cuda/cuda_status.h"

namespace catena::cuda {

template <typename T = std::byte>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), capacity_(std::exchange(other.capacity_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      Release();
      data_ = std::exchange(other.data_, nullptr);
      capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
  }
  ~DeviceBuffer() { Release(); }

  T* get() const { return data_; }
  // The allocation seen as elements of another type (kernels take typed pointers into byte buffers).
  template <typename U>
  U* as() const {
    return reinterpret_cast<U*>(data_);
  }
  size_t capacity() const { return capacity_; }  // in elements
  size_t bytes() const { return capacity_ * sizeof(T); }

  // Room for at least `count` elements; the contents are lost when it reallocates. RESOURCE_EXHAUSTED naming
  // the size when the device is full.
  absl::Status Reserve(size_t count) {
    if (count <= capacity_) return absl::OkStatus();
    Release();
    T* data = nullptr;
    if (absl::Status status = Allocate(count, data); !status.ok()) return status;
    data_ = data;
    capacity_ = count;
    return absl::OkStatus();
  }

  // Room for at least `count` elements, keeping the first `keep` (<= capacity()); copies on `stream` and
  // waits for it.
  absl::Status Grow(size_t count, size_t keep, cudaStream_t stream) {
    if (count <= capacity_) return absl::OkStatus();
    T* grown = nullptr;
    if (absl::Status status = Allocate(count, grown); !status.ok()) return status;
    cudaError_t error = cudaSuccess;
    if (keep > 0) error = cudaMemcpyAsync(grown, data_, keep * sizeof(T), cudaMemcpyDeviceToDevice, stream);
    if (error == cudaSuccess) error = cudaStreamSynchronize(stream);
    if (error != cudaSuccess) {
      cudaFree(grown);
      return CudaStatus(error, "copying a device buffer into a larger one");
    }
    Release();
    data_ = grown;
    capacity_ = count;
    return absl::OkStatus();
  }

 private:
  static absl::Status Allocate(size_t count, T*& data) {
    const size_t bytes = count * sizeof(T);
    return CudaStatus(cudaMalloc(reinterpret_cast<void**>(&data), bytes),
                      absl::StrCat("allocating ", bytes, " bytes of GPU memory"));
  }
  void Release() {
    if (data_ != nullptr) cudaFree(data_);
    data_ = nullptr;
    capacity_ = 0;
  }

  T* data_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace catena::cuda
