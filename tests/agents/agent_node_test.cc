// The agent node through the Runner: native tool calls (parallel, on the executor), events with reasons,
// errors returned to the model, approval interrupts that survive a restart and resume from the last step,
// crash recovery from the step checkpoint, and ReAct mode with a scripted model.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "tests/agents/agent_test_support.h"

namespace catena::agents {
namespace {

using chains::RunEvent;
using chains::RunResult;
using testing::EventsOf;
using testing::Harness;
using testing::Json;
using testing::AsJson;

constexpr char kAgentPipeline[] = R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: agent-test}
inputs:
  question: {type: string, required: true}
nodes:
  agent:
    type: agent
    with:
      model: banker
      system: "You are a bank assistant."
      input: "{{ inputs.question }}"
      tools: [lookup_balance, transfer]
      approval: {transfer: {when: "args.amount > 100"}}
      max_steps: 4
outputs:
  answer: "{{ nodes.agent.text }}"
  steps: "{{ nodes.agent.steps }}"
  finish_reason: "{{ nodes.agent.finish_reason }}"
)";

std::string Call(const std::string& name, const std::string& arguments) {
  return R"(<tool_call>{"name": ")" + name + R"(", "arguments": )" + arguments + "}</tool_call>";
}

chains::TestModelSpec Banker() {
  chains::TestModelSpec spec{.name = "banker"};
  spec.replies = {
      {"\"balance\":120", "Both accounts hold 120 EUR."},
      {"sent ", "Done: the transfer went through."},
      {"rejected by a reviewer", "The transfer was not approved."},
      {"expected number", "Sorry, I sent a wrong amount."},
      {"balance", "Let me look up both. " + Call("lookup_balance", R"({"account": "A1"})") +
                      Call("lookup_balance", R"({"account": "B2"})")},
      {"pay bob 500", "Paying Bob. " + Call("transfer", R"({"amount": 500, "to": "bob"})")},
      {"pay bob lots", Call("transfer", R"({"amount": "lots", "to": "bob"})")},
      {"loop", "Again. " + Call("lookup_balance", R"({"account": "A1"})")},
  };
  spec.default_text = "I do not know.";
  return spec;
}

struct Tools {
  std::shared_ptr<testing::FakeTool> balance = testing::BalanceTool();
  std::shared_ptr<testing::FakeTool> transfer = testing::TransferTool();
  testing::FakeToolSet set;
  Tools() {
    set.Add(balance);
    set.Add(transfer);
  }
};

TEST_CASE("an agent runs parallel tool calls on the executor and answers from their results", "[unit]") {
  catena::testing::TempDir dir("agent-parallel");
  Tools tools;
  tools.balance->set_rendezvous(2);  // each call waits until both are in flight
  Harness harness(dir, &tools.set);
  harness.AddModel(Banker());
  auto pipeline = Harness::Compile(kAgentPipeline);
  RunResult result = harness.Run(pipeline, R"({"question": "What is the balance of A1 and B2?"})", "run-par");
  INFO(result.status);
  REQUIRE(result.state == RunResult::State::kCompleted);
  const Json out = AsJson(result.outputs);
  CHECK(out["answer"] == "Both accounts hold 120 EUR.");
  CHECK(out["finish_reason"] == "stop");
  REQUIRE(out["steps"].size() == 1);
  CHECK(out["steps"][0]["reason"] == "Let me look up both.");
  REQUIRE(out["steps"][0]["tool_calls"].size() == 2);
  CHECK(out["steps"][0]["tool_calls"][1]["arguments"] == Json{{"account", "B2"}});
  CHECK(out["steps"][0]["tool_calls"][1]["result"] == Json{{"account", "B2"}, {"balance", 120}});
  CHECK(tools.balance->overlapped());
  CHECK(tools.balance->tenants() == std::vector<std::string>{"bank", "bank"});
  CHECK(harness.models().calls == 2);
  const auto requests = harness.models().requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].tools.size() == 2);
  CHECK(requests[1].messages.back().role == "tool");

  const auto calls = EventsOf(harness.events(), RunEvent::Kind::kToolCall);
  const auto results = EventsOf(harness.events(), RunEvent::Kind::kToolResult);
  REQUIRE(calls.size() == 2);
  REQUIRE(results.size() == 2);
  CHECK(calls[0]["name"] == "lookup_balance");
  CHECK(calls[0]["reason"] == "Let me look up both.");
  CHECK(Json::parse(calls[0]["arguments"].get<std::string>()) == Json{{"account", "A1"}});
  CHECK(results[0]["tool_call_id"] == calls[0]["id"]);
  CHECK(results[0]["is_error"] == false);
}

TEST_CASE("schema failures go back to the model as tool results, not run failures", "[unit]") {
  catena::testing::TempDir dir("agent-schema");
  Tools tools;
  Harness harness(dir, &tools.set);
  harness.AddModel(Banker());
  RunResult result = harness.Run(Harness::Compile(kAgentPipeline), R"({"question": "pay bob lots"})", "run-schema");
  REQUIRE(result.state == RunResult::State::kCompleted);
  const Json out = AsJson(result.outputs);
  CHECK(out["answer"] == "Sorry, I sent a wrong amount.");
  CHECK(out["steps"][0]["tool_calls"][0]["is_error"] == true);
  CHECK(out["steps"][0]["tool_calls"][0]["result"] == "tool 'transfer': $.amount: expected number, got string");
  CHECK(tools.transfer->calls().empty());
}

TEST_CASE("max_steps ends an agent that keeps calling tools", "[unit]") {
  catena::testing::TempDir dir("agent-steps");
  Tools tools;
  Harness harness(dir, &tools.set);
  chains::TestModelSpec looping{.name = "banker", .default_text = "Again. " + Call("lookup_balance", R"({"account": "A9"})")};
  harness.AddModel(looping);
  RunResult result = harness.Run(Harness::Compile(kAgentPipeline), R"({"question": "loop"})", "run-loop");
  REQUIRE(result.state == RunResult::State::kCompleted);
  const Json out = AsJson(result.outputs);
  CHECK(out["finish_reason"] == "max_steps");
  CHECK(out["steps"].size() == 4);
  CHECK(harness.models().calls == 4);
  CHECK(tools.balance->calls().size() == 3);  // the 4th step's call is not run
}

TEST_CASE("an approval interrupt survives a restart; resumed with edited arguments only the rest runs", "[unit]") {
  catena::testing::TempDir dir("agent-approval");
  Tools tools;
  auto pipeline = Harness::Compile(kAgentPipeline);
  {
    Harness harness(dir, &tools.set);
    harness.AddModel(Banker());
    RunResult result = harness.Run(pipeline, R"({"question": "please pay bob 500"})", "run-appr");
    INFO(result.status);
    REQUIRE(result.state == RunResult::State::kInterrupted);
    CHECK(harness.models().calls == 1);
    CHECK(tools.transfer->calls().empty());
    std::vector<RunEvent> interrupts;
    for (const RunEvent& event : harness.events()) {
      if (event.kind == RunEvent::Kind::kInterrupt) interrupts.push_back(event);
    }
    REQUIRE(interrupts.size() == 1);
    CHECK(interrupts[0].node == "agent");
    CHECK(interrupts[0].text == "approve call of tool 'transfer' (when: args.amount > 100)");
    const Json payload = AsJson(interrupts[0].data);
    CHECK(payload["tool"] == "transfer");
    CHECK(payload["arguments"] == Json{{"amount", 500}, {"to", "bob"}});
    CHECK(payload["call_id"] == "call_0");
    auto latest = harness.checkpoints().Latest("bank", "run-appr");
    REQUIRE(latest.ok());
    // The interrupt's full (synced) state carries the agent's deltas; the last one names the pending call.
    const Json log = Json::parse(latest->state)["progress_log"]["agent"];
    REQUIRE(log.is_array());
    CHECK(log.back()["interrupted_call"] == "call_0");
  }  // restart
  Harness harness(dir, &tools.set);
  harness.AddModel(Banker());
  RunResult result = harness.Resume(
      pipeline, R"({"approved": true, "payload": {"arguments": {"amount": 50, "to": "bob"}}})", "run-appr");
  INFO(result.status);
  REQUIRE(result.state == RunResult::State::kCompleted);
  const Json out = AsJson(result.outputs);
  CHECK(out["answer"] == "Done: the transfer went through.");
  CHECK(out["steps"][0]["reason"] == "Paying Bob.");
  CHECK(out["steps"][0]["tool_calls"][0]["approved"] == true);
  CHECK(out["steps"][0]["tool_calls"][0]["arguments"] == Json{{"amount", 50}, {"to", "bob"}});
  CHECK(out["steps"][0]["tool_calls"][0]["result"] == "sent 50 to bob");
  REQUIRE(tools.transfer->calls().size() == 1);
  CHECK(tools.transfer->calls()[0] == Json{{"amount", 50}, {"to", "bob"}});
  CHECK(harness.models().calls == 1);  // the first step was not asked again
}

TEST_CASE("a rejected call is reported to the model, which answers without running it", "[unit]") {
  catena::testing::TempDir dir("agent-reject");
  Tools tools;
  Harness harness(dir, &tools.set);
  harness.AddModel(Banker());
  auto pipeline = Harness::Compile(kAgentPipeline);
  REQUIRE(harness.Run(pipeline, R"({"question": "pay bob 500"})", "run-rej").state ==
          RunResult::State::kInterrupted);
  RunResult result = harness.Resume(pipeline, R"({"approved": false})", "run-rej");
  REQUIRE(result.state == RunResult::State::kCompleted);
  const Json out = AsJson(result.outputs);
  CHECK(out["answer"] == "The transfer was not approved.");
  CHECK(out["steps"][0]["tool_calls"][0]["approved"] == false);
  CHECK(out["steps"][0]["tool_calls"][0]["result"] == "rejected by a reviewer");
  CHECK(tools.transfer->calls().empty());
  const auto results = EventsOf(harness.events(), RunEvent::Kind::kToolResult);
  REQUIRE(results.size() == 1);
  CHECK(results[0]["result"] == "rejected by a reviewer");
}

TEST_CASE("a crash during a tool call resumes from the step checkpoint, not from scratch", "[unit]") {
  catena::testing::TempDir dir("agent-crash");
  std::atomic<bool> release{false};
  std::atomic<int> balance_calls{0};
  auto slow = std::make_shared<testing::FakeTool>(
      "lookup_balance", R"({"type":"object"})", [&](const Json& args) -> absl::StatusOr<chains::ToolOutput> {
        if (++balance_calls == 1) {
          while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
          return absl::UnavailableError("process died");
        }
        return chains::ToolOutput{R"({"balance":120})", true};
      });
  testing::FakeToolSet set;
  set.Add(slow);
  set.Add(testing::TransferTool());
  auto pipeline = Harness::Compile(kAgentPipeline);
  chains::TestModelSpec model{.name = "banker",
                              .replies = {{"\"balance\":120", "120 EUR."},
                                          {"balance", "Checking. " + Call("lookup_balance", R"({"account": "A1"})")}}};
  {
    Harness harness(dir, &set);
    harness.AddModel(model);
    auto handle = harness.Start(pipeline, R"({"question": "balance of A1?"})", "run-crash");
    for (int i = 0; i < 5000 && balance_calls.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    REQUIRE(balance_calls.load() == 1);
    auto latest = harness.checkpoints().Latest("bank", "run-crash");
    // The step with the pending call was saved before the call started: the run's first record, so a full
    // state (with the inputs) carrying the agent's first delta.
    REQUIRE(latest.ok());
    CHECK(latest->step == 0);
    const Json record = Json::parse(latest->state);
    REQUIRE(record["progress_log"]["agent"].size() == 1);
    const Json& delta = record["progress_log"]["agent"][0];
    CHECK(delta["steps_from"] == 0);
    REQUIRE(delta["steps"].size() == 1);
    CHECK(delta["steps"][0]["calls"][0]["done"] == false);
    CHECK(delta["messages_from"] == 0);  // the loop's first delta holds the whole conversation so far
    CHECK(delta["messages"].size() == 3);
    CHECK(harness.models().calls == 1);
    handle->Cancel();  // the "crash": the run ends and nothing after this point is saved
    release = true;
  }
  // Resuming runs the pending call again (tools are called at least once) and asks the model only for step 2.
  Harness harness(dir, &set);
  harness.AddModel(model);
  RunResult result = harness.Resume(pipeline, "null", "run-crash");
  INFO(result.status);
  REQUIRE(result.state == RunResult::State::kCompleted);
  CHECK(harness.models().calls == 1);
  CHECK(balance_calls == 2);
  const Json out = AsJson(result.outputs);
  CHECK(out["answer"] == "120 EUR.");
  CHECK(out["steps"].size() == 1);
  CHECK(out["steps"][0]["tool_calls"][0]["result"] == Json{{"balance", 120}});
}

TEST_CASE("ReAct mode drives tools through the text protocol with a scripted model", "[unit]") {
  catena::testing::TempDir dir("agent-react");
  Tools tools;
  Harness harness(dir, &tools.set);
  harness.AddModel({.name = "react",
                    .replies = {{"Observation: {\"account\"", "Thought: I have it.\nFinal Answer: A1 holds 120 EUR."},
                                {"balance", "Thought: I need the balance.\nAction: lookup_balance\n"
                                            "Action Input: {\"account\": \"A1\"}"}}});
  std::string yaml = kAgentPipeline;
  yaml.replace(yaml.find("model: banker"), 13, "model: react\n      mode: react");
  RunResult result = harness.Run(Harness::Compile(yaml), R"({"question": "balance of A1?"})", "run-react");
  INFO(result.status);
  REQUIRE(result.state == RunResult::State::kCompleted);
  const Json out = AsJson(result.outputs);
  CHECK(out["answer"] == "A1 holds 120 EUR.");
  CHECK(out["steps"][0]["reason"] == "I need the balance.");
  CHECK(harness.models().requests()[0].tools.empty());
  CHECK(tools.balance->calls() == std::vector<Json>{Json{{"account", "A1"}}});
}

TEST_CASE("agent files are checked at compile time: input or messages, mode, max_steps", "[unit]") {
  chains::CompileOptions options;
  options.registry = &AllNodeTypes();
  std::vector<chains::Problem> problems;
  auto compiled = chains::CompilePipeline(R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: bad}
nodes:
  agent:
    type: agent
    with: {tools: "*", mode: clever, max_steps: 0}
)",
                                          options, &problems);
  REQUIRE_FALSE(compiled.ok());
  std::string all;
  for (const chains::Problem& problem : problems) all += problem.message + "\n";
  CHECK_THAT(all, Catch::Contains("mode"));
  CHECK_THAT(all, Catch::Contains("max_steps"));
  CHECK_THAT(all, Catch::Contains("input"));
  CHECK(chains::NodeRegistry::BuiltIn().Find("agent") == nullptr);
  CHECK(AllNodeTypes().Find("agent") != nullptr);
  CHECK(AllNodeTypes().Find("tool") != nullptr);
  CHECK(AllNodeTypes().Find("llm.chat") != nullptr);
}

}  // namespace
}  // namespace catena::agents
