// tool_choice resolution and the call-object grammar: random walks through the allowed tokens of the schema
// ToolCallSchema writes always parse (ParseToolCalls) to one call of a declared tool with valid arguments.
#include "inference/tool_choice.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "inference/tool_call_parser.h"
#include "nlohmann/json.hpp"
#include "tests/inference/grammar_test_util.h"

namespace catena::inference {
namespace {

std::vector<ToolDefinition> Tools() {
  return {
      {"get_weather", "Weather for a city",
       R"({"type":"object","properties":{"city":{"type":"string","maxLength":12},
           "unit":{"enum":["celsius","fahrenheit"]},"days":{"type":"integer"}},"required":["city","unit"]})"},
      {"search_docs", "Search the manuals",
       R"({"$defs":{"filter":{"type":"object","additionalProperties":{"type":"string","maxLength":6}}},
           "type":"object","properties":{"query":{"type":"string","maxLength":16},
           "filters":{"$ref":"#/$defs/filter"}},"required":["query","filters"]})"},
      {"ping", "No arguments", ""},
  };
}

TEST_CASE("tool_choice resolves to none, auto, required or one named tool", "[unit]") {
  CHECK(ResolveToolChoice("", Tools())->mode == ToolChoice::Mode::kAuto);
  CHECK(ResolveToolChoice("auto", Tools())->names() == std::vector<std::string>{"get_weather", "search_docs", "ping"});
  CHECK(ResolveToolChoice("none", Tools())->mode == ToolChoice::Mode::kNone);
  CHECK(ResolveToolChoice("none", Tools())->tools.empty());
  CHECK(ResolveToolChoice("", {})->mode == ToolChoice::Mode::kNone);
  CHECK(ResolveToolChoice("required", Tools())->mode == ToolChoice::Mode::kRequired);
  auto named = ResolveToolChoice("search_docs", Tools());
  REQUIRE(named.ok());
  CHECK(named->mode == ToolChoice::Mode::kNamed);
  CHECK(named->names() == std::vector<std::string>{"search_docs"});
}

TEST_CASE("bad tools and tool choices are INVALID_ARGUMENT naming the field", "[unit]") {
  auto expect = [](absl::StatusOr<ToolChoice> result, const std::string& fragment) {
    INFO(result.status());
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(result.status().message()), Catch::Contains(fragment));
  };
  expect(ResolveToolChoice("delete_all", Tools()), "tool_choice \"delete_all\"");
  expect(ResolveToolChoice("required", {}), "needs tools");
  std::vector<ToolDefinition> tools = Tools();
  tools[1].name = "bad name";
  expect(ResolveToolChoice("auto", tools), "tools[1].name");
  tools = Tools();
  tools[2].name = "get_weather";
  expect(ResolveToolChoice("auto", tools), "declared twice");
  tools = Tools();
  tools[0].parameters_json_schema = "[1]";
  expect(ResolveToolChoice("auto", tools), "tools[0].parameters_json_schema");
  expect(ResolveToolChoice("auto", std::vector<ToolDefinition>(129, Tools()[2])), "at most 128");
}

// The arguments' violations of the tools above ("" when valid).
std::string ArgumentProblem(const ChatToolCall& call) {
  const nlohmann::json args = nlohmann::json::parse(call.arguments_json, nullptr, false);
  if (!args.is_object()) return "not an object";
  auto short_string = [&](const char* key, size_t max) {
    return args.contains(key) && args[key].is_string() && args[key].get<std::string>().size() <= 4 * max;
  };
  if (call.name == "get_weather") {
    if (!short_string("city", 12) || !(args["unit"] == "celsius" || args["unit"] == "fahrenheit")) return "weather";
    if (args.contains("days") && !args["days"].is_number_integer()) return "days";
    return args.size() <= 3 ? "" : "extra keys";
  }
  if (call.name == "search_docs") {
    if (!short_string("query", 16) || !args["filters"].is_object() || args.size() != 2) return "search";
    for (const auto& [key, value] : args["filters"].items()) {
      if (!value.is_string()) return "filter " + key;
    }
    return "";
  }
  return call.name == "ping" ? "" : "unknown tool";
}

TEST_CASE("required tool calls generated under the call grammar always parse to a valid call", "[unit]") {
  const testing::LoadedVocabulary& vocab = testing::Mistral();
  std::mt19937 rng(5);
  for (const std::string choice_name : {"required", "search_docs"}) {
    auto choice = ResolveToolChoice(choice_name, Tools());
    REQUIRE(choice.ok());
    auto schema = ToolCallSchema(choice->tools);
    REQUIRE(schema.ok());
    auto grammar = CompileJsonSchema(*schema, vocab.vocabulary);
    INFO(*schema << "\n" << grammar.status());
    REQUIRE(grammar.ok());
    int parsed = 0;
    for (int walk = 0; walk < 30; ++walk) {
      GrammarMatcher matcher(*grammar);
      std::vector<int32_t> ids;
      while (ids.size() < 400 && !matcher.IsTerminated()) {
        const TokenBitmask& mask = matcher.AllowedTokens();
        int32_t pick = std::uniform_int_distribution<int32_t>(0, mask.Count() - 1)(rng);
        int32_t id = 0;
        while (!mask.Test(id) || pick-- > 0) ++id;
        REQUIRE(matcher.Accept(id).ok());
        if (!vocab.tokenizer->IsEndOfGeneration(id)) ids.push_back(id);
      }
      if (!matcher.IsTerminated()) continue;
      const std::string text = testing::OutputBytes(*vocab.tokenizer, ids);
      INFO(text);
      const ToolCallParse parse = ParseToolCalls(text, choice->names());
      REQUIRE(parse.calls.size() == 1);
      CHECK(parse.content.empty());
      CHECK(ArgumentProblem(parse.calls[0]) == "");
      if (choice_name != "required") CHECK(parse.calls[0].name == choice_name);
      ++parsed;
    }
    CHECK(parsed >= 10);
  }
}

TEST_CASE("the call schema keeps each tool's $defs reachable and refuses conflicting ones", "[unit]") {
  auto schema = ToolCallSchema(Tools());
  REQUIRE(schema.ok());
  const nlohmann::json root = nlohmann::json::parse(*schema);
  CHECK(root["$defs"].contains("filter"));
  CHECK(root["anyOf"].size() == 3);
  CHECK(root["anyOf"][2]["properties"]["arguments"] == nlohmann::json{{"type", "object"}});
  std::vector<ToolDefinition> clash = {Tools()[1], Tools()[1]};
  clash[1].name = "search_more";
  clash[1].parameters_json_schema = R"({"$defs":{"filter":{"type":"string"}},"type":"object"})";
  CHECK(ToolCallSchema(clash).status().code() == absl::StatusCode::kUnimplemented);
  CHECK(ToolCallSchema({}).status().code() == absl::StatusCode::kInvalidArgument);
  auto single = ToolCallSchema(std::vector<ToolDefinition>{Tools()[0]});
  REQUIRE(single.ok());
  CHECK_FALSE(nlohmann::json::parse(*single).contains("anyOf"));
}

}  // namespace
}  // namespace catena::inference
