// Triggered (lazy) tool-call grammars on the real Llama 3 (byte-level) and Mistral (SentencePiece) vocabularies:
// free text is masked only where a token would complete the trigger badly, calls after the trigger are valid
// token by token, a trigger split across tokens or ending inside one, parallel calls, the closing marker inside
// a longer token, random walks that always parse to valid calls, and the per-tool-set grammar cache.
#include "inference/triggered_grammar.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "inference/chat_template.h"
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

// Draws one of the tokens the matcher allows (uniformly), accepts it and returns it.
int32_t AcceptRandomAllowed(TriggeredMatcher& matcher, std::mt19937& rng) {
  const TokenBitmask& mask = matcher.AllowedTokens();
  int32_t pick = std::uniform_int_distribution<int32_t>(0, mask.Count() - 1)(rng);
  int32_t id = 0;
  while (!mask.Test(id) || pick-- > 0) ++id;
  REQUIRE(matcher.Accept(id).ok());
  return id;
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

  for (const std::string bad : {"<tool_call>\n{\"name\": \"delete_all\"",
                                "<tool_call>\n{\"name\": \"add\", "
                                "\"arguments\": {\"a\": \"two\"",
                                "<tool_call>\nSure!"}) {
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
  CHECK(matcher.AllowedTokens().Test(gt_newline));               // the trigger ends inside it; "\n" is valid markup
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
    ids.push_back(AcceptRandomAllowed(matcher, rng));
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
  auto llama = cache.Get(ToolCallFormat::kLlama3Json, Tools());  // same tools, another format: its own entry
  REQUIRE(llama.ok());
  CHECK((*llama)->trigger() == "{\"name\": \"");
  CHECK(cache.compilations() == 5);
}

std::shared_ptr<const TriggeredGrammar> Llama3JsonGrammar(const testing::LoadedVocabulary& vocab) {
  auto spec = ToolCallTriggerSpec(ToolCallFormat::kLlama3Json, Tools(), *vocab.tokenizer);
  REQUIRE(spec.ok());
  CHECK(spec->trigger == "{\"name\": \"");
  CHECK(spec->trigger_starts_value);
  auto grammar = TriggeredGrammar::Compile(*spec, vocab.vocabulary);
  INFO(grammar.status());
  REQUIRE(grammar.ok());
  return *grammar;
}

// Every token's mask bit equals whether Accept takes it, at the matcher's current state.
void CheckMaskEqualsAccept(TriggeredMatcher& matcher, int32_t vocab_size) {
  const TokenBitmask mask = matcher.AllowedTokens();
  int disagreements = 0, refused = 0;
  for (int32_t id = 0; id < vocab_size; ++id) {
    TriggeredMatcher probe = matcher;
    const bool accepted = probe.Accept(id).ok();
    disagreements += accepted != mask.Test(id) ? 1 : 0;
    refused += accepted ? 0 : 1;
  }
  CHECK(disagreements == 0);
  CHECK(refused > 0);
}

TEST_CASE("Llama 3 JSON calls start at a trigger that is the call object's own first bytes", "[unit]") {
  const testing::LoadedVocabulary& vocab = testing::Llama3();
  auto grammar = Llama3JsonGrammar(vocab);
  const std::string call = "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\", \"unit\": \"celsius\"}}";
  {
    TriggeredMatcher matcher(grammar);
    REQUIRE(AcceptAll(matcher, Encode(vocab, call)));
    CHECK(matcher.completed_parts() == 1);
    CHECK_FALSE(matcher.InsidePart());
    const ToolCallParse parse = ParseToolCalls(call, Names());
    REQUIRE(parse.calls.size() == 1);
    CHECK(parse.calls[0].name == "get_weather");
    CHECK(ArgumentProblem(parse.calls[0]) == "");
  }
  {
    // Free text before the trigger, JSON that is not a call, then a call split across tokens.
    TriggeredMatcher matcher(grammar);
    REQUIRE(AcceptAll(matcher, Encode(vocab, "Sure, {\"city\": 1} {\"name\":")));
    CHECK_FALSE(matcher.InsidePart());
    CHECK(matcher.completed_parts() == 0);
    CheckMaskEqualsAccept(matcher, grammar->vocab_size());  // partial trigger: tokens completing it badly refused
    REQUIRE(AcceptAll(matcher, Encode(vocab, " \"add")));
    CHECK(matcher.InsidePart());
    CheckMaskEqualsAccept(matcher, grammar->vocab_size());
    REQUIRE(AcceptAll(matcher, Encode(vocab, "\", \"parameters\": {\"a\": 1, \"b\": 2}}")));
    CHECK(matcher.completed_parts() == 1);
    CHECK_FALSE(matcher.InsidePart());
    CHECK(matcher.AllowsEverything());
  }
  for (const std::string bad : {"{\"name\": \"delete_all\"", "{\"name\": \"add\", \"parameters\": {\"a\": \"two\"",
                                "{\"name\": \"add\", \"arguments\": {", "ok {\"name\": \"add\"}",
                                "{\"name\": \"get_weather\", \"parameters\": {\"unit\": \"celsius\", \"city\""}) {
    TriggeredMatcher fresh(grammar);
    INFO(bad);
    CHECK_FALSE(AcceptAll(fresh, Encode(vocab, bad)));
  }
  // <|python_tag|> starts a call too. This Llama 3 (not 3.1) vocabulary has no such token, so the spec has no
  // trigger token; its id in Llama 3.1, 128010, is a reserved special token here and stands in for it.
  auto spec = ToolCallTriggerSpec(ToolCallFormat::kLlama3Json, Tools(), *vocab.tokenizer);
  REQUIRE(spec.ok());
  CHECK(vocab.tokenizer->TokenId("<|python_tag|>") < 0);
  CHECK(spec->trigger_tokens.empty());
  const int32_t python_tag = vocab.tokenizer->TokenId("<|reserved_special_token_5|>");
  REQUIRE(python_tag == 128010);
  REQUIRE(vocab.tokenizer->IsSpecial(python_tag));
  spec->trigger_tokens = {python_tag};
  auto tag_grammar = TriggeredGrammar::Compile(*spec, vocab.vocabulary);
  REQUIRE(tag_grammar.ok());
  TriggeredMatcher tagged(*tag_grammar);
  REQUIRE(tagged.AllowedTokens().Test(python_tag));
  REQUIRE(tagged.Accept(python_tag).ok());
  CHECK(tagged.InsidePart());
  TriggeredMatcher tagged_bad = tagged;
  CHECK_FALSE(AcceptAll(tagged_bad, Encode(vocab, "brave_search.call(query=\"x\")")));
  REQUIRE(AcceptAll(tagged, Encode(vocab, call)));
  CHECK(tagged.completed_parts() == 1);
  CHECK(ParseToolCalls("<|python_tag|>" + call, Names()).calls.size() == 1);
}

TEST_CASE("random walks through Llama 3 JSON call grammars always parse to valid calls", "[unit]") {
  const testing::LoadedVocabulary& vocab = testing::Llama3();
  auto grammar = Llama3JsonGrammar(vocab);
  const std::string trigger = "{\"name\": \"";
  std::mt19937 rng(5);
  int finished = 0;
  for (int walk = 0; walk < 20; ++walk) {
    TriggeredMatcher matcher(grammar);
    const std::string free_text = walk % 2 == 0 ? "" : "Let me check. ";
    const size_t at = std::uniform_int_distribution<size_t>(1, trigger.size())(rng);
    std::vector<int32_t> ids = Encode(vocab, free_text + trigger.substr(0, at));
    if (at < trigger.size()) {
      for (int32_t id : Encode(vocab, trigger.substr(at))) ids.push_back(id);
    }
    REQUIRE(AcceptAll(matcher, ids));
    REQUIRE(matcher.InsidePart());
    for (int step = 0; step < 400 && matcher.InsidePart(); ++step) {
      ids.push_back(AcceptRandomAllowed(matcher, rng));
    }
    if (matcher.InsidePart()) continue;
    const std::string text = testing::OutputBytes(*vocab.tokenizer, ids);
    INFO(text);
    const size_t start = text.find(trigger);
    REQUIRE(start == free_text.size());
    const ToolCallParse parse = ParseToolCalls(text.substr(start), Names());
    REQUIRE(parse.calls.size() == 1);
    CHECK(ArgumentProblem(parse.calls[0]) == "");
    if (free_text.empty()) CHECK(ParseToolCalls(text, Names()).calls.size() == 1);  // the whole reply is the call
    ++finished;
  }
  CHECK(finished >= 8);
}

TEST_CASE("a trigger that cannot start the value is refused when it is to start it", "[unit]") {
  const testing::LoadedVocabulary& vocab = testing::Llama3();
  auto spec = ToolCallTriggerSpec(ToolCallFormat::kLlama3Json, Tools(), *vocab.tokenizer);
  REQUIRE(spec.ok());
  for (const std::string trigger : {"<call>", "{\"name\": \"rm", "{\"parameters\"", "{ \"name\""}) {
    TriggeredGrammarSpec bad = *spec;
    bad.trigger = trigger;
    const auto grammar = TriggeredGrammar::Compile(bad, vocab.vocabulary);
    INFO(trigger);
    CHECK(grammar.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(grammar.status().message()).find(trigger) != std::string::npos);
    bad.trigger_starts_value = false;  // as a marker before the value it is fine
    CHECK(TriggeredGrammar::Compile(bad, vocab.vocabulary).ok());
  }
}

ToolCallFormat FormatOfSource(const std::string& source) {
  auto chat_template = ChatTemplate::FromSource(source, "<s>", "</s>");
  INFO(chat_template.status());
  REQUIRE(chat_template.ok());
  return ToolCallFormatOf(*chat_template);
}

std::string TemplateFile(const std::string& name) {
  std::ifstream in(std::string(CATENA_SOURCE_DIR) + "/tests/inference/data/chat_templates/" + name);
  REQUIRE(in.good());
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

TEST_CASE("chat templates' tool-call formats: Hermes and Mistral first, then Llama 3's JSON reply", "[unit]") {
  CHECK(FormatOfSource(TemplateFile("llama3_1_tools.jinja")) == ToolCallFormat::kLlama3Json);
  CHECK(FormatOfSource(TemplateFile("qwen2_5_tools.jinja")) == ToolCallFormat::kHermes);
  CHECK(FormatOfSource(TemplateFile("feature_mix.jinja")) == ToolCallFormat::kNone);
  CHECK(FormatOfSource("{{ '<|python_tag|>' }}{{ messages[0].content }}") == ToolCallFormat::kLlama3Json);
  CHECK(FormatOfSource("{{ '[TOOL_CALLS] ' }}{{ messages[0].content }}") == ToolCallFormat::kMistral);
  CHECK(FormatOfSource("{{ '[TOOL_CALLS] {\"name\": f, \"parameters\": x}' }}") == ToolCallFormat::kMistral);
  CHECK(FormatOfSource("{{ '<tool_call> <|python_tag|> {\"name\": f, \"parameters\": x}' }}") ==
        ToolCallFormat::kHermes);
  CHECK(FormatOfSource("{{ tools }}{{ 'tool parameters: ' }}{{ messages[0].content }}") == ToolCallFormat::kNone);
  // A template that never reads `tools` is given them in the messages, with the Hermes markup.
  CHECK(FormatOfSource("{{ 'tool parameters: ' }}{{ messages[0].content }}") == ToolCallFormat::kHermes);
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
        "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\", \"unit\": "
        "\"celsius\"}}\n</tool_call>";
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
