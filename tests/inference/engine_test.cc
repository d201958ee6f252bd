// The engine under concurrency on a generated tiny llama: batched outputs equal single-sequence runs (greedy and
// seeded), prefix sharing, preemption with recomputation, queue limits, cancellation and deadlines.
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/asset_paths.h"
#include "common/metrics.h"
#include "inference/engine.h"
#include "inference/generate.h"
#include "inference/json_schema_grammar.h"
#include "nlohmann/json.hpp"
#include "tests/inference/engine_test_util.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace catena::inference {
namespace {

using testing::Outcome;
using testing::TinyModel;

std::vector<int32_t> Prompt(int length, int salt) {
  std::vector<int32_t> prompt = {1};
  for (int i = 1; i < length; ++i) prompt.push_back(100 + (i * 37 + salt * 101) % 20000);
  return prompt;
}

std::vector<int32_t> Alone(const Model& model, const std::vector<int32_t>& prompt, int max_tokens, float temperature,
                           uint64_t seed) {
  auto result = Generate(model, prompt,
                         {.max_tokens = max_tokens, .temperature = temperature, .seed = seed,
                          .stop_at_end_of_generation = false});
  REQUIRE(result.ok());
  return result->tokens;
}

// Runs `prompts` concurrently through `engine`; returns each one's tokens.
std::vector<std::vector<int32_t>> RunAll(Engine& engine, const std::vector<std::vector<int32_t>>& prompts,
                                         int max_tokens, float temperature) {
  std::vector<Outcome> outcomes(prompts.size());
  for (size_t i = 0; i < prompts.size(); ++i) {
    auto id = engine.Submit({.prompt = prompts[i], .max_tokens = max_tokens,
                             .sampling = {.temperature = temperature, .seed = 1000 + i},
                             .stop_at_end_of_generation = false},
                            outcomes[i].Callback());
    REQUIRE(id.ok());
  }
  std::vector<std::vector<int32_t>> tokens;
  for (Outcome& outcome : outcomes) {
    outcome.Wait();
    CHECK(outcome.last.finish_reason == "length");
    tokens.push_back(outcome.tokens);
  }
  return tokens;
}

TEST_CASE("batched requests produce what each produces alone, greedy and seeded", "[unit]") {
  testing::TempDir dir("catena-engine");
  auto model = TinyModel(dir);
  auto engine = Engine::Create(model, {.kv_type = KvType::kF32, .max_step_tokens = 48});
  REQUIRE(engine.ok());
  std::vector<std::vector<int32_t>> prompts;
  for (int i = 0; i < 8; ++i) prompts.push_back(Prompt(10 + 13 * i, i));  // up to 101 tokens: chunked prefill
  for (const float temperature : {0.0f, 0.9f}) {
    const auto batched = RunAll(**engine, prompts, 12, temperature);
    for (size_t i = 0; i < prompts.size(); ++i) {
      INFO("request " << i << " temperature " << temperature);
      CHECK(batched[i] == Alone(*model, prompts[i], 12, temperature, 1000 + i));
    }
  }
  CHECK((*engine)->stats().steps > 0);
  CHECK((*engine)->stats().kv_blocks_used == 0);  // everything released (cached blocks are not "used")
}

TEST_CASE("a shared prompt prefix is served from the prefix cache", "[unit]") {
  testing::TempDir dir("catena-engine");
  auto model = TinyModel(dir);
  MetricsRegistry metrics;
  auto engine = Engine::Create(model, {.block_size = 16, .kv_type = KvType::kF32}, &metrics, "tiny");
  REQUIRE(engine.ok());
  const std::vector<int32_t> system = Prompt(70, 3);
  std::vector<int32_t> first = system, second = system;
  first.insert(first.end(), {500, 501, 502});
  second.insert(second.end(), {900, 901});
  Outcome a, b;
  REQUIRE((*engine)->Submit({.prompt = first, .max_tokens = 4, .stop_at_end_of_generation = false}, a.Callback()).ok());
  a.Wait();
  CHECK(a.last.cached_prompt_tokens == 0);
  REQUIRE((*engine)->Submit({.prompt = second, .max_tokens = 4, .stop_at_end_of_generation = false}, b.Callback()).ok());
  b.Wait();
  CHECK(b.last.cached_prompt_tokens == 64);  // 4 full blocks of the 70-token shared prefix
  CHECK(b.tokens == Alone(*model, second, 4, 0, 0));
  CHECK((*engine)->stats().prefix_hits == 4);
  // Gauges are published at the end of the engine step that delivered the final event, so they may trail it.
  std::string text = metrics.RenderText();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (text.find(R"(catena_inference_requests_running{model="tiny"} 0)") == std::string::npos &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    text = metrics.RenderText();
  }
  INFO(text);
  CHECK_THAT(text, Catch::Contains(R"(catena_inference_prefix_cache_hits_total{model="tiny"} 4)"));
  CHECK_THAT(text, Catch::Contains(R"(catena_inference_prefix_cache_lookups_total{model="tiny"} 8)"));
  CHECK_THAT(text, Catch::Contains(R"(catena_inference_prefix_cache_hit_rate{model="tiny"} 0.5)"));
  CHECK_THAT(text, Catch::Contains(R"(catena_inference_time_to_first_token_seconds_count{model="tiny"} 2)"));
  CHECK_THAT(text, Catch::Contains(R"(catena_inference_time_per_output_token_seconds_count{model="tiny"} 6)"));
  CHECK_THAT(text, Catch::Contains(R"(catena_inference_requests_running{model="tiny"} 0)"));
}

TEST_CASE("when KV blocks run out sequences are preempted, recomputed and still correct", "[unit]") {
  testing::TempDir dir("catena-engine");
  auto model = TinyModel(dir);
  auto engine = Engine::Create(model, {.block_size = 4, .kv_blocks = 24, .kv_type = KvType::kF32});
  REQUIRE(engine.ok());
  std::vector<std::vector<int32_t>> prompts;
  for (int i = 0; i < 5; ++i) prompts.push_back(Prompt(14, 20 + i));  // 5 x (14 + 20) positions > 96
  const auto batched = RunAll(**engine, prompts, 20, 0.0f);
  for (size_t i = 0; i < prompts.size(); ++i) CHECK(batched[i] == Alone(*model, prompts[i], 20, 0, 0));
  CHECK((*engine)->stats().preemptions > 0);
}

TEST_CASE("a q8_0 KV cache holds about 1.9x the blocks of f16 in the same memory and serves batches", "[unit]") {
  testing::TempDir dir("catena-engine");
  auto model = TinyModel(dir, "2");
  const int64_t memory = int64_t{4} << 20;
  auto f16 = Engine::Create(model, {.kv_memory_bytes = memory, .kv_type = KvType::kF16});
  auto q8 = Engine::Create(model, {.kv_memory_bytes = memory, .kv_type = KvType::kQ8_0});
  REQUIRE(f16.ok());
  REQUIRE(q8.ok());
  const EngineStats a = (*f16)->stats(), b = (*q8)->stats();
  CHECK(b.kv_block_bytes * 64 == a.kv_block_bytes * 34);
  CHECK(b.kv_blocks_total == memory / b.kv_block_bytes);
  CHECK(b.kv_blocks_total > a.kv_blocks_total * 18 / 10);
  std::vector<std::vector<int32_t>> prompts;
  for (int i = 0; i < 4; ++i) prompts.push_back(Prompt(9 + i, 40 + i));
  const auto with_f16 = RunAll(**f16, prompts, 24, 0.0f);
  const auto with_q8 = RunAll(**q8, prompts, 24, 0.0f);
  size_t same = 0, total = 0;  // greedy tokens up to the first divergence, summed over the requests
  for (size_t i = 0; i < prompts.size(); ++i) {
    REQUIRE(with_q8[i].size() == 24);
    size_t k = 0;
    while (k < 24 && with_q8[i][k] == with_f16[i][k]) ++k;
    same += k;
    total += 24;
  }
  INFO("greedy tokens agreeing before the first divergence: " << same << " of " << total);
  CHECK(same * 2 >= total);
}

TEST_CASE("a full queue, cancellation and deadlines finish requests with clear reasons", "[unit]") {
  testing::TempDir dir("catena-engine");
  auto model = TinyModel(dir);
  auto engine = Engine::Create(model, {.max_running = 1, .max_waiting = 2});
  REQUIRE(engine.ok());
  std::vector<Outcome> outcomes(6);
  int accepted = 0, exhausted = 0;
  std::vector<std::pair<size_t, int64_t>> ids;  // outcome index, request id (any submission may be accepted)
  for (size_t i = 0; i < outcomes.size(); ++i) {
    auto id = (*engine)->Submit({.prompt = Prompt(8, 1), .max_tokens = 400, .stop_at_end_of_generation = false},
                                outcomes[i].Callback());
    if (id.ok()) {
      ++accepted;
      ids.emplace_back(i, *id);
    } else {
      CHECK(id.status().code() == absl::StatusCode::kResourceExhausted);
      CHECK_THAT(std::string(id.status().message()), Catch::Contains("queue is full"));
      ++exhausted;
    }
  }
  CHECK(accepted <= 3);
  CHECK(exhausted >= 3);
  for (const auto& [index, id] : ids) (*engine)->Cancel(id);
  for (const auto& [index, id] : ids) {
    outcomes[index].Wait();
    CHECK(outcomes[index].last.finish_reason == "cancelled");
    CHECK(outcomes[index].last.completion_tokens < 400);
  }
  Outcome late;
  REQUIRE((*engine)->Submit({.prompt = Prompt(8, 2), .max_tokens = 400, .stop_at_end_of_generation = false,
                             .deadline = absl::Now() + absl::Milliseconds(30)},
                            late.Callback())
              .ok());
  late.Wait();
  CHECK(late.last.finish_reason == "deadline");
  CHECK(late.last.status.code() == absl::StatusCode::kDeadlineExceeded);
  CHECK((*engine)->Submit({.prompt = {}}, {}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK((*engine)->Submit({.prompt = Prompt(600, 1)}, {}).status().code() == absl::StatusCode::kInvalidArgument);
  // A prompt over the context is named as such even when max_tokens is 0 (the room a caller found left).
  const absl::Status over = (*engine)->Submit({.prompt = Prompt(600, 1), .max_tokens = 0}, {}).status();
  CHECK_THAT(std::string(over.message()), Catch::Contains("the prompt has 600 tokens"));
}

}  // namespace
}  // namespace catena::inference

namespace catena::inference {
namespace {

TEST_CASE("a JSON-schema grammar makes even a random model produce valid JSON, batched", "[unit]") {
  testing::TempDir dir("catena-engine");
  auto model = TinyModel(dir);
  auto engine = Engine::Create(model);
  REQUIRE(engine.ok());
  const std::string schema = R"({"type": "object", "properties": {
      "account": {"type": "string", "maxLength": 12}, "amount": {"type": "integer"},
      "currency": {"enum": ["EUR", "USD"]}, "flags": {"type": "array", "items": {"type": "boolean"}, "maxItems": 3}},
      "required": ["account", "amount", "currency"]})";
  auto grammar = CompileJsonSchema(schema, model->tokenizer());
  REQUIRE(grammar.ok());
  std::vector<Outcome> outcomes(6);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    REQUIRE((*engine)
                ->Submit({.prompt = Prompt(12, static_cast<int>(i)), .max_tokens = 200,
                          .sampling = {.temperature = 1.0f, .seed = i}, .grammar = *grammar},
                         outcomes[i].Callback())
                .ok());
  }
  for (Outcome& outcome : outcomes) {
    outcome.Wait();
    CHECK(outcome.last.finish_reason == "stop");
    const std::string text = model->tokenizer().Decode(outcome.tokens, /*skip_special=*/true);
    INFO(text);
    const nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    REQUIRE(value.is_object());
    CHECK(value["account"].is_string());
    const std::string account = value["account"].get<std::string>();
    const auto code_points =  // maxLength counts code points, not bytes
        std::count_if(account.begin(), account.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
    CHECK(code_points <= 12);
    CHECK(value["amount"].is_number_integer());
    CHECK((value["currency"] == "EUR" || value["currency"] == "USD"));
    if (value.contains("flags")) CHECK(value["flags"].size() <= 3);
  }
}

TEST_CASE("a free-key object grammar makes a random model produce JSON objects with any members", "[unit]") {
  testing::TempDir dir("catena-engine");
  auto model = TinyModel(dir);
  auto engine = Engine::Create(model);
  REQUIRE(engine.ok());
  auto grammar = CompileJsonSchema(R"({"type": "object"})", model->tokenizer());
  REQUIRE(grammar.ok());
  const TextTokenizer& tok = model->tokenizer();
  // Without a nudge toward closing quotes and brackets a random model writes strings for thousands of tokens.
  const std::vector<std::pair<int32_t, float>> bias = {
      {tok.TokenId("\""), 10.0f}, {tok.TokenId("}"), 4.0f}, {tok.TokenId("]"), 4.0f}, {tok.TokenId(","), 4.0f}};
  for (const auto& [id, weight] : bias) REQUIRE(id >= 0);
  std::vector<Outcome> outcomes(8);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    REQUIRE((*engine)
                ->Submit({.prompt = Prompt(10, static_cast<int>(i)), .max_tokens = 300,
                          .sampling = {.temperature = 1.0f, .logit_bias = bias, .seed = 40 + i}, .grammar = *grammar},
                         outcomes[i].Callback())
                .ok());
  }
  size_t members = 0;
  for (Outcome& outcome : outcomes) {
    outcome.Wait();
    const std::string text = tok.Decode(outcome.tokens, /*skip_special=*/true);
    INFO(text);
    CHECK(outcome.last.finish_reason == "stop");
    const nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    REQUIRE(value.is_object());
    members += value.size();
  }
  CHECK(members > 0);  // not only "{}"
}

}  // namespace
}  // namespace catena::inference
