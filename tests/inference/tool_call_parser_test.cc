// Tool calls parsed out of generated chat text in the formats real templates prompt for (Hermes/Qwen2.5,
// Llama 3.1 JSON, Mistral [TOOL_CALLS] arrays and name[ARGS] segments), text that only looks like a call, and
// the streaming filter that keeps call markup out of deltas.
#include "inference/tool_call_parser.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace catena::inference {
namespace {

const std::vector<std::string> kTools = {"get_weather", "search_docs"};

ToolCallParse Parse(std::string_view text) { return ParseToolCalls(text, kTools); }

TEST_CASE("Hermes tool_call blocks become calls and leave the surrounding text as content", "[unit]") {
  const ToolCallParse one = Parse("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
                                  "</tool_call>");
  REQUIRE(one.calls.size() == 1);
  CHECK(one.calls[0].id == "call_0");
  CHECK(one.calls[0].name == "get_weather");
  CHECK(one.calls[0].arguments_json == R"({"city":"Paris"})");
  CHECK(one.content.empty());

  const ToolCallParse two = Parse(
      "Let me check both.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\", \"days\": 3}}"
      "\n</tool_call>\n<tool_call>\n{\"name\": \"search_docs\", \"arguments\": {\"query\": \"fees\"}}\n</tool_call>");
  REQUIRE(two.calls.size() == 2);
  CHECK(two.content == "Let me check both.");
  CHECK(two.calls[0].arguments_json == R"({"city":"Oslo","days":3})");  // key order kept
  CHECK(two.calls[1].id == "call_1");
  CHECK(two.calls[1].name == "search_docs");
}

TEST_CASE("Hermes arguments given as a JSON string and an unclosed last block are accepted", "[unit]") {
  const ToolCallParse text_args =
      Parse("<tool_call>\n{\"name\": \"search_docs\", \"arguments\": \"{\\\"query\\\": \\\"x\\\"}\"}\n</tool_call>");
  REQUIRE(text_args.calls.size() == 1);
  CHECK(text_args.calls[0].arguments_json == R"({"query":"x"})");
  const ToolCallParse unclosed = Parse("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {}}\n");
  REQUIRE(unclosed.calls.size() == 1);
  CHECK(unclosed.calls[0].arguments_json == "{}");
}

TEST_CASE("invalid Hermes blocks stay in the content while valid ones are taken", "[unit]") {
  const std::string bad = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": }\n</tool_call>";
  const ToolCallParse only_bad = Parse(bad);
  CHECK(only_bad.calls.empty());
  CHECK(only_bad.content == bad);  // untouched, whitespace included
  const std::string unknown = "<tool_call>\n{\"name\": \"rm_rf\", \"arguments\": {}}\n</tool_call>";
  CHECK(Parse(unknown).calls.empty());
  const ToolCallParse mixed =
      Parse(unknown + "\n<tool_call>\n{\"name\": \"search_docs\", \"arguments\": {\"query\": \"q\"}}\n</tool_call>");
  REQUIRE(mixed.calls.size() == 1);
  CHECK(mixed.calls[0].name == "search_docs");
  CHECK(mixed.content == unknown);
}

TEST_CASE("a Llama 3.1 reply that is one JSON call object is a call", "[unit]") {
  const ToolCallParse call = Parse(R"({"name": "get_weather", "parameters": {"city": "Rome", "unit": "celsius"}})");
  REQUIRE(call.calls.size() == 1);
  CHECK(call.calls[0].name == "get_weather");
  CHECK(call.calls[0].arguments_json == R"({"city":"Rome","unit":"celsius"})");
  CHECK(call.content.empty());
  const ToolCallParse tagged = Parse("<|python_tag|>{\"type\": \"function\", \"name\": \"search_docs\", "
                                     "\"parameters\": {\"query\": \"loans\"}}");
  REQUIRE(tagged.calls.size() == 1);
  CHECK(tagged.calls[0].arguments_json == R"({"query":"loans"})");
  const ToolCallParse spaced = Parse("\n {\"name\": \"get_weather\", \"arguments\": {}} \n");
  CHECK(spaced.calls.size() == 1);
}

TEST_CASE("Mistral TOOL_CALLS arrays become calls, with or without the marker", "[unit]") {
  const ToolCallParse marked = Parse(
      R"([TOOL_CALLS] [{"name": "get_weather", "arguments": {"city": "Lyon"}}, {"name": "search_docs", "arguments": {"query": "q"}}])");
  REQUIRE(marked.calls.size() == 2);
  CHECK(marked.calls[0].arguments_json == R"({"city":"Lyon"})");
  CHECK(marked.calls[1].name == "search_docs");
  CHECK(marked.content.empty());
  const ToolCallParse after_text = Parse(R"(Sure. [TOOL_CALLS][{"name": "search_docs", "arguments": {"query": "x"}}])");
  REQUIRE(after_text.calls.size() == 1);
  CHECK(after_text.content == "Sure.");
  const ToolCallParse bare = Parse(R"([{"name": "get_weather", "arguments": {"city": "Nice"}}])");
  REQUIRE(bare.calls.size() == 1);
  const std::string one_unknown = R"([TOOL_CALLS] [{"name": "get_weather", "arguments": {}}, {"name": "x", "arguments": {}}])";
  CHECK(Parse(one_unknown).calls.empty());
  CHECK(Parse(one_unknown).content == one_unknown);
}

TEST_CASE("Mistral v11 name[ARGS] segments become calls", "[unit]") {
  const ToolCallParse one = Parse(R"([TOOL_CALLS]get_weather[ARGS]{"city": "Lyon"})");
  REQUIRE(one.calls.size() == 1);
  CHECK(one.calls[0].name == "get_weather");
  CHECK(one.calls[0].arguments_json == R"({"city":"Lyon"})");
  const ToolCallParse two =
      Parse(R"(On it.[TOOL_CALLS]search_docs[ARGS]{"query": "a"}[TOOL_CALLS]get_weather[ARGS]{})");
  REQUIRE(two.calls.size() == 2);
  CHECK(two.content == "On it.");
  CHECK(two.calls[1].id == "call_1");
  CHECK(two.calls[1].arguments_json == "{}");
  for (const std::string bad : {R"([TOOL_CALLS]get_weather{"city": "Lyon"})", R"([TOOL_CALLS]nope[ARGS]{})",
                                R"([TOOL_CALLS]get_weather[ARGS]{"city": )",
                                R"([TOOL_CALLS]get_weather[ARGS]{}[TOOL_CALLS]search_docs[ARGS]7)"}) {
    INFO(bad);
    CHECK(Parse(bad).calls.empty());
    CHECK(Parse(bad).content == bad);
  }
}

TEST_CASE("text that only resembles a call is content", "[unit]") {
  const std::vector<std::string> texts = {
      "The weather in Paris is mild.",
      R"({"city": "Paris"})",                                                  // no name
      R"({"name": "get_weather", "arguments": [1]})",                          // arguments not an object
      R"({"name": "get_weather", "arguments": {}, "extra": 1})",               // not a call object
      R"({"name": "get_weather", "arguments": {}, "parameters": {}})",         // both spellings
      R"(Call {"name": "get_weather", "arguments": {}} now)",                  // not the whole reply
      R"({"name": "get_weather", "arguments": {}} and more)",
      R"([TOOL_CALLS] not json)",
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": \"not json\"}\n</tool_call>",
      "[1, 2, 3]",
  };
  for (const std::string& text : texts) {
    INFO(text);
    const ToolCallParse parse = Parse(text);
    CHECK(parse.calls.empty());
    CHECK(parse.content == text);
  }
  const std::string call = R"({"name": "get_weather", "arguments": {}})";
  CHECK(ParseToolCalls(call, {}).calls.empty());  // no tools declared: never a call
}

// Pushes `deltas` through a filter; returns what was shown plus the final content, and the calls.
std::pair<std::string, std::vector<ChatToolCall>> Stream(const std::vector<std::string>& deltas) {
  ToolCallStreamFilter filter(kTools);
  std::string shown;
  for (const std::string& delta : deltas) shown += filter.Push(delta);
  ToolCallParse last = filter.Finish();
  return {shown + last.content, last.calls};
}

TEST_CASE("the stream filter shows plain text as it comes and never shows call markup", "[unit]") {
  ToolCallStreamFilter filter(kTools);
  CHECK(filter.Push("Hello, ") == "Hello,");  // trailing space held until more text follows
  CHECK(filter.Push("world. <tool") == " world.");
  CHECK(filter.Push("_call>\n{\"name\": \"get_weather\", ").empty());
  CHECK(filter.Push("\"arguments\": {}}\n</tool_call>").empty());
  const ToolCallParse last = filter.Finish();
  CHECK(last.content.empty());
  REQUIRE(last.calls.size() == 1);
  CHECK(last.calls[0].name == "get_weather");

  const auto [text, calls] = Stream({"{\"name\": \"search_docs\", ", "\"parameters\": {\"query\": \"q\"}}"});
  CHECK(text.empty());
  CHECK(calls.size() == 1);
  const auto [plain, none] = Stream({"Use <b>bold</b> ", "or [links](x). ", "Done."});
  CHECK(plain == "Use <b>bold</b> or [links](x). Done.");
  CHECK(none.empty());
  const auto [json_text, no_calls] = Stream({"{\"answer\": ", "42}"});
  CHECK(json_text == "{\"answer\": 42}");  // held back, then shown whole
  CHECK(no_calls.empty());
  const auto [before, mistral] = Stream({"Checking.", " [TOOL", "_CALLS] [{\"name\": \"get_weather\", \"arguments\": {}}]"});
  CHECK(before == "Checking.");
  CHECK(mistral.size() == 1);
  const auto [broken, not_calls] = Stream({"A <tool_call>{bad json}</tool_call> B"});
  CHECK(broken == "A <tool_call>{bad json}</tool_call> B");
  CHECK(not_calls.empty());
}

}  // namespace
}  // namespace catena::inference
