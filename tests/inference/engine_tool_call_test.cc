// "auto" tool calls in the engine on a generated tiny llama (random weights, Llama-2 vocabulary). A random
// model cannot write the five tokens of `<tool_call>` in order, so the first test uses Hermes markup with a
// one-token trigger `<`, pushed with logit_bias: under the triggered grammar every call the model opens is a
// valid call (over many seeds, often several per reply), without it the same model writes broken calls. The
// second does the same for Llama 3's JSON reply with a trigger `{` that is the call object's own first byte. Text
// without the (real) trigger is drawn exactly as without the grammar.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "inference/engine.h"
#include "inference/tool_call_grammar.h"
#include "inference/tool_call_parser.h"
#include "nlohmann/json.hpp"
#include "tests/inference/engine_test_util.h"

namespace catena::inference {
namespace {

using testing::Outcome;
using testing::TinyModel;

std::vector<ToolDefinition> Tools() {
  return {{"get_weather", "Weather for a city",
           R"({"type":"object","properties":{"city":{"type":"string","maxLength":6},
               "unit":{"enum":["celsius","fahrenheit"]}},"required":["city","unit"]})"},
          {"add", "Sum", R"({"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]})"}};
}

bool ValidCall(const ChatToolCall& call) {
  const nlohmann::json args = nlohmann::json::parse(call.arguments_json, nullptr, false);
  if (call.name == "add") return args.size() == 1 && args["a"].is_number_integer();
  return call.name == "get_weather" && args.size() == 2 && args["city"].is_string() &&
         (args["unit"] == "celsius" || args["unit"] == "fahrenheit");
}

// Bias toward the trigger `<` and toward ending strings and objects.
std::vector<std::pair<int32_t, float>> TriggerBias(const TextTokenizer& tok) {
  std::vector<std::pair<int32_t, float>> bias;
  for (const char* piece : {"<", "\u2581<"}) bias.emplace_back(tok.TokenId(piece), 6.0f);
  for (const char* piece : {"\"", "}"}) bias.emplace_back(tok.TokenId(piece), 5.0f);
  for (const auto& [id, weight] : bias) REQUIRE(id >= 0);
  return bias;
}

// Hermes markup for Tools(), opened by `trigger` (the format's own `<tool_call>` when empty).
std::shared_ptr<const TriggeredGrammar> HermesGrammar(const TextTokenizer& tok, const std::string& trigger = "") {
  auto spec = ToolCallTriggerSpec(ToolCallFormat::kHermes, Tools(), tok);
  REQUIRE(spec.ok());
  if (!trigger.empty()) spec->trigger = trigger;
  auto grammar = TriggeredGrammar::Compile(*spec, BuildGrammarVocabulary(tok));
  REQUIRE(grammar.ok());
  return *grammar;
}

// A generated tiny llama and an engine over it, one per test case.
struct ToolEngine {
  ToolEngine() {
    auto created = Engine::Create(model);
    REQUIRE(created.ok());
    engine = std::move(*created);
  }
  const TextTokenizer& tok() const { return model->tokenizer(); }

  catena::testing::TempDir dir{"catena-engine-tools"};
  std::shared_ptr<const Model> model = TinyModel(dir);
  std::unique_ptr<Engine> engine;
};

// Rewrites each call opened by `<` as a `<tool_call>` block for ParseToolCalls; `opened` counts the triggers.
std::string AsHermes(const std::string& text, size_t& opened) {
  std::string out;
  opened = 0;
  size_t pos = 0;
  for (size_t open = text.find('<'); open != std::string::npos; open = text.find('<', pos)) {
    ++opened;
    out += text.substr(pos, open - pos) + "<tool_call>";
    const size_t close = text.find("</tool_call>", open + 1);
    if (close == std::string::npos) return out + text.substr(open + 1);
    pos = close + std::string_view("</tool_call>").size();
    out += text.substr(open + 1, pos - open - 1);
  }
  return out + text.substr(pos);
}

struct Replies {
  std::vector<std::string> texts;
  std::vector<std::vector<int32_t>> tokens;
};

Replies Run(Engine& engine, const TextTokenizer& tok, std::shared_ptr<const TriggeredGrammar> grammar,
            std::vector<std::pair<int32_t, float>> bias, int count, int max_tokens) {
  std::vector<Outcome> outcomes(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    EngineRequest request{.prompt = {1, 450, 4723, 338},
                          .max_tokens = max_tokens,
                          .sampling = {.temperature = 1.0f, .logit_bias = bias, .seed = 100u + i}};
    request.triggered_grammar = grammar;
    REQUIRE(engine.Submit(std::move(request), outcomes[i].Callback()).ok());
  }
  Replies replies;
  for (Outcome& outcome : outcomes) {
    outcome.Wait();
    CHECK(outcome.last.finish_reason != "error");
    replies.texts.push_back(tok.Decode(outcome.tokens, /*skip_special=*/true));
    replies.tokens.push_back(outcome.tokens);
  }
  return replies;
}

TEST_CASE("auto tool calls opened under a triggered grammar are valid calls, over many seeds", "[unit]") {
  ToolEngine t;
  const TextTokenizer& tok = t.tok();
  auto grammar = HermesGrammar(tok, "<");
  const std::vector<std::string> names = {"get_weather", "add"};

  const Replies constrained = Run(*t.engine, tok, grammar, TriggerBias(tok), 16, 160);
  size_t calls = 0, parallel = 0;
  for (const std::string& text : constrained.texts) {
    size_t opened = 0;
    const std::string hermes = AsHermes(text, opened);
    INFO(text << "\n" << hermes);
    const ToolCallParse parse = ParseToolCalls(hermes, names);
    CHECK(parse.calls.size() + 1 >= opened);  // every call parses, but the last may be cut by max_tokens
    for (const ChatToolCall& call : parse.calls) CHECK(ValidCall(call));
    calls += parse.calls.size();
    parallel += parse.calls.size() >= 2 ? 1 : 0;
  }
  CHECK(calls >= 8);
  CHECK(parallel >= 1);

  // The same requests without the grammar: the model opens calls it does not write validly.
  const Replies free = Run(*t.engine, tok, nullptr, TriggerBias(tok), 16, 160);
  size_t broken = 0;
  for (const std::string& text : free.texts) {
    size_t opened = 0;
    const std::string hermes = AsHermes(text, opened);
    broken += opened - ParseToolCalls(hermes, names).calls.size();
  }
  CHECK(broken >= 8);
}

// Llama 3's JSON reply for Tools(), its trigger shortened to the call object's first byte `{` (still the start of
// the value): one token a random model can be pushed toward.
std::shared_ptr<const TriggeredGrammar> Llama3JsonGrammar(const TextTokenizer& tok) {
  auto spec = ToolCallTriggerSpec(ToolCallFormat::kLlama3Json, Tools(), tok);
  REQUIRE(spec.ok());
  REQUIRE(spec->trigger_starts_value);
  spec->trigger = "{";
  auto grammar = TriggeredGrammar::Compile(*spec, BuildGrammarVocabulary(tok));
  REQUIRE(grammar.ok());
  return *grammar;
}

// The JSON objects opened by `{` in free text, each up to its closing brace (strings skipped); an object cut
// off by the end of the text is left out. `opened` counts the objects.
std::vector<std::string> OpenedObjects(const std::string& text, size_t& opened) {
  std::vector<std::string> objects;
  opened = 0;
  for (size_t open = text.find('{'); open != std::string::npos; open = text.find('{', open)) {
    ++opened;
    int depth = 0;
    bool in_string = false;
    size_t pos = open;
    for (; pos < text.size(); ++pos) {
      const char c = text[pos];
      if (in_string) {
        if (c == '\\')
          ++pos;
        else if (c == '"')
          in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{') {
        ++depth;
      } else if (c == '}' && --depth == 0) {
        break;
      }
    }
    if (pos >= text.size()) break;
    objects.push_back(text.substr(open, pos + 1 - open));
    open = pos + 1;
  }
  return objects;
}

TEST_CASE("Llama 3 JSON tool calls opened under a triggered grammar are valid calls, over many seeds", "[unit]") {
  ToolEngine t;
  const TextTokenizer& tok = t.tok();
  auto grammar = Llama3JsonGrammar(tok);
  const std::vector<std::string> names = {"get_weather", "add"};
  std::vector<std::pair<int32_t, float>> bias;
  for (const char* piece : {"{", "\u2581{"}) bias.emplace_back(tok.TokenId(piece), 6.0f);
  for (const char* piece : {"\"", "}"}) bias.emplace_back(tok.TokenId(piece), 5.0f);
  for (const auto& [id, weight] : bias) REQUIRE(id >= 0);

  const Replies constrained = Run(*t.engine, tok, grammar, bias, 16, 160);
  size_t calls = 0;
  for (const std::string& text : constrained.texts) {
    size_t opened = 0;
    const std::vector<std::string> objects = OpenedObjects(text, opened);
    INFO(text);
    CHECK(objects.size() + 1 >= opened);  // every call is closed, but the last may be cut by max_tokens
    for (const std::string& object : objects) {
      INFO(object);
      const ToolCallParse parse = ParseToolCalls(object, names);  // each object is a whole Llama 3 reply
      REQUIRE(parse.calls.size() == 1);
      CHECK(ValidCall(parse.calls[0]));
      ++calls;
    }
  }
  CHECK(calls >= 8);

  // The same requests without the grammar: the model opens objects that are not valid calls.
  const Replies free = Run(*t.engine, tok, nullptr, bias, 16, 160);
  size_t broken = 0;
  for (const std::string& text : free.texts) {
    size_t opened = 0;
    for (const std::string& object : OpenedObjects(text, opened)) {
      const ToolCallParse parse = ParseToolCalls(object, names);
      opened -= parse.calls.size() == 1 && ValidCall(parse.calls[0]) ? 1 : 0;
    }
    broken += opened;
  }
  CHECK(broken >= 8);
}

TEST_CASE("without the trigger, output under a triggered grammar is drawn exactly as without it", "[unit]") {
  ToolEngine t;
  const TextTokenizer& tok = t.tok();
  const auto grammar = HermesGrammar(tok);
  const Replies with = Run(*t.engine, tok, grammar, {}, 6, 60);
  const Replies without = Run(*t.engine, tok, nullptr, {}, 6, 60);
  for (size_t i = 0; i < with.tokens.size(); ++i) {
    INFO(with.texts[i]);
    CHECK(with.texts[i].find("<tool_call>") == std::string::npos);
    CHECK(with.tokens[i] == without.tokens[i]);
  }
  CHECK(grammar->cached_masks() == 0);  // no part was entered: the free-text masks are all it used
}

TEST_CASE("a request takes a grammar or a triggered grammar, for its own vocabulary", "[unit]") {
  ToolEngine t;
  const TextTokenizer& tok = t.tok();
  const auto triggered = HermesGrammar(tok);
  auto plain = CompileJsonSchema(R"({"type":"object"})", tok);
  REQUIRE(plain.ok());
  EngineRequest both{.prompt = {1, 450}, .grammar = *plain};
  both.triggered_grammar = triggered;
  CHECK(t.engine->Submit(std::move(both), [](const EngineEvent&) {}).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace catena::inference
