// Internal to retrieval/cuda: the few cuBLAS entry points DeviceFlatStore calls, loaded with dlopen on first
// use. Linking libcublas/libcublasLt directly would make every binary that links catena::retrieval map them at
// start (about 0.2 s per process, which CTest pays once per test case) even when it never touches a GPU.
// Thread-safe: loaded once.
#pragma once

#include <cublas_v2.h>

#include "absl/status/statusor.h"

namespace catena::retrieval::cuda {

struct CublasApi {
  decltype(&cublasCreate_v2) create = nullptr;
  decltype(&cublasDestroy_v2) destroy = nullptr;
  decltype(&cublasSetStream_v2) set_stream = nullptr;
  decltype(&cublasSetMathMode) set_math_mode = nullptr;
  decltype(&cublasSgemv_v2) sgemv = nullptr;
  decltype(&cublasSgemm_v2) sgemm = nullptr;
  decltype(&cublasGetStatusString) status_string = nullptr;
};

// The loaded entry points, or FAILED_PRECONDITION naming the library and the loader's error.
absl::StatusOr<const CublasApi*> Cublas();

}  // namespace catena::retrieval::cuda
