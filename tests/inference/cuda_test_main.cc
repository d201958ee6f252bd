// Main of the CUDA conformance tests: exits 77 (CTest's SKIP_RETURN_CODE) saying why when no CUDA device can be
// used, so CPU-only machines report the tests skipped rather than failed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "inference/cuda/cuda_backend.h"

int main(int argc, char** argv) {
  const absl::Status status = catena::inference::CudaDeviceStatus();
  if (!status.ok()) {
    std::fprintf(stderr, "skipping the CUDA tests: %s\n", std::string(status.message()).c_str());
    return 77;
  }
  std::fprintf(stderr, "CUDA tests on %s\n", catena::inference::CudaDeviceName().c_str());
  return Catch::Session().run(argc, argv);
}
