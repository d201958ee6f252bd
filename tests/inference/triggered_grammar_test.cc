// Triggered (lazy) tool-call grammars on the real Llama 3 (byte-level) and Mistral (SentencePiece) vocabularies:
// free text is masked only where a token would complete the trigger badly, calls after the trigger are valid
// token by token, a trigger split across tokens or ending inside one, parallel calls, the closing marker inside
// a longer token, random walks that always parse to valid calls, and the per-tool-set grammar cache.
#include "inference/triggered_grammar.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "inference/grammar_vocabulary.h"
#include "inference/tool_call_grammar.h"
#include "inference/tool_call_parser.h"
#include "inference/tool_choice.h"
#include "nlohmann/json.hpp"
#include "tests/inference/grammar_test_util.h"

namespace catena::inference {
namespace {

std::vector<ToolDefinition> Tools() {
  return {{"get_weather", "Weather for a city",
           R"({"type":"object","properties":{"city":{"type":"string","maxLength":10},
               "unit":{"enum":["celsius","fahrenheit"]}},"required":["city","unit"]})"},
          {"add", "Sum of two integers",
           R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["a","b"]})"}};
}

std::vector<std::string> Names() { return {"get_weather", "add"}; }

// The arguments' violations of Tools() ("" when valid).
std::string ArgumentProblem(const ChatToolCall& call) {
  const nlohmann::json args = nlohmann::json::parse(call.arguments_json, nullptr, false);
  if (!args.is_object()) return "not an object";
  if (call.name == "get_weather") {
    if (!args["city"].is_string() || args["city"].get<std::string>().size() > 40) return "city";
    if (args["unit"] != "celsius" && args["unit"] != "fahrenheit") return "unit";
    return args.size() == 2 ? "" : "extra keys";
  }
  if (call.name == "add") {
    return args["a"].is_number_integer() && args["b"].is_number_integer() && args.size() == 2 ? "" : "add";
  }
  return "unknown tool";
}

std::shared_ptr<const TriggeredGrammar> HermesGrammar(const testing::LoadedVocabulary& vocab) {
  auto spec = ToolCallTriggerSpec(ToolCallFormat::kHermes, Tools(), *vocab.tokenizer);
  REQUIRE(spec.ok());
  auto grammar = TriggeredGrammar::Compile(*spec, vocab.vocabulary);
  INFO(grammar.status());
  REQUIRE(grammar.ok());
  return *grammar;
}

// Accepts `ids` one by one, each of which must be in the mask first; false at the first refused token.
bool AcceptAll(TriggeredMatcher& matcher, const std::vector<int32_t>& ids) {
  for (int32_t id : ids) {
    const bool allowed = matcher.AllowedTokens().Test(id);
    const bool accepted = matcher.Accept(id).ok();
    REQUIRE(allowed == accepted);  // the mask says exactly what Accept takes
    if (!accepted) return false;
  }
  return true;
}

std::vector<int32_t> Encode(const testing::LoadedVocabulary& vocab, const std::string& text) {
  return vocab.tokenizer->Encode(text);
}

TEST_CASE("a triggered matcher leaves text free and accepts valid calls after the trigger", "[unit]") {
  const testing::LoadedVocabulary& vocab = testing::Llama3();
  auto grammar = HermesGrammar(vocab);
  TriggeredMatcher matcher(grammar);
  CHECK(matcher.AllowsEverything());
  const std::string text =
      "Let me check. <tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": "
      "\"celsius\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 2, \"b\": -3}}\n"
      "</tool_call> Done.";
  REQUIRE(AcceptAll(matcher, Encode(vocab, text)));
  CHECK(matcher.completed_parts() == 2);
  CHECK_FALSE(matcher.InsidePart());
  CHECK(ParseToolCalls(text, Names()).calls.size() == 2);

  for (const std::string bad : {"<tool_call>\n{\"name\": \"delete_all\"", "<tool_call>\n{\"name\": \"add\", "
                                "\"arguments\": {\"a\": \"two\"", "<tool_call>\nSure!"}) {
    TriggeredMatcher fresh(grammar);
    INFO(bad);
    CHECK_FALSE(AcceptAll(fresh, Encode(vocab, bad)));
  }
}

TEST_CASE("free text differs from the unmasked logits only at tokens that complete the trigger badly", "[unit]") {
  const testing::LoadedVocabulary& vocab = testing::Llama3();
  auto grammar = HermesGrammar(vocab);
  TriggeredMatcher matcher(grammar);
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  std::vector<float> logits(static_cast<size_t>(grammar->vocab_size()));
  for (float& logit : logits) logit = normal(rng);
  for (const std::string prefix : {"Hello there", " <tool", "_call"}) {
    REQUIRE(AcceptAll(matcher, Encode(vocab, prefix)));
    std::vector<float> masked = logits;
    matcher.ApplyMask(masked);
    int changed = 0;
    for (int32_t id = 0; id < grammar->vocab_size(); ++id) {
      if (masked[id] == logits[id]) continue;
      ++changed;
      TriggeredMatcher probe = matcher;
      CHECK_FALSE(probe.Accept(id).ok());  // only tokens the grammar would refuse are masked
      CHECK(vocab.vocabulary->Bytes(id).find('>') != std::string_view::npos);
    }
    INFO(prefix);
    if (std::string(prefix) != "_call") {
      CHECK(changed == 0);  // far from the trigger nothing is masked at all
      CHECK(matcher.AllowsEverything());
    } else {
      CHECK(changed > 0);  // "<tool_call" + ">\n\n", ">{}"... would start an invalid call
      CHECK_FALSE(matcher.AllowsEverything());
    }
  }
}

TEST_CASE("a trigger split across tokens or ending inside a token starts the call at the right byte", "[unit]") {
  const testing::LoadedVocabulary& vocab = testing::Llama3();
  auto grammar = HermesGrammar(vocab);
  const int32_t gt_newline = vocab.tokenizer->TokenId(">\u010a");  // ">\n" in byte-level spelling
  const int32_t gt_double_newline = vocab.tokenizer->TokenId(">\u010a\u010a");
  REQUIRE(gt_newline >= 0);
  REQUIRE(gt_double_newline >= 0);
  TriggeredMatcher matcher(grammar);
  REQUIRE(AcceptAll(matcher, Encode(vocab, "ok <tool_call")));
  CHECK_FALSE(matcher.InsidePart());
  CHECK(matcher.AllowedTokens().Test(gt_newline));          // the trigger ends inside it; "\n" is valid markup
  CHECK_FALSE(matcher.AllowedTokens().Test(gt_double_newline));  // "\n\n" is not
  REQUIRE(matcher.Accept(gt_newline).ok());
  CHECK(matcher.InsidePart());
  REQUIRE(AcceptAll(matcher, Encode(vocab, "{\"name\": \"add\", \"arguments\": {\"a\": 1, \"b\": 2}}\n</tool_call")));
  CHECK(matcher.InsidePart());
  // The closing marker may end inside a longer token whose rest is free text.
  CHECK(matcher.AllowedTokens().Test(gt_double_newline));
  REQUIRE(matcher.Accept(gt_double_newline).ok());
  CHECK_FALSE(matcher.InsidePart());
  CHECK(matcher.completed_parts() == 1);
}

// A random walk: free text, a trigger (encoded in two random halves when `split`; SentencePiece would put a
// space before the second), then uniformly random allowed tokens inside the call; up to three calls.
std::string RandomWalk(const testing::LoadedVocabulary& vocab, std::shared_ptr<const TriggeredGrammar> grammar,
                       bool split, std::mt19937& rng, int& completed) {
  const std::string trigger = "<tool_call>\n";
  TriggeredMatcher matcher(grammar);
  std::vector<int32_t> ids;
  std::string text;
  for (int step = 0; step < 600 && matcher.completed_parts() < 3; ++step) {
    if (!matcher.InsidePart()) {
      const size_t at = split ? std::uniform_int_distribution<size_t>(1, trigger.size() - 1)(rng) : trigger.size();
      const std::string free_text = step % 2 == 0 ? " some text " : " and";
      std::vector<int32_t> piece = Encode(vocab, free_text + trigger.substr(0, at));
      if (at < trigger.size()) {
        for (int32_t id : Encode(vocab, trigger.substr(at))) piece.push_back(id);
      }
      REQUIRE(AcceptAll(matcher, piece));
      ids.insert(ids.end(), piece.begin(), piece.end());
      REQUIRE(matcher.InsidePart());
      continue;
    }
    const TokenBitmask& mask = matcher.AllowedTokens();
    int32_t pick = std::uniform_int_distribution<int32_t>(0, mask.Count() - 1)(rng);
    int32_t id = 0;
    while (!mask.Test(id) || pick-- > 0) ++id;
    REQUIRE(matcher.Accept(id).ok());
    ids.push_back(id);
  }
  completed = matcher.completed_parts();
  if (matcher.InsidePart()) return "";
  return testing::OutputBytes(*vocab.tokenizer, ids);
}

TEST_CASE("random walks through triggered tool-call grammars always parse to valid calls", "[unit]") {
  for (const testing::LoadedVocabulary* vocab : {&testing::Llama3(), &testing::Mistral()}) {
    auto grammar = HermesGrammar(*vocab);
    std::mt19937 rng(11);
    int finished = 0, calls = 0;
    for (int walk = 0; walk < 20; ++walk) {
      int completed = 0;
      const std::string text = RandomWalk(*vocab, grammar, vocab == &testing::Llama3(), rng, completed);
      if (text.empty()) continue;
      INFO(text);
      const ToolCallParse parse = ParseToolCalls(text, Names());
      REQUIRE(static_cast<int>(parse.calls.size()) == completed);
      for (const ChatToolCall& call : parse.calls) CHECK(ArgumentProblem(call) == "");
      ++finished;
      calls += completed;
    }
    CHECK(finished >= 8);
    CHECK(calls >= 2 * finished);  // parallel calls
  }
}

TEST_CASE("Mistral calls are triggered by [TOOL_CALLS] and constrained to an array of calls", "[unit]") {
  const testing::LoadedVocabulary& vocab = testing::Mistral();
  auto spec = ToolCallTriggerSpec(ToolCallFormat::kMistral, Tools(), *vocab.tokenizer);
  REQUIRE(spec.ok());
  auto grammar = TriggeredGrammar::Compile(*spec, vocab.vocabulary);
  REQUIRE(grammar.ok());
  const std::string text = "[TOOL_CALLS] [{\"name\": \"add\", \"arguments\": {\"a\": 1, \"b\": 2}}]";
  TriggeredMatcher matcher(*grammar);
  REQUIRE(AcceptAll(matcher, Encode(vocab, text)));
  CHECK(matcher.completed_parts() == 1);
  CHECK(ParseToolCalls(text, Names()).calls.size() == 1);
  TriggeredMatcher bad(*grammar);
  CHECK_FALSE(AcceptAll(bad, Encode(vocab, "[TOOL_CALLS] [{\"name\": \"rm\"")));
}

TEST_CASE("tool grammars are compiled once per format and tool set", "[unit]") {
  const testing::LoadedVocabulary& vocab = testing::Llama3();
  ToolGrammarCache cache(vocab.vocabulary, *vocab.tokenizer, /*capacity=*/2);
  auto first = cache.Get(ToolCallFormat::kHermes, Tools());
  auto again = cache.Get(ToolCallFormat::kHermes, Tools());
  REQUIRE(first.ok());
  REQUIRE(again.ok());
  CHECK(first->get() == again->get());
  CHECK(cache.compilations() == 1);
  std::vector<ToolDefinition> fewer = {Tools()[1]};
  auto other = cache.Get(ToolCallFormat::kHermes, fewer);
  REQUIRE(other.ok());
  CHECK(other->get() != first->get());
  CHECK(cache.compilations() == 2);
  REQUIRE(cache.Get(ToolCallFormat::kMistral, fewer).ok());  // a third entry drops the oldest
  REQUIRE(cache.Get(ToolCallFormat::kHermes, Tools()).ok());
  CHECK(cache.compilations() == 4);
  CHECK(cache.Get(ToolCallFormat::kNone, Tools()).status().code() == absl::StatusCode::kInvalidArgument);
}

// Costs (hidden: `inference_grammar_test "[.bench]"`): compiling a tool set's triggered grammar, and a decoding
// step (AllowedTokens + ApplyMask + Accept) in free text and inside a call, warm, per vocabulary.
TEST_CASE("triggered grammar costs", "[.bench]") {
  using Clock = std::chrono::steady_clock;
  auto micros = [](Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); };
  for (const testing::LoadedVocabulary* vocab : {&testing::Mistral(), &testing::Llama3()}) {
    const auto compile_start = Clock::now();
    auto grammar = HermesGrammar(*vocab);
    const double compile_ms = micros(Clock::now() - compile_start) / 1000;
    const std::string free_text = "Let me look that up for you, it will take a moment. ";
    const std::string call =
        "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\", \"unit\": \"celsius\"}}\n</tool_call>";
    const std::vector<int32_t> free_ids = Encode(*vocab, free_text), call_ids = Encode(*vocab, call);
    std::vector<float> logits(static_cast<size_t>(grammar->vocab_size()));
    auto run = [&](TriggeredMatcher& matcher, const std::vector<int32_t>& ids) {
      const auto start = Clock::now();
      for (int32_t id : ids) {
        matcher.ApplyMask(logits);
        REQUIRE(matcher.Accept(id).ok());
      }
      return micros(Clock::now() - start) / static_cast<double>(ids.size());
    };
    TriggeredMatcher warmup(grammar);
    run(warmup, free_ids);
    run(warmup, call_ids);
    TriggeredMatcher matcher(grammar);
    const double free_us = run(matcher, free_ids);
    const double call_us = run(matcher, call_ids);
    std::printf("triggered grammar, vocab %d: compile %.1f ms, free-text step %.2f us, in-call step %.2f us\n",
                grammar->vocab_size(), compile_ms, free_us, call_us);
  }
}

}  // namespace
}  // namespace catena::inference
