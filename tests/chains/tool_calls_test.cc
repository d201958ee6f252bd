// Tool calls parsed out of model replies, and the test model / llm.chat node passing them on.
#include "chains/tool_calls.h"

#include <catch2/catch.hpp>

#include "chains/test_chat_model.h"
#include "tests/chains/fake_node_call.h"

namespace catena::chains {
namespace {

const std::vector<ChatTool> kTools = {{"lookup_balance", "Balance of an account", R"({"type":"object"})"},
                                      {"block_card", "Blocks a card", R"({"type":"object"})"}};

TEST_CASE("Hermes-style tool_call blocks become calls and the rest stays text", "[unit]") {
  const ParsedReply parsed = ParseToolCalls(
      "Let me check.\n<tool_call>\n{\"name\": \"lookup_balance\", \"arguments\": {\"account\": \"A1\"}}\n</tool_call>\n"
      "<tool_call>{\"name\": \"block_card\", \"arguments\": \"{\\\"card\\\": 4}\"}</tool_call>",
      kTools);
  CHECK(parsed.text == "Let me check.");
  REQUIRE(parsed.calls.size() == 2);
  CHECK(parsed.calls[0].id == "call_0");
  CHECK(parsed.calls[0].name == "lookup_balance");
  CHECK(parsed.calls[0].arguments_json == R"({"account":"A1"})");
  CHECK(parsed.calls[1].id == "call_1");
  CHECK(parsed.calls[1].arguments_json == R"({"card":4})");
}

TEST_CASE("a whole-reply JSON call is recognized; unknown tools and no tools leave text alone", "[unit]") {
  const ParsedReply llama = ParseToolCalls(R"(<|python_tag|>{"name": "block_card", "parameters": {"card": 9}})", kTools);
  REQUIRE(llama.calls.size() == 1);
  CHECK(llama.text.empty());
  CHECK(llama.calls[0].arguments_json == R"({"card":9})");
  const std::string unknown = R"(<tool_call>{"name": "transfer_all", "arguments": {}}</tool_call>)";
  CHECK(ParseToolCalls(unknown, kTools).calls.empty());
  CHECK(ParseToolCalls(unknown, kTools).text == unknown);
  CHECK(ParseToolCalls(R"({"name": "block_card"})", {}).calls.empty());
  CHECK(ParseToolCalls("plain answer", kTools).text == "plain answer");
}

TEST_CASE("llm.chat outputs the tool calls of a scripted test model with parsed arguments", "[unit]") {
  TestChatModel model;
  model.AddModel({.name = "agent", .replies = {{"balance", R"(<tool_call>{"name": "lookup_balance",
      "arguments": {"account": "A1"}}</tool_call>)"}}});
  const nlohmann::ordered_json with = nlohmann::ordered_json::parse(R"({"model": "agent", "prompt": "my balance?",
      "tools": [{"name": "lookup_balance", "description": "Balance", "parameters": {"type": "object"}}]})");
  testing::FakeCompileContext compile;
  auto impl = testing::CompileNode("llm.chat", with, compile);
  testing::FakeNodeCall call({.models = &model}, testing::ParamsOf("llm.chat", with));
  impl->Start(call);
  REQUIRE(call.output().ok());
  auto out = tmpl::ToJson(*call.output());
  REQUIRE(out.ok());
  CHECK((*out)["finish_reason"] == "tool_calls");
  CHECK((*out)["text"] == "");
  CHECK((*out)["tool_calls"] == nlohmann::json::parse(
                                   R"([{"id": "call_0", "name": "lookup_balance", "arguments": {"account": "A1"}}])"));
}

}  // namespace
}  // namespace catena::chains
