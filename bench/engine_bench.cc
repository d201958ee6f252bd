// Inference engine benchmark (issue 5) on the generated ~134M llama in Q8_0: aggregate decode tok/s with 1, 4,
// 16 and 64 concurrent sequences (aggregate_tok_per_s: tokens after the last request's first token, i.e. the
// decode phase once every prefill is done; end_to_end_tok_per_s: every token over the whole run, prefills of the
// 16-token prompts included), time to first token for a 512-token prompt without and with a prefix-cache
// hit, JSON-schema constrained decoding and triggered ("auto") tool-call decoding against unconstrained (best of
// five single requests each, constrained and unconstrained in turns). Environment:
// CATENA_BENCH_THREADS (default 2), CATENA_BENCH_TYPE (default q8_0), CATENA_ENGINE_BENCH_CONCURRENCY (default
// 1,4,16,64), CATENA_ENGINE_BENCH_REPS (best of N per concurrency, default 3), CATENA_ENGINE_BENCH_AGGREGATE_ONLY=1,
// CATENA_ENGINE_BENCH_KV (KV cache type, default f16; q8_0), CATENA_ENGINE_BENCH_PROMPT (prompt tokens of the
// aggregate runs, default 16; other lengths name their cases m130/<type>/p<length>/c<n>: long contexts).
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <string>
#include <vector>

#include "bench/bench_models.h"
#include "bench/bench_util.h"
#include "inference/engine.h"
#include "inference/json_schema_grammar.h"
#include "inference/tool_call_grammar.h"

using catena::bench::Emit;
using namespace catena::inference;

namespace {

constexpr char kBench[] = "engine";

// Counts finished requests and generated tokens; notes when the first token arrived, and when each token did
// (for the decode phase: after every request has its first token, i.e. after all prefills).
struct Tracker {
  std::mutex mutex;
  std::condition_variable cv;
  int finished = 0;
  int64_t tokens = 0;
  std::chrono::steady_clock::time_point first_token;
  bool has_first = false;
  std::vector<int64_t> started;                                                     // requests with a first token
  std::vector<std::pair<std::chrono::steady_clock::time_point, int64_t>> arrivals;  // (when, tokens)
  std::chrono::steady_clock::time_point all_started;
  EngineCallback Callback() {
    return [this](const EngineEvent& event) {
      std::lock_guard lock(mutex);
      const auto now = std::chrono::steady_clock::now();
      tokens += static_cast<int64_t>(event.tokens.size());
      if (!has_first && !event.tokens.empty()) {
        first_token = now;
        has_first = true;
      }
      if (!event.tokens.empty()) {
        arrivals.emplace_back(now, static_cast<int64_t>(event.tokens.size()));
        if (std::find(started.begin(), started.end(), event.request_id) == started.end()) {
          started.push_back(event.request_id);
          all_started = now;
        }
      }
      if (event.finished) {
        ++finished;
        cv.notify_all();
      }
    };
  }
  void WaitFor(int count) {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return finished >= count; });
  }
  // Tokens/s generated after the last request got its first token, up to the last token (0 if none).
  double DecodePhaseRate() {
    std::lock_guard lock(mutex);
    int64_t count = 0;
    std::chrono::steady_clock::time_point last = all_started;
    for (const auto& [when, n] : arrivals) {
      if (when <= all_started) continue;
      count += n;
      last = std::max(last, when);
    }
    const double seconds = std::chrono::duration<double>(last - all_started).count();
    return seconds > 0 ? static_cast<double>(count) / seconds : 0;
  }
};

std::vector<int32_t> Prompt(int length, int salt) {
  std::vector<int32_t> prompt = {1};
  for (int i = 1; i < length; ++i) prompt.push_back(3 + (i * 7919 + salt * 104729) % 31000);
  return prompt;
}

double Seconds(std::chrono::steady_clock::time_point start, std::chrono::steady_clock::time_point end) {
  return std::chrono::duration<double>(end - start).count();
}

struct AggregateRates {
  double decode = 0;      // tokens/s after every request's prefill (aggregate_tok_per_s)
  double end_to_end = 0;  // all tokens over the whole run, prefills included (end_to_end_tok_per_s)
};

// Best aggregate rates of `reps` runs of `concurrency` requests of 64 tokens each (prompts of prompt_tokens).
AggregateRates Aggregate(Engine& engine, const std::string& name, int concurrency, int prompt_tokens, int reps) {
  constexpr int kTokens = 64;
  AggregateRates best;
  double best_cpu_ms = 0;
  for (int rep = 0; rep < reps; ++rep) {
    Tracker tracker;
    const double cpu_start = catena::bench::CpuSeconds();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < concurrency; ++i) {
      auto id = engine.Submit(
          {.prompt = Prompt(prompt_tokens, i + 1000 * rep), .max_tokens = kTokens, .stop_at_end_of_generation = false},
          tracker.Callback());
      if (!id.ok()) {
        std::fprintf(stderr, "engine_bench: %s\n", id.status().ToString().c_str());
        std::abort();
      }
    }
    tracker.WaitFor(concurrency);
    const double rate = tracker.tokens / Seconds(start, std::chrono::steady_clock::now());
    best.decode = std::max(best.decode, tracker.DecodePhaseRate());
    if (rate > best.end_to_end) {
      best.end_to_end = rate;
      best_cpu_ms = (catena::bench::CpuSeconds() - cpu_start) * 1e3 / static_cast<double>(tracker.tokens);
    }
  }
  Emit(kBench, name, "aggregate_tok_per_s", best.decode, "1/s");
  Emit(kBench, name, "end_to_end_tok_per_s", best.end_to_end, "1/s");
  Emit(kBench, name, "cpu_ms_per_token", best_cpu_ms, "ms");
  return best;
}

std::vector<int> Concurrencies() {
  std::vector<int> out;
  const std::string list = catena::bench::EnvOr("CATENA_ENGINE_BENCH_CONCURRENCY", "1,4,16,64");
  size_t start = 0;
  while (start < list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    out.push_back(std::stoi(list.substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

// Decode tok/s of one 96-token request with the given constraints (rep seeds the prompt and the sampler;
// temperature 1, so a grammar is what shapes the output; `triggered` with `bias` toward its trigger measures
// auto tool calls).
double DecodeRate(Engine& engine, int rep, std::shared_ptr<const CompiledGrammar> grammar,
                  std::shared_ptr<const TriggeredGrammar> triggered, std::vector<std::pair<int32_t, float>> bias) {
  Tracker tracker;
  const auto start = std::chrono::steady_clock::now();
  EngineRequest request{.prompt = Prompt(16, 500 + rep),
                        .max_tokens = 96,
                        .sampling = {.temperature = 1.0f, .logit_bias = bias, .seed = static_cast<uint64_t>(rep)},
                        .grammar = grammar,
                        .triggered_grammar = triggered,
                        .stop_at_end_of_generation = false};
  if (!engine.Submit(std::move(request), tracker.Callback()).ok()) std::abort();
  tracker.WaitFor(1);
  return tracker.tokens / Seconds(start, std::chrono::steady_clock::now());
}

// Best decode rates of five requests without and with constraints, taken in turns so that a change in the
// machine's load between them (it may be shared) moves both alike.
std::pair<double, double> FreeAndConstrainedRates(Engine& engine, std::shared_ptr<const CompiledGrammar> grammar,
                                                  std::shared_ptr<const TriggeredGrammar> triggered,
                                                  const std::vector<std::pair<int32_t, float>>& bias) {
  double free = 0, constrained = 0;
  for (int rep = 0; rep < 5; ++rep) {
    free = std::max(free, DecodeRate(engine, rep, nullptr, nullptr, bias));
    constrained = std::max(constrained, DecodeRate(engine, rep, grammar, triggered, bias));
  }
  return {free, constrained};
}

double TimeToFirstToken(Engine& engine, const std::vector<int32_t>& prompt) {
  Tracker tracker;
  const auto start = std::chrono::steady_clock::now();
  if (!engine.Submit({.prompt = prompt, .max_tokens = 1, .stop_at_end_of_generation = false}, tracker.Callback())
           .ok()) {
    std::abort();
  }
  tracker.WaitFor(1);
  return Seconds(start, tracker.first_token) * 1e3;
}

}  // namespace

int main() {
  const int threads = std::stoi(catena::bench::EnvOr("CATENA_BENCH_THREADS", "2"));
  const std::string type = catena::bench::EnvOr("CATENA_BENCH_TYPE", "q8_0");
  std::shared_ptr<const Model> model = catena::bench::LoadOrDie(catena::bench::EnsureM130(type), threads);
  auto kv_type = ParseKvType(catena::bench::EnvOr("CATENA_ENGINE_BENCH_KV", "f16"));
  if (!kv_type.ok()) return 1;
  auto engine =
      Engine::Create(model, {.kv_memory_bytes = int64_t{1} << 30, .kv_type = *kv_type, .max_step_tokens = 512});
  if (!engine.ok()) {
    std::fprintf(stderr, "engine_bench: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  const int reps = std::stoi(catena::bench::EnvOr("CATENA_ENGINE_BENCH_REPS", "3"));
  const int prompt_tokens = std::stoi(catena::bench::EnvOr("CATENA_ENGINE_BENCH_PROMPT", "16"));
  const std::string prefix = "m130/" + type + (prompt_tokens == 16 ? "" : "/p" + std::to_string(prompt_tokens));
  AggregateRates batch1;
  for (int concurrency : Concurrencies()) {
    const std::string name = prefix + "/c" + std::to_string(concurrency);
    const AggregateRates rates = Aggregate(**engine, name, concurrency, prompt_tokens, reps);
    if (concurrency == 1) batch1 = rates;
    if (concurrency > 1 && batch1.decode > 0) {
      Emit(kBench, name, "aggregate_vs_c1", rates.decode / batch1.decode, "ratio");
      Emit(kBench, name, "end_to_end_vs_c1", rates.end_to_end / batch1.end_to_end, "ratio");
    }
  }
  if (catena::bench::EnvOr("CATENA_ENGINE_BENCH_AGGREGATE_ONLY", "0") == "1") return 0;

  constexpr char kSchema[] = R"({"type": "object", "properties": {
      "summary": {"type": "string", "maxLength": 400},
      "tags": {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 20},
      "priority": {"enum": ["low", "medium", "high"]}}, "required": ["summary", "tags", "priority"]})";
  auto grammar = CompileJsonSchema(kSchema, model->tokenizer());
  if (!grammar.ok()) return 1;
  const auto [free_rate, constrained_rate] = FreeAndConstrainedRates(**engine, *grammar, nullptr, {});
  Emit(kBench, "m130/" + type + "/json_schema", "constrained_tok_per_s", constrained_rate, "1/s");
  Emit(kBench, "m130/" + type + "/json_schema", "unconstrained_tok_per_s", free_rate, "1/s");
  Emit(kBench, "m130/" + type + "/json_schema", "constrained_ratio", constrained_rate / free_rate, "ratio");
  // Auto tool calls: Hermes markup opened by the one-token trigger `<` (a random model does not write the five
  // tokens of `<tool_call>` in order), pushed with logit_bias, so replies mix free text and calls.
  const std::vector<ToolDefinition> lookup = {{"lookup", "Find records", kSchema}};
  auto spec = ToolCallTriggerSpec(ToolCallFormat::kHermes, lookup, model->tokenizer());
  if (!spec.ok()) return 1;
  spec->trigger = "<";
  auto triggered = TriggeredGrammar::Compile(*spec, BuildGrammarVocabulary(model->tokenizer()));
  if (!triggered.ok()) return 1;
  std::vector<std::pair<int32_t, float>> bias;
  for (const char* piece : {"<", "\u2581<", "\"", "}"}) bias.emplace_back(model->tokenizer().TokenId(piece), 4.0f);
  const auto [free_biased, auto_rate] = FreeAndConstrainedRates(**engine, nullptr, *triggered, bias);
  Emit(kBench, "m130/" + type + "/auto_tool_calls", "constrained_tok_per_s", auto_rate, "1/s");
  Emit(kBench, "m130/" + type + "/auto_tool_calls", "constrained_ratio", auto_rate / free_biased, "ratio");

  const std::vector<int32_t> prompt = Prompt(512, 99);
  const double cold = TimeToFirstToken(**engine, prompt);
  std::vector<int32_t> follow_up = prompt;
  follow_up.back() = 12345;  // same 511-token prefix, new last token
  const double hit = TimeToFirstToken(**engine, follow_up);
  Emit(kBench, "m130/" + type + "/p512", "ttft_ms", cold, "ms");
  Emit(kBench, "m130/" + type + "/p512", "ttft_prefix_hit_ms", hit, "ms");
  Emit(kBench, "m130/" + type + "/p512", "ttft_prefix_hit_speedup", cold / hit, "ratio");
  return 0;
}
