// The backends compiled into this build, registered explicitly (no static self-registration). The CUDA backend
// is compiled in when CMake's CATENA_CUDA is on (compile definition CATENA_HAVE_CUDA).
#include "absl/strings/str_cat.h"
#include "inference/backend.h"
#include "inference/cpu_backend.h"
#ifdef CATENA_HAVE_CUDA
#include "inference/cuda/cuda_backend.h"
#endif

namespace catena::inference {

std::vector<std::string> CompiledBackends() {
#ifdef CATENA_HAVE_CUDA
  return {"cpu", "cuda"};
#else
  return {"cpu"};
#endif
}

absl::StatusOr<std::unique_ptr<Backend>> CreateBackend(std::string_view name, const BackendOptions& options) {
  if (name == "cpu") return NewCpuBackend(options);
#ifdef CATENA_HAVE_CUDA
  if (name == "auto") return CudaDeviceStatus().ok() ? NewCudaBackend(options) : NewCpuBackend(options);
  if (name == "cuda") {
    if (absl::Status status = CudaDeviceStatus(); !status.ok()) return status;
    return NewCudaBackend(options);
  }
#else
  if (name == "auto") return NewCpuBackend(options);
  if (name == "cuda") {
    return absl::FailedPreconditionError(
        "backend 'cuda' was requested but this build has no CUDA backend (configure with -DCATENA_CUDA=ON and "
        "the CUDA toolkit); use backend: cpu or auto");
  }
#endif
  return absl::InvalidArgumentError(
      absl::StrCat("unknown backend '", std::string(name), "'; expected auto, cpu or cuda"));
}

}  // namespace catena::inference
