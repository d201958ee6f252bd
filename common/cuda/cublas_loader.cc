#include "common/cuda/cublas_loader.h"

#include <dlfcn.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace catena::cuda {
namespace {

// The versioned soname first (found through the binary's RUNPATH or the loader cache), then the toolkit's copy.
void* OpenLibrary(std::string& error) {
  const std::string name = absl::StrCat("libcublas.so.", CUBLAS_VER_MAJOR);
  for (const std::string& path : {name, absl::StrCat(CATENA_CUDA_LIBRARY_DIR, "/", name)}) {
    if (void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) return handle;
    const char* why = dlerror();
    error = why != nullptr ? why : path;
  }
  return nullptr;
}

template <typename Function>
bool Bind(void* library, const char* symbol, Function& function) {
  function = reinterpret_cast<Function>(dlsym(library, symbol));
  return function != nullptr;
}

absl::StatusOr<CublasApi> Load() {
  std::string error;
  void* library = OpenLibrary(error);  // kept open for the life of the process
  if (library == nullptr) return absl::FailedPreconditionError(absl::StrCat("cannot load cuBLAS: ", error));
  CublasApi api;
  const bool bound =
      Bind(library, "cublasCreate_v2", api.create) && Bind(library, "cublasDestroy_v2", api.destroy) &&
      Bind(library, "cublasSetStream_v2", api.set_stream) && Bind(library, "cublasSetMathMode", api.set_math_mode) &&
      Bind(library, "cublasSgemv_v2", api.sgemv) && Bind(library, "cublasSgemm_v2", api.sgemm) &&
      Bind(library, "cublasGemmEx", api.gemm_ex) && Bind(library, "cublasGetStatusString", api.status_string);
  if (!bound) return absl::FailedPreconditionError("cuBLAS lacks an expected entry point");
  return api;
}

}  // namespace

absl::StatusOr<const CublasApi*> Cublas() {
  static const absl::StatusOr<CublasApi> api = Load();
  if (!api.ok()) return api.status();
  return &*api;
}

}  // namespace catena::cuda
