// AgentLoop without a runner: requests offer the tools, replies become steps with reasons, results go back to
// the model, limits end the loop with their finish reason, and the state round-trips through its progress.
#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "agents/agent_loop.h"
#include "tests/agents/agent_test_support.h"

namespace catena::agents {
namespace {

using testing::Json;
using testing::AsJson;

AgentConfig Config(AgentMode mode = AgentMode::kNative) {
  AgentConfig config;
  config.model = "m";
  config.mode = mode;
  config.tools = {testing::BalanceTool()->definition(), testing::TransferTool()->definition()};
  return config;
}

std::vector<chains::ChatMessage> Question() {
  return {{.role = "system", .content = "Be a bank."}, {.role = "user", .content = "What is my balance?"}};
}

chains::ChatResult Calls(std::string text, std::vector<chains::ChatToolCall> calls, int tokens = 5) {
  chains::ChatResult result;
  result.text = std::move(text);
  result.tool_calls = std::move(calls);
  result.finish_reason = "tool_calls";
  result.usage = {10, tokens};
  return result;
}

chains::ChatResult Answer(std::string text, int tokens = 5) {
  chains::ChatResult result;
  result.text = std::move(text);
  result.finish_reason = "stop";
  result.usage = {10, tokens};
  return result;
}

const absl::Time kNow = absl::FromUnixSeconds(1000);

TEST_CASE("a native agent offers its tools, runs the calls and answers with the results in context", "[unit]") {
  AgentLoop loop(Config(), Question(), kNow);
  REQUIRE(loop.phase() == AgentPhase::kCallModel);
  chains::ChatRequest request = loop.NextRequest(absl::InfiniteFuture(), kNow);
  CHECK(request.model == "m");
  REQUIRE(request.tools.size() == 2);
  CHECK(request.tools[0].name == "lookup_balance");
  CHECK(request.messages.size() == 2);
  CHECK(request.max_tokens == 4096);

  auto done = loop.OnModelReply(Calls("Checking both accounts.", {{"c1", "lookup_balance", R"({"account":"A1"})"},
                                                                  {"c2", "lookup_balance", R"({"account":"B2"})"}}));
  CHECK(done.empty());
  REQUIRE(loop.phase() == AgentPhase::kRunTools);
  CHECK(loop.RunnableCalls() == std::vector<size_t>{0, 1});
  loop.OnToolResult(1, {R"({"balance":7})", true, false});
  CHECK(loop.phase() == AgentPhase::kRunTools);
  loop.OnToolResult(0, {"no such account", false, true});
  REQUIRE(loop.phase() == AgentPhase::kCallModel);
  request = loop.NextRequest(absl::InfiniteFuture(), kNow);
  REQUIRE(request.messages.size() == 5);
  CHECK(request.messages[2].role == "assistant");
  CHECK(request.messages[2].tool_calls.size() == 2);
  CHECK(request.messages[3].role == "tool");
  CHECK(request.messages[3].tool_call_id == "c1");
  CHECK(request.messages[3].content == "error: no such account");
  CHECK(request.messages[4].content == R"({"balance":7})");
  CHECK(request.max_tokens == 4096 - 5);

  loop.OnModelReply(Answer("B2 holds 7."));
  REQUIRE(loop.phase() == AgentPhase::kFinished);
  const Json out = AsJson(loop.Output());
  CHECK(out["text"] == "B2 holds 7.");
  CHECK(out["finish_reason"] == "stop");
  CHECK(out["usage"] == Json{{"prompt_tokens", 20}, {"completion_tokens", 10}});
  REQUIRE(out["steps"].size() == 1);
  CHECK(out["steps"][0]["reason"] == "Checking both accounts.");
  CHECK(out["steps"][0]["tool_calls"][0] == Json{{"id", "c1"}, {"name", "lookup_balance"},
                                                 {"arguments", {{"account", "A1"}}}, {"result", "no such account"},
                                                 {"is_error", true}});
  CHECK(out["steps"][0]["tool_calls"][1]["result"] == Json{{"balance", 7}});
}

TEST_CASE("unknown tools fail at once and repeated model call ids are replaced by unique ones", "[unit]") {
  AgentLoop loop(Config(), Question(), kNow);
  auto done = loop.OnModelReply(Calls("", {{"call_0", "wire_all", "{}"}}));
  REQUIRE(done == std::vector<size_t>{0});
  CHECK(loop.call(0).result == "unknown tool 'wire_all' (available: lookup_balance, transfer)");
  CHECK(loop.phase() == AgentPhase::kCallModel);
  loop.OnModelReply(Calls("", {{"call_0", "lookup_balance", R"({"account":"A"})"}}));
  CHECK(loop.call(0).id != "call_0");
}

TEST_CASE("approval: calls needing a person wait; rejection goes back to the model; invalid arguments never "
          "reach a reviewer",
          "[unit]") {
  AgentConfig config = Config();
  const tmpl::Value policy = tmpl::Value::FromJson(Json::parse(R"({"transfer": {"when": "args.amount > 100"}})"));
  config.approval = *ParseApprovalOverrides(&policy);
  AgentLoop loop(config, Question(), kNow);
  auto done = loop.OnModelReply(Calls("Paying.", {{"a", "transfer", R"({"amount": 500, "to": "bob"})"},
                                                  {"b", "transfer", R"({"amount": 5, "to": "amy"})"},
                                                  {"c", "transfer", R"({"amount": "lots", "to": "eve"})"}}));
  REQUIRE(done == std::vector<size_t>{2});
  CHECK(loop.call(2).result == "tool 'transfer': $.amount: expected number, got string");
  REQUIRE(loop.phase() == AgentPhase::kAwaitApproval);
  CHECK(loop.PendingApproval()->id == "a");
  CHECK(loop.RunnableCalls() == std::vector<size_t>{1});
  CHECK(loop.ApplyDecision({.approved = false}));
  CHECK(loop.call(0).result == "rejected by a reviewer");
  REQUIRE(loop.phase() == AgentPhase::kRunTools);
  loop.OnToolResult(1, {"sent 5 to amy", false, false});
  REQUIRE(loop.phase() == AgentPhase::kCallModel);
  const auto messages = loop.NextRequest(absl::InfiniteFuture(), kNow).messages;
  CHECK(messages[3].content == "error: rejected by a reviewer");
  const Json out = AsJson(loop.Output());
  CHECK(out["steps"][0]["tool_calls"][0]["approved"] == false);
  CHECK_FALSE(out["steps"][0]["tool_calls"][1].contains("approved"));
}

TEST_CASE("an approved call with edited arguments runs with the edit", "[unit]") {
  AgentConfig config = Config();
  const tmpl::Value policy = tmpl::Value::FromJson(Json("always"));
  config.approval = *ParseApprovalOverrides(&policy);
  AgentLoop loop(config, Question(), kNow);
  loop.OnModelReply(Calls("", {{"a", "transfer", R"({"amount": 500, "to": "bob"})"}}));
  REQUIRE(loop.phase() == AgentPhase::kAwaitApproval);
  CHECK_FALSE(loop.ApplyDecision({.approved = true, .edited_arguments_json = R"({"amount": 50, "to": "bob"})"}));
  REQUIRE(loop.phase() == AgentPhase::kRunTools);
  CHECK(loop.call(0).arguments_json == R"({"amount": 50, "to": "bob"})");
  CHECK(loop.call(0).approved == true);
}

TEST_CASE("limits end the loop with max_steps, max_tokens or timeout", "[unit]") {
  SECTION("max_steps: calls of the last allowed step are not run") {
    AgentConfig config = Config();
    config.max_steps = 2;
    AgentLoop loop(config, Question(), kNow);
    loop.OnModelReply(Calls("first", {{"a", "lookup_balance", R"({"account":"A"})"}}));
    loop.OnToolResult(0, {"1", false, false});
    CHECK_FALSE(loop.StopIfExhausted(kNow));
    auto done = loop.OnModelReply(Calls("second", {{"b", "lookup_balance", R"({"account":"B"})"}}));
    CHECK(done == std::vector<size_t>{0});
    REQUIRE(loop.phase() == AgentPhase::kFinished);
    const Json out = AsJson(loop.Output());
    CHECK(out["finish_reason"] == "max_steps");
    CHECK(out["text"] == "second");
    CHECK(out["steps"][1]["tool_calls"][0]["result"] == "not run: the agent reached max_steps");
  }
  SECTION("max_tokens: the budget is spent across calls") {
    AgentConfig config = Config();
    config.max_tokens = 12;
    AgentLoop loop(config, Question(), kNow);
    loop.OnModelReply(Calls("thinking", {{"a", "lookup_balance", R"({"account":"A"})"}}, 12));
    loop.OnToolResult(0, {"1", false, false});
    CHECK(loop.StopIfExhausted(kNow));
    CHECK(AsJson(loop.Output())["finish_reason"] == "max_tokens");
  }
  SECTION("timeout counts active time and bounds the model call") {
    AgentConfig config = Config();
    config.timeout = absl::Seconds(30);
    AgentLoop loop(config, Question(), kNow);
    CHECK(loop.NextRequest(absl::InfiniteFuture(), kNow + absl::Seconds(10)).deadline == kNow + absl::Seconds(30));
    CHECK_FALSE(loop.StopIfExhausted(kNow + absl::Seconds(29)));
    CHECK(loop.StopIfExhausted(kNow + absl::Seconds(30)));
    CHECK(AsJson(loop.Output())["finish_reason"] == "timeout");
  }
}

TEST_CASE("ReAct mode adds the instructions, reads actions and feeds format errors and observations back",
          "[unit]") {
  AgentLoop loop(Config(AgentMode::kReact), Question(), kNow);
  chains::ChatRequest request = loop.NextRequest(absl::InfiniteFuture(), kNow);
  CHECK(request.tools.empty());
  CHECK(request.stop == std::vector<std::string>{"\nObservation:"});
  CHECK_THAT(request.messages[0].content, Catch::StartsWith("Be a bank.\n\nYou can use these tools:"));
  loop.OnModelReply(Answer("I will just guess."));
  REQUIRE(loop.phase() == AgentPhase::kCallModel);
  request = loop.NextRequest(absl::InfiniteFuture(), kNow);
  CHECK_THAT(request.messages.back().content, Catch::StartsWith("Observation: invalid reply format: your reply has "
                                                                "no 'Action:' line"));
  loop.OnModelReply(Answer("Thought: look it up\nAction: lookup_balance\nAction Input: {\"account\": \"A1\"}"));
  REQUIRE(loop.phase() == AgentPhase::kRunTools);
  CHECK(loop.call(0).arguments_json == R"({"account":"A1"})");
  loop.OnToolResult(0, {R"({"balance":120})", true, false});
  request = loop.NextRequest(absl::InfiniteFuture(), kNow);
  CHECK(request.messages.back().role == "user");
  CHECK(request.messages.back().content == R"(Observation: {"balance":120})");
  loop.OnModelReply(Answer("Thought: done\nFinal Answer: 120 EUR"));
  const Json out = AsJson(loop.Output());
  CHECK(out["text"] == "120 EUR");
  REQUIRE(out["steps"].size() == 2);
  CHECK(out["steps"][0]["error"] == "your reply has no 'Action:' line and no 'Final Answer:' line");
  CHECK(out["steps"][1]["reason"] == "look it up");
}

TEST_CASE("auto mode reads a ReAct action from a model without native calls, and plain text as the answer",
          "[unit]") {
  AgentLoop loop(Config(AgentMode::kAuto), Question(), kNow);
  CHECK(loop.NextRequest(absl::InfiniteFuture(), kNow).tools.size() == 2);
  loop.OnModelReply(Answer("Thought: check\nAction: lookup_balance\nAction Input: {\"account\": \"A1\"}"));
  REQUIRE(loop.phase() == AgentPhase::kRunTools);
  loop.OnToolResult(0, {"120", false, false});
  loop.OnModelReply(Answer("It is 120."));
  CHECK(AsJson(loop.Output())["text"] == "It is 120.");
}

TEST_CASE("the loop state round-trips through its progress, mid-approval included", "[unit]") {
  AgentConfig config = Config();
  const tmpl::Value policy = tmpl::Value::FromJson(Json("always"));
  config.approval = *ParseApprovalOverrides(&policy);
  config.timeout = absl::Seconds(60);
  AgentLoop loop(config, Question(), kNow);
  loop.OnModelReply(Calls("Paying bob.", {{"a", "transfer", R"({"amount": 5, "to": "bob"})"}}));
  loop.MarkInterrupted("a");
  const tmpl::Value progress = loop.ToProgress(kNow + absl::Seconds(20));
  // Hours later (waiting for approval does not count against the timeout).
  auto restored = AgentLoop::Restore(config, progress, kNow + absl::Hours(5));
  REQUIRE(restored.ok());
  CHECK(restored->phase() == AgentPhase::kAwaitApproval);
  CHECK(restored->interrupted_call() == "a");
  CHECK(AsJson(restored->ToProgress(kNow + absl::Hours(5))) == AsJson(progress));
  CHECK_FALSE(restored->StopIfExhausted(kNow + absl::Hours(5) + absl::Seconds(39)));
  CHECK(restored->NextRequest(absl::InfiniteFuture(), kNow + absl::Hours(5)).messages.size() == 3);
  CHECK(AgentLoop::Restore(config, tmpl::Value::FromJson(Json{{"version", 9}}), kNow).status().code() ==
        absl::StatusCode::kDataLoss);
  CHECK(AgentLoop::Restore(config, tmpl::Value::FromJson(Json{{"version", 1}, {"messages", 3}}), kNow)
            .status()
            .code() == absl::StatusCode::kDataLoss);
}

tmpl::Value Parsed(const std::string& json) { return tmpl::Value::FromJson(Json::parse(json)); }

TEST_CASE("each delta holds only what changed; replaying the deltas rebuilds the loop, from any prefix", "[unit]") {
  AgentLoop loop(Config(), Question(), kNow);
  std::vector<tmpl::Value> deltas;
  loop.OnModelReply(Calls("Checking.", {{"c1", "lookup_balance", R"({"account":"A1"})"}}));
  deltas.push_back(Parsed(loop.TakeDelta(kNow)));
  loop.OnToolResult(0, {R"({"balance":7})", true, false});
  deltas.push_back(Parsed(loop.TakeDelta(kNow)));
  loop.OnModelReply(Calls("Again.", {{"c2", "lookup_balance", R"({"account":"B2"})"}}));
  deltas.push_back(Parsed(loop.TakeDelta(kNow + absl::Seconds(2))));
  const Json first = AsJson(deltas[0]);
  CHECK(first["messages_from"] == 0);
  CHECK(first["messages"].size() == 3);  // system, user, the assistant's call
  CHECK(first["steps"].size() == 1);
  const Json second = AsJson(deltas[1]);
  CHECK(second["messages_from"] == 3);
  CHECK(second["messages"].size() == 1);  // only the tool result
  CHECK(second["steps_from"] == 0);       // the step was still open at the first delta
  CHECK(second["steps"][0]["calls"][0]["done"] == true);
  const Json third = AsJson(deltas[2]);
  CHECK(third["steps_from"] == 1);  // step 0 closed: not repeated
  CHECK(third["steps"].size() == 1);
  CHECK(third["elapsed_ms"] == 2000);

  auto restored = AgentLoop::Restore(Config(), nullptr, deltas, kNow + absl::Hours(1));
  REQUIRE(restored.ok());
  // Active time continues from the last delta (2 s), not from the restore time.
  CHECK(AsJson(restored->ToProgress(kNow + absl::Hours(1))) == AsJson(loop.ToProgress(kNow + absl::Seconds(2))));
  CHECK(restored->phase() == AgentPhase::kRunTools);
  // A restored loop's next delta continues from where the log stops.
  restored->OnToolResult(0, {"9", false, false});
  std::vector<tmpl::Value> longer = deltas;
  longer.push_back(Parsed(restored->TakeDelta(kNow)));
  CHECK(AsJson(longer.back())["messages_from"] == 5);
  auto again = AgentLoop::Restore(Config(), nullptr, longer, kNow);
  REQUIRE(again.ok());
  CHECK(again->phase() == AgentPhase::kCallModel);
  CHECK(again->NextRequest(absl::InfiniteFuture(), kNow).messages.size() == 6);
  // A prefix restores the earlier state; a snapshot followed by deltas works too.
  auto prefix = AgentLoop::Restore(Config(), nullptr, {deltas[0]}, kNow);
  REQUIRE(prefix.ok());
  CHECK(prefix->phase() == AgentPhase::kRunTools);
  CHECK(prefix->steps().size() == 1);
  const tmpl::Value snapshot = prefix->ToProgress(kNow);
  auto mixed = AgentLoop::Restore(Config(), &snapshot, {deltas[1], deltas[2]}, kNow);
  REQUIRE(mixed.ok());
  CHECK(AsJson(mixed->ToProgress(kNow)) == AsJson(loop.ToProgress(kNow + absl::Seconds(2))));
  // Malformed or out-of-order deltas are DATA_LOSS naming the delta.
  auto skipped = AgentLoop::Restore(Config(), nullptr, {deltas[2]}, kNow);
  CHECK(skipped.status().code() == absl::StatusCode::kDataLoss);
  CHECK(absl::StrContains(skipped.status().message(), "delta 0"));
  auto bad = AgentLoop::Restore(Config(), nullptr, {deltas[0], tmpl::Value::FromJson(Json{{"delta", 1}})}, kNow);
  CHECK(bad.status().code() == absl::StatusCode::kDataLoss);
  CHECK(absl::StrContains(bad.status().message(), "delta 1"));
}

TEST_CASE("deltas are valid JSON whatever the model wrote: escapes, control bytes, invalid UTF-8", "[unit]") {
  AgentLoop loop(Config(), Question(), kNow);
  const std::string odd = "quote \" backslash \\ newline \n tab \t bell \x07 euro \xE2\x82\xAC cut \xE2\x82 end";
  loop.OnModelReply(Calls(odd, {{"c1", "lookup_balance", R"({"account":"A\"1"})"}}));
  const Json delta = Json::parse(loop.TakeDelta(kNow));  // throws (fails the test) when not JSON
  CHECK(delta["steps"][0]["reason"] ==
        "quote \" backslash \\ newline \n tab \t bell \x07 euro \xE2\x82\xAC cut \xEF\xBF\xBD\xEF\xBF\xBD end");
  CHECK(delta["messages"][2]["tool_calls"][0]["arguments"] == R"({"account":"A\"1"})");
  CHECK(delta["steps"][0]["calls"][0]["approved"].is_null());
}

}  // namespace
}  // namespace catena::agents
