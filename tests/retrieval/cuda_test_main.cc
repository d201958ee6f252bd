// Catch2 main of the [gpu] tests: without a usable CUDA device it says why and exits 77, which CTest reports as
// skipped (SKIP_RETURN_CODE). Listing tests (CTest discovery at build time) never touches CUDA.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdio>
#include <string_view>

#include "retrieval/vector_index.h"

int main(int argc, char** argv) {
  bool listing = false;
  for (int i = 1; i < argc; ++i) listing = listing || std::string_view(argv[i]).starts_with("--list");
  if (!listing) {
    absl::StatusOr<std::string> device = catena::retrieval::CudaDeviceName();
    if (!device.ok()) {
      std::fprintf(stderr, "skipping [gpu] tests: %s\n", std::string(device.status().message()).c_str());
      return 77;
    }
    std::fprintf(stderr, "[gpu] tests on %s\n", device->c_str());
  }
  return Catch::Session().run(argc, argv);
}
