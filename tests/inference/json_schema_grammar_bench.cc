// Mask cost of the JSON-schema grammar (hidden: run `inference_grammar_test "[.bench]"`): microseconds per
// AllowedTokens() cold (first time a state is seen) and warm (cached), and the grammar's share of a simulated
// decode, for the 32k Mistral and the 128k Llama 3 vocabularies.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <vector>

#include "inference/generate.h"
#include "inference/model.h"
#include "inference/sampler.h"
#include "tests/inference/grammar_test_util.h"

namespace catena::inference {
namespace {

constexpr char kSchema[] = R"({"type":"object","properties":{
  "name":{"type":"string"},"age":{"type":"integer"},"bio":{"type":"string","maxLength":200},
  "tags":{"type":"array","items":{"type":"string","maxLength":16},"maxItems":8},
  "score":{"anyOf":[{"type":"number"},{"type":"null"}]}},"required":["name","age","bio","tags","score"]})";

constexpr char kAnyValue[] = R"({})";

constexpr char kPatterns[] = R"({"type":"object","properties":{"day":{"type":"string","format":"date-time"},
  "iban":{"type":"string","pattern":"^[A-Z]{2}\\d{2}[A-Z0-9]{4,30}$"},
  "note":{"type":"string","pattern":"ok","maxLength":200}},"required":["day","iban","note"]})";

double Micros(std::chrono::steady_clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

// Time of AllowedTokens() after `prefix` on a fresh grammar (cold) and again on a copy (warm).
void TimeState(const testing::LoadedVocabulary& vocab, const char* label, const std::string& prefix,
               const char* schema = kSchema) {
  auto grammar = CompileJsonSchema(schema, vocab.vocabulary);
  REQUIRE(grammar.ok());
  GrammarMatcher matcher(*grammar);
  for (int32_t id : vocab.tokenizer->Encode(prefix)) REQUIRE(matcher.Accept(id).ok());
  GrammarMatcher copy = matcher;
  auto start = std::chrono::steady_clock::now();
  const int32_t allowed = matcher.AllowedTokens().Count();
  const double cold = Micros(std::chrono::steady_clock::now() - start);
  start = std::chrono::steady_clock::now();
  copy.AllowedTokens();
  const double warm = Micros(std::chrono::steady_clock::now() - start);
  std::vector<float> logits(vocab.tokenizer->vocab_size(), 0.5f);
  start = std::chrono::steady_clock::now();
  copy.ApplyMask(logits);
  const double apply = Micros(std::chrono::steady_clock::now() - start);
  std::printf("  %-28s allowed %6d  cold %8.1f us  warm %6.2f us  ApplyMask %6.1f us\n", label, allowed, cold, warm,
              apply);
}

// A decode of `tokens` sampled tokens: mean microseconds per step spent in AllowedTokens + Accept.
void TimeDecode(const testing::LoadedVocabulary& vocab, int walks) {
  auto grammar = CompileJsonSchema(kSchema, vocab.vocabulary);
  REQUIRE(grammar.ok());
  std::mt19937 rng(7);
  int64_t steps = 0;
  std::chrono::steady_clock::duration spent{};
  for (int w = 0; w < walks; ++w) {
    GrammarMatcher matcher(*grammar);
    for (int step = 0; step < 400; ++step) {
      auto start = std::chrono::steady_clock::now();
      const TokenBitmask& mask = matcher.AllowedTokens();
      spent += std::chrono::steady_clock::now() - start;
      int32_t pick = std::uniform_int_distribution<int32_t>(0, mask.Count() - 1)(rng);
      int32_t id = 0;
      while (!mask.Test(id) || pick-- > 0) ++id;
      if (vocab.tokenizer->IsEndOfGeneration(id)) break;
      start = std::chrono::steady_clock::now();
      REQUIRE(matcher.Accept(id).ok());
      spent += std::chrono::steady_clock::now() - start;
      ++steps;
    }
  }
  std::printf("  random decode: %lld steps, %.1f us per step (mask + accept), %zu cached masks\n",
              static_cast<long long>(steps), Micros(spent) / static_cast<double>(steps), (*grammar)->cached_masks());
}

TEST_CASE("mask cost per decoding step", "[.bench]") {
  for (const auto* vocab : {&testing::Mistral(), &testing::Llama3()}) {
    std::printf("vocabulary %d tokens\n", vocab->tokenizer->vocab_size());
    auto start = std::chrono::steady_clock::now();
    BuildGrammarVocabulary(*vocab->tokenizer);
    std::printf("  vocabulary index build %.1f ms\n", Micros(std::chrono::steady_clock::now() - start) / 1000);
    start = std::chrono::steady_clock::now();
    REQUIRE(CompileJsonSchema(kSchema, vocab->vocabulary).ok());
    std::printf("  schema compile %.1f us\n", Micros(std::chrono::steady_clock::now() - start));
    TimeState(*vocab, "start of output", "");
    TimeState(*vocab, "string text (unbounded)", R"({"name": "Ada Love)");
    TimeState(*vocab, "string text (maxLength 200)", R"({"name": "Ada", "age": 36, "bio": "Wrote the)");
    TimeState(*vocab, "string near maxLength 16", R"({"name": "Ada", "age": 36, "bio": "x", "tags": ["abcdefghij)");
    TimeState(*vocab, "integer digits", R"({"name": "Ada", "age": 3)");
    TimeState(*vocab, "anyOf number|null", R"({"name": "Ada", "age": 36, "bio": "x", "tags": [], "score": )");
    TimeState(*vocab, "any value: start", "", kAnyValue);
    TimeState(*vocab, "any value: free key text", R"({"a": [1, {"ke)", kAnyValue);
    TimeState(*vocab, "any value: after a number", R"({"a": [1, {"k": 2)", kAnyValue);
    start = std::chrono::steady_clock::now();
    REQUIRE(CompileJsonSchema(kPatterns, vocab->vocabulary).ok());
    std::printf("  pattern schema compile %.1f us\n", Micros(std::chrono::steady_clock::now() - start));
    TimeState(*vocab, "format date-time: digits", R"({"day": "2024-1)", kPatterns);
    TimeState(*vocab, "pattern: IBAN body", R"({"day": "2024-11-29T10:00:00Z", "iban": "DE89AB)", kPatterns);
    TimeState(*vocab, "pattern: unanchored, maxLength 200", R"({"day": "2024-11-29T10:00:00Z", "iban": "DE89ABCD", "note": "a b)",
              kPatterns);
    TimeDecode(*vocab, 20);
  }
}

// Decodes `tokens` tokens after `prompt` with temperature sampling; with a matcher, masks every step (and, with
// `use_forced`, feeds forced tokens in one forward pass). A finished instance restarts the matcher. Returns
// tokens/s; `grammar_share` gets the fraction of the time spent in the matcher (mask, accept, forced tokens).
double DecodeRate(const Model& model, const std::vector<int32_t>& prompt, int tokens, GrammarMatcher* matcher,
                  bool use_forced, double* grammar_share = nullptr) {
  auto session = model.backend_model().NewSession(static_cast<int64_t>(prompt.size()) + tokens + 300).value();
  std::span<const float> logits = session->Forward(prompt, false).value();
  Sampler sampler = Sampler::Create({.temperature = 1.0f, .seed = 3}, model.tokenizer().vocab_size()).value();
  std::vector<float> masked;
  int produced = 0;
  std::chrono::steady_clock::duration in_grammar{};
  const auto start = std::chrono::steady_clock::now();
  while (produced < tokens) {
    std::vector<int32_t> next;
    const auto forced_start = std::chrono::steady_clock::now();
    if (matcher != nullptr && use_forced) next = matcher->ForcedTokens();
    in_grammar += std::chrono::steady_clock::now() - forced_start;
    if (next.empty()) {
      masked.assign(logits.begin(), logits.end());
      const auto mask_start = std::chrono::steady_clock::now();
      if (matcher != nullptr) matcher->ApplyMask(masked);
      in_grammar += std::chrono::steady_clock::now() - mask_start;
      next.push_back(sampler.Sample(masked).token);
    }
    const auto accept_start = std::chrono::steady_clock::now();
    for (int32_t id : next) {
      if (matcher == nullptr) continue;
      REQUIRE(matcher->Accept(id).ok());
      if (matcher->IsTerminated()) matcher->Reset();
    }
    in_grammar += std::chrono::steady_clock::now() - accept_start;
    logits = session->Forward(next, false).value();
    produced += static_cast<int>(next.size());
  }
  const auto total = std::chrono::steady_clock::now() - start;
  if (grammar_share != nullptr) *grammar_share = Micros(in_grammar) / Micros(total);
  return produced / std::chrono::duration<double>(total).count();
}

TEST_CASE("constrained decode throughput on the 130M model", "[.bench]") {
  const auto path = DefaultCacheDir() / "bench-models" / "m130-q8_0.gguf";
  if (!std::filesystem::exists(path)) {
    WARN(path.string() << " is missing: run inference_bench once to generate it");
    return;
  }
  auto model = Model::Load(path.string(), ModelOptions{.backend = "cpu", .threads = 2});
  REQUIRE(model.ok());
  const std::vector<int32_t> prompt = (*model)->tokenizer().Encode("Answer in JSON: who wrote the first program?");
  auto grammar = CompileJsonSchema(kSchema, (*model)->tokenizer());
  REQUIRE(grammar.ok());
  constexpr int kTokens = 160;
  double plain = 0, constrained = 0, with_forced = 0;  // best of the repetitions (the CPU is shared)
  double share = 0, forced_share = 0;
  for (int rep = 0; rep < 4; ++rep) {
    plain = std::max(plain, DecodeRate(**model, prompt, kTokens, nullptr, false));
    GrammarMatcher masked(*grammar);
    constrained = std::max(constrained, DecodeRate(**model, prompt, kTokens, &masked, false, &share));
    GrammarMatcher forced(*grammar);
    with_forced = std::max(with_forced, DecodeRate(**model, prompt, kTokens, &forced, true, &forced_share));
  }
  std::printf(
      "m130 q8_0, %d tokens, best of 4: unconstrained %.1f tok/s, constrained %.1f tok/s (%.3fx), "
      "constrained + forced tokens %.1f tok/s (%.3fx)\n",
      kTokens, plain, constrained, constrained / plain, with_forced, with_forced / plain);
  std::printf("  time in the matcher (last run): %.2f%% masked, %.2f%% masked + forced\n", 100 * share,
              100 * forced_share);
}

}  // namespace
}  // namespace catena::inference
