#include "inference/cuda/cuda_common.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace catena::inference::cuda {

absl::Status CudaStatus(cudaError_t error, absl::string_view what) {
  if (error == cudaSuccess) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("CUDA error in ", what, ": ", cudaGetErrorName(error), " (", cudaGetErrorString(error), ")"));
}

absl::Status CublasStatus(cublasStatus_t status, absl::string_view what) {
  if (status == CUBLAS_STATUS_SUCCESS) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("cuBLAS error in ", what, ": status ", static_cast<int>(status)));
}

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

DeviceBuffer::~DeviceBuffer() { Release(); }

void DeviceBuffer::Release() {
  if (data_ != nullptr) cudaFree(data_);
  data_ = nullptr;
  size_ = 0;
}

absl::Status DeviceBuffer::Reserve(size_t bytes) {
  if (bytes <= size_) return absl::OkStatus();
  Release();
  const cudaError_t error = cudaMalloc(&data_, bytes);
  if (error != cudaSuccess) {
    data_ = nullptr;
    cudaGetLastError();  // clears the sticky-free allocation error
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot allocate ", bytes, " bytes of GPU memory: ", cudaGetErrorString(error)));
  }
  size_ = bytes;
  return absl::OkStatus();
}

}  // namespace catena::inference::cuda
