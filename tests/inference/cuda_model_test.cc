// The CUDA decoder against the CPU decoder on generated llama models: logits NMSE per weight type (prefill
// through cuBLAS, decode through matvec), greedy decoding parity, and a batched Step of several sequences with
// a shared prefix in a scrambled paged KV cache (F16 and Q8_0). Runs only on a CUDA device.
#include <algorithm>
#include <catch2/catch.hpp>

#include "inference/model.h"
#include "tests/inference/cuda_test_util.h"
#include "tests/inference/synthetic_model.h"
#include "tests/support/temp_dir.h"

namespace catena::inference {
namespace {

using cuda::testing::Nmse;

struct LoadedPair {
  std::unique_ptr<Model> cpu, cuda;
};

LoadedPair LoadBoth(const std::filesystem::path& path) {
  auto cpu = Model::Load(path.string(), {.backend = "cpu", .threads = 2});
  auto cuda = Model::Load(path.string(), {.backend = "cuda"});
  REQUIRE(cpu.ok());
  INFO(cuda.status());
  REQUIRE(cuda.ok());
  REQUIRE((*cuda)->backend_name() == "cuda");
  return {std::move(*cpu), std::move(*cuda)};
}

std::vector<int32_t> Prompt(int n, int32_t vocab) {
  std::vector<int32_t> tokens;
  for (int i = 0; i < n; ++i) tokens.push_back(static_cast<int32_t>((i * 7919 + 13) % vocab));
  return tokens;
}

int32_t ArgMax(std::span<const float> logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

// Greedy continuation of `prompt` by `count` tokens on one session. The prompt goes in chunks of 5 (the
// matvec path, F32 activations as on the CPU) so that near-ties of random weights do not flip on F16 rounding.
std::vector<int32_t> Greedy(BackendModel& model, const std::vector<int32_t>& prompt, int count) {
  auto session = model.NewSession(static_cast<int64_t>(prompt.size()) + count, KvType::kF16);
  REQUIRE(session.ok());
  absl::StatusOr<std::span<const float>> logits;
  for (size_t at = 0; at < prompt.size(); at += 5) {
    logits = (*session)->Forward(std::span(prompt).subspan(at, std::min<size_t>(5, prompt.size() - at)), false);
    REQUIRE(logits.ok());
  }
  std::vector<int32_t> out = {ArgMax(*logits)};
  while (static_cast<int>(out.size()) < count) {
    logits = (*session)->Forward(std::span<const int32_t>(&out.back(), 1), false);
    REQUIRE(logits.ok());
    out.push_back(ArgMax(*logits));
  }
  return out;
}

struct TypeCase {
  GgmlType type;
  double max_nmse;  // CPU quantizes activations for quantized weights; cuBLAS rounds them to F16
  bool check_greedy;
};

TEST_CASE("cuda logits and greedy decoding match the cpu decoder for every weight type", "[gpu][model]") {
  ::catena::testing::TempDir dir("catena-cuda-model");
  for (const TypeCase& c : {TypeCase{GgmlType::kF32, 1e-6, true}, TypeCase{GgmlType::kF16, 1e-4, true},
                            TypeCase{GgmlType::kBF16, 1e-4, false}, TypeCase{GgmlType::kQ8_0, 2e-3, false},
                            TypeCase{GgmlType::kQ4_0, 2e-3, false}, TypeCase{GgmlType::kQ4_K, 2e-3, false},
                            TypeCase{GgmlType::kQ6_K, 2e-3, false}}) {
    const std::string name(TraitsOf(c.type).name);
    DYNAMIC_SECTION(name) {
      const LoadedPair models = LoadBoth(testing::MakeSyntheticLlama(dir.path(), name, c.type));
      const std::vector<int32_t> prompt = Prompt(20, static_cast<int32_t>(models.cpu->spec().vocab_size));
      auto cpu_session = models.cpu->backend_model().NewSession(64);
      auto cuda_session = models.cuda->backend_model().NewSession(64);
      REQUIRE(cpu_session.ok());
      REQUIRE(cuda_session.ok());
      for (int chunk : {20, 1, 3}) {  // prefill (cuBLAS), one decode token (matvec), a short chunk (matvec)
        const std::vector<int32_t> tokens(prompt.begin(), prompt.begin() + chunk);
        auto want = (*cpu_session)->Forward(tokens, true);
        auto got = (*cuda_session)->Forward(tokens, true);
        REQUIRE(want.ok());
        REQUIRE(got.ok());
        const double nmse = Nmse(*got, *want);
        INFO(name << " chunk " << chunk << " logits nmse " << nmse);
        CHECK(nmse <= c.max_nmse);
      }
      if (c.check_greedy) {
        CHECK(Greedy(models.cuda->backend_model(), prompt, 24) == Greedy(models.cpu->backend_model(), prompt, 24));
      }
    }
  }
}

// Runs `steps` on `model` with `kv` and returns a copy of the logits.
std::vector<float> RunStep(BackendModel& model, KvStorage& kv, const std::vector<SequenceStep>& steps) {
  auto logits = model.Step(steps, kv);
  INFO(logits.status());
  REQUIRE(logits.ok());
  return {logits->begin(), logits->end()};
}

TEST_CASE("a batched cuda step over paged kv with a shared prefix matches the cpu step", "[gpu][model]") {
  ::catena::testing::TempDir dir("catena-cuda-batch");
  const LoadedPair models = LoadBoth(testing::MakeSyntheticLlama(dir.path(), "f32", GgmlType::kF32));
  BackendModel& cpu = models.cpu->backend_model();
  BackendModel& gpu = models.cuda->backend_model();
  const KvType kv_type = GENERATE(KvType::kF16, KvType::kQ8_0);
  INFO("kv type " << static_cast<int>(kv_type));
  const KvLayout layout{.layers = cpu.spec().layer_count,
                        .kv_dim = cpu.spec().head_count_kv * cpu.spec().head_dim,
                        .block_size = 16,
                        .num_blocks = 32,
                        .type = kv_type};
  auto cpu_kv = cpu.NewKvStorage(layout);
  auto gpu_kv = gpu.NewKvStorage(layout);
  REQUIRE(cpu_kv.ok());
  REQUIRE(gpu_kv.ok());
  const std::vector<int32_t> a = Prompt(21, 1000), b = Prompt(17, 997), c = {5, 6, 7, 8};
  const std::vector<int32_t> table_a = {3, 7}, table_b = {9, 1}, table_c = {3, 12};  // c shares a's first block
  // Step 1: two prefills (20 and 5 tokens), 25 rows: the cuBLAS path.
  const std::vector<SequenceStep> first = {{std::span(a).first(20), 0, table_a, LogitsWanted::kLast},
                                           {std::span(b).first(5), 0, table_b, LogitsWanted::kAll}};
  // Step 2: a decodes one token, b runs a chunk of 12 with every logit, c continues a's prefix at 16: 17 rows.
  const std::vector<SequenceStep> second = {{std::span(a).subspan(20, 1), 20, table_a, LogitsWanted::kLast},
                                            {std::span(b).subspan(5, 12), 5, table_b, LogitsWanted::kAll},
                                            {c, 16, table_c, LogitsWanted::kLast}};
  // Step 3: three single decode tokens: the matvec path.
  const std::vector<int32_t> next = {11, 12, 13};
  const std::vector<SequenceStep> third = {{std::span(next).subspan(0, 1), 21, table_a, LogitsWanted::kLast},
                                           {std::span(next).subspan(1, 1), 17, table_b, LogitsWanted::kLast},
                                           {std::span(next).subspan(2, 1), 20, table_c, LogitsWanted::kLast}};
  for (const std::vector<SequenceStep>* steps : {&first, &second, &third}) {
    const std::vector<float> want = RunStep(cpu, **cpu_kv, *steps), got = RunStep(gpu, **gpu_kv, *steps);
    const double nmse = Nmse(got, want);
    INFO("step of " << steps->size() << " sequences, nmse " << nmse);
    CHECK(nmse <= 1e-5);
    const size_t vocab = static_cast<size_t>(cpu.spec().vocab_size);
    for (size_t row = 0; row * vocab < want.size(); ++row) {
      CHECK(ArgMax(std::span(got).subspan(row * vocab, vocab)) == ArgMax(std::span(want).subspan(row * vocab, vocab)));
    }
  }
}

TEST_CASE("the cuda model refuses bad steps and layouts as the cpu does", "[gpu][model]") {
  ::catena::testing::TempDir dir("catena-cuda-errors");
  const LoadedPair models = LoadBoth(testing::MakeSyntheticLlama(dir.path(), "q8_0", GgmlType::kQ8_0, 1));
  BackendModel& gpu = models.cuda->backend_model();
  KvLayout layout{.layers = 2,
                  .kv_dim = gpu.spec().head_count_kv * gpu.spec().head_dim,
                  .block_size = 16,
                  .num_blocks = 4,
                  .type = KvType::kF16};
  CHECK(gpu.NewKvStorage(layout).status().code() == absl::StatusCode::kInvalidArgument);  // 1 layer
  layout.layers = 1;
  auto kv = gpu.NewKvStorage(layout);
  REQUIRE(kv.ok());
  const std::vector<int32_t> bad = {1, 5000}, table = {0};
  const std::vector<SequenceStep> steps = {{bad, 0, table, LogitsWanted::kLast}};
  CHECK(gpu.Step(steps, **kv).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace catena::inference
