// Backend selection (backend_registry.cc) on any machine: auto/cpu/cuda with and without a CUDA build or device,
// and the per-model "backend=" override of inference.models items.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "inference/backend.h"
#include "inference/model.h"
#include "inference/serving_options.h"
#include "tests/inference/synthetic_model.h"
#include "tests/support/temp_dir.h"
#ifdef CATENA_HAVE_CUDA
#include "inference/cuda/cuda_backend.h"
#endif

namespace catena::inference {
namespace {

bool CudaCompiled() {
  const std::vector<std::string> names = CompiledBackends();
  return std::find(names.begin(), names.end(), "cuda") != names.end();
}

bool CudaDevicePresent() {
#ifdef CATENA_HAVE_CUDA
  return CudaDeviceStatus().ok();
#else
  return false;
#endif
}

TEST_CASE("compiled backends list cpu and also cuda exactly when the build has it", "[unit]") {
  const std::vector<std::string> names = CompiledBackends();
  CHECK(names.front() == "cpu");
#ifdef CATENA_HAVE_CUDA
  CHECK(CudaCompiled());
#else
  CHECK_FALSE(CudaCompiled());
#endif
}

TEST_CASE("cpu always works and auto picks cuda only when a device is present", "[unit]") {
  CHECK((*CreateBackend("cpu", {}))->name() == "cpu");
  CHECK((*CreateBackend("auto", {}))->name() == (CudaDevicePresent() ? "cuda" : "cpu"));
  CHECK(CreateBackend("tpu", {}).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("cuda without a cuda build or device is failed precondition naming the reason", "[unit]") {
  auto cuda = CreateBackend("cuda", {});
  if (CudaDevicePresent()) {
    REQUIRE(cuda.ok());
    CHECK((*cuda)->name() == "cuda");
    return;
  }
  REQUIRE(cuda.status().code() == absl::StatusCode::kFailedPrecondition);
  const std::string message(cuda.status().message());
  CHECK_THAT(message, Catch::Contains("backend 'cuda' was requested"));
  CHECK_THAT(message, Catch::Contains("backend: cpu or auto"));
  if (CudaCompiled()) {
    CHECK_THAT(message, Catch::Contains("CUDA") || Catch::Contains("device"));
  } else {
    CHECK_THAT(message, Catch::Contains("no CUDA backend"));
  }
}

TEST_CASE("a model entry may choose its backend and others keep the default", "[unit]") {
  auto models = ParseModelList({"a=/m/a.gguf,backend=cuda", "b=/m/b.gguf", "c=/m/c.gguf,backend=cpu"},
                               ModelOptions{.backend = "auto"}, {});
  REQUIRE(models.ok());
  REQUIRE(models->size() == 3);
  CHECK((*models)[0].path == "/m/a.gguf");
  CHECK((*models)[0].options.backend == "cuda");
  CHECK((*models)[1].path == "/m/b.gguf");
  CHECK((*models)[1].options.backend == "auto");
  CHECK((*models)[2].options.backend == "cpu");
  auto bad = ParseModelList({"a=/m/a.gguf,backend=tpu"}, {}, {});
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("expected auto, cpu or cuda"));
  CHECK_FALSE(ParseModelList({"a=,backend=cpu"}, {}, {}).ok());
}

TEST_CASE("the synthetic llama of the cuda tests loads and decodes on the cpu", "[unit]") {
  ::catena::testing::TempDir dir("catena-synthetic");
  auto model = Model::Load(testing::MakeSyntheticLlama(dir.path(), "q4_0", GgmlType::kQ4_0).string(),
                           {.backend = "cpu", .threads = 1});
  INFO(model.status());
  REQUIRE(model.ok());
  CHECK((*model)->spec().vocab_size == 1000);
  auto session = (*model)->backend_model().NewSession(8);
  REQUIRE(session.ok());
  const std::vector<int32_t> tokens = {1, 2, 3};
  auto logits = (*session)->Forward(tokens, false);
  REQUIRE(logits.ok());
  CHECK(logits->size() == 1000);
}

}  // namespace
}  // namespace catena::inference
