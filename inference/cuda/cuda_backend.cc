#include "inference/cuda/cuda_backend.h"

#include <cuda_runtime.h>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/cpu_backend.h"
#include "inference/cuda/cuda_model.h"

namespace catena::inference {
namespace {

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(const BackendOptions& options) : options_(options) {}
  std::string_view name() const override { return "cuda"; }

  absl::StatusOr<std::unique_ptr<BackendModel>> Load(const TransformerSpec& spec) override {
    if (spec.kind == TransformerKind::kEncoder) return NewCpuBackend(options_)->Load(spec);
    CATENA_RETURN_IF_ERROR(CudaDeviceStatus());
    CATENA_ASSIGN_OR_RETURN(std::unique_ptr<cuda::CudaModel> model, cuda::CudaModel::Load(spec));
    return std::unique_ptr<BackendModel>(std::move(model));
  }

 private:
  BackendOptions options_;
};

}  // namespace

absl::Status CudaDeviceStatus() {
  int count = 0;
  const cudaError_t error = cudaGetDeviceCount(&count);
  if (error != cudaSuccess) {
    cudaGetLastError();
    return absl::FailedPreconditionError(absl::StrCat("backend 'cuda' was requested but CUDA cannot be used: ",
                                                      cudaGetErrorString(error), "; use backend: cpu or auto"));
  }
  if (count == 0) {
    return absl::FailedPreconditionError(
        "backend 'cuda' was requested but no CUDA device is present; use backend: cpu or auto");
  }
  return absl::OkStatus();
}

std::string CudaDeviceName() {
  if (absl::Status status = CudaDeviceStatus(); !status.ok()) return std::string(status.message());
  cudaDeviceProp properties{};
  if (cudaGetDeviceProperties(&properties, 0) != cudaSuccess) return "unknown CUDA device";
  return properties.name;
}

std::unique_ptr<Backend> NewCudaBackend(const BackendOptions& options) {
  return std::make_unique<CudaBackend>(options);
}

}  // namespace catena::inference
