#include "inference/cuda/cuda_backend.h"

#include "absl/strings/str_cat.h"
#include "common/cuda/cuda_status.h"
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
  const absl::StatusOr<std::string> device = ::catena::cuda::FirstDeviceName();
  if (device.ok()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("backend 'cuda' was requested but CUDA cannot be used (",
                                                    device.status().message(), "); use backend: cpu or auto"));
}

std::string CudaDeviceName() {
  const absl::StatusOr<std::string> device = ::catena::cuda::FirstDeviceName();
  return device.ok() ? *device : std::string(device.status().message());
}

std::unique_ptr<Backend> NewCudaBackend(const BackendOptions& options) {
  return std::make_unique<CudaBackend>(options);
}

}  // namespace catena::inference
