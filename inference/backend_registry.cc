// The backends compiled into this build, registered explicitly (no static self-registration).
#include "absl/strings/str_cat.h"
#include "inference/backend.h"
#include "inference/cpu_backend.h"

namespace catena::inference {

std::vector<std::string> CompiledBackends() { return {"cpu"}; }

absl::StatusOr<std::unique_ptr<Backend>> CreateBackend(std::string_view name, const BackendOptions& options) {
  if (name == "cpu" || name == "auto") return NewCpuBackend(options);
  if (name == "cuda") {
    return absl::FailedPreconditionError(
        "backend 'cuda' was requested but this build has no CUDA backend; use backend: cpu or auto");
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown backend '", std::string(name), "'; expected auto, cpu or cuda"));
}

}  // namespace catena::inference
