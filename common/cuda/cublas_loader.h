// The cuBLAS entry points Catena calls (retrieval's device Flat index, the CUDA inference backend), loaded with
// dlopen on first use. Linking libcublas/libcublasLt directly would make every binary map them at start (about
// 0.2 s per process, which CTest pays once per test case) and refuse to start where the CUDA libraries are
// not installed, even when it never touches a GPU. Thread-safe: loaded once.
#pragma once

#include <cublas_v2.h>

#include "absl/status/statusor.h"

namespace catena::cuda {

struct CublasApi {
  decltype(&cublasCreate_v2) create = nullptr;
  decltype(&cublasDestroy_v2) destroy = nullptr;
  decltype(&cublasSetStream_v2) set_stream = nullptr;
  decltype(&cublasSetMathMode) set_math_mode = nullptr;
  decltype(&cublasSgemv_v2) sgemv = nullptr;
  decltype(&cublasSgemm_v2) sgemm = nullptr;
  // C++ also sees an inline overload taking cudaDataType as the compute type; this is the exported one.
  cublasStatus_t (*gemm_ex)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const void*,
                            const void*, cudaDataType, int, const void*, cudaDataType, int, const void*, void*,
                            cudaDataType, int, cublasComputeType_t, cublasGemmAlgo_t) = nullptr;
  decltype(&cublasGetStatusString) status_string = nullptr;
};

// The loaded entry points, or FAILED_PRECONDITION naming the library and the loader's error.
absl::StatusOr<const CublasApi*> Cublas();

}  // namespace catena::cuda
