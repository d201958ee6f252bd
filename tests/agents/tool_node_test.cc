// The tool node through the Runner: templated arguments, kToolCall/kToolResult events, schema failures as
// output errors, and approval: interrupt before the call, reject -> approved = false picks the other branch,
// approve with edited arguments runs the edit.
#include <catch2/catch.hpp>

#include "tests/agents/agent_test_support.h"

namespace catena::agents {
namespace {

using chains::RunEvent;
using chains::RunResult;
using testing::EventsOf;
using testing::Harness;
using testing::Json;
using testing::AsJson;

constexpr char kPayPipeline[] = R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: pay}
inputs:
  amount: {type: any, required: true}
  to: {type: string, required: true}
nodes:
  pay:
    type: tool
    with:
      tool: transfer
      arguments: {amount: "{{ inputs.amount }}", to: "{{ inputs.to }}"}
      approval: {when: "args.amount > 100"}
  notify:
    type: transform
    when: "{{ nodes.pay.approved }}"
    with: {message: "paid: {{ nodes.pay.result }}{{ nodes.pay.error if nodes.pay.error is defined else '' }}"}
  apologize:
    type: transform
    when: "{{ not nodes.pay.approved }}"
    with: {message: "not paid"}
outputs:
  message: "{{ nodes.notify.message if nodes.notify is defined else nodes.apologize.message }}"
)";

std::vector<std::string> Trace(const std::vector<RunEvent>& events) {
  std::vector<std::string> out;
  for (const RunEvent& event : events) {
    if (!event.node.empty()) out.push_back(std::string(chains::RunEventKindName(event.kind)) + ":" + event.node);
  }
  return out;
}

bool Has(const std::vector<std::string>& trace, const std::string& entry) {
  return std::find(trace.begin(), trace.end(), entry) != trace.end();
}

struct Fixture {
  catena::testing::TempDir dir{"tool-node"};
  std::shared_ptr<testing::FakeTool> transfer = testing::TransferTool();
  testing::FakeToolSet tools;
  std::unique_ptr<Harness> harness;
  std::shared_ptr<const chains::CompiledPipeline> pipeline = Harness::Compile(kPayPipeline);
  Fixture() {
    tools.Add(transfer);
    harness = std::make_unique<Harness>(dir, &tools);
  }
};

TEST_CASE("a tool node below the approval threshold calls the tool with its templated arguments", "[unit]") {
  Fixture f;
  RunResult result = f.harness->Run(f.pipeline, R"({"amount": 50, "to": "bob"})", "t-small");
  INFO(result.status);
  REQUIRE(result.state == RunResult::State::kCompleted);
  CHECK(AsJson(result.outputs)["message"] == "paid: sent 50 to bob");
  CHECK(f.transfer->calls() == std::vector<Json>{Json{{"amount", 50}, {"to", "bob"}}});
  const auto calls = EventsOf(f.harness->events(), RunEvent::Kind::kToolCall);
  const auto results = EventsOf(f.harness->events(), RunEvent::Kind::kToolResult);
  REQUIRE(calls.size() == 1);
  REQUIRE(results.size() == 1);
  CHECK(calls[0]["name"] == "transfer");
  CHECK(Json::parse(calls[0]["arguments"].get<std::string>()) == Json{{"amount", 50}, {"to", "bob"}});
  CHECK(results[0]["result"] == "sent 50 to bob");
}

TEST_CASE("arguments that fail the tool's schema become the node's error output", "[unit]") {
  Fixture f;
  RunResult result = f.harness->Run(f.pipeline, R"({"amount": "fifty", "to": "bob"})", "t-bad");
  REQUIRE(result.state == RunResult::State::kCompleted);
  CHECK(AsJson(result.outputs)["message"] ==
        "paid: tool 'transfer': $.amount: expected number, got string");
  CHECK(f.transfer->calls().empty());
}

TEST_CASE("above the threshold the run interrupts; rejected, only the other branch runs", "[unit]") {
  Fixture f;
  RunResult first = f.harness->Run(f.pipeline, R"({"amount": 500, "to": "bob"})", "t-reject");
  REQUIRE(first.state == RunResult::State::kInterrupted);
  std::vector<RunEvent> interrupts;
  for (const RunEvent& event : f.harness->events()) {
    if (event.kind == RunEvent::Kind::kInterrupt) interrupts.push_back(event);
  }
  REQUIRE(interrupts.size() == 1);
  CHECK(interrupts[0].text == "approve call of tool 'transfer' (when: args.amount > 100)");
  CHECK(AsJson(interrupts[0].data) == Json{{"tool", "transfer"},
                                           {"arguments", {{"amount", 500}, {"to", "bob"}}},
                                           {"call_id", "pay/transfer"},
                                           {"reason", interrupts[0].text}});
  RunResult result = f.harness->Resume(f.pipeline, R"({"approved": false})", "t-reject");
  REQUIRE(result.state == RunResult::State::kCompleted);
  CHECK(AsJson(result.outputs)["message"] == "not paid");
  CHECK(f.transfer->calls().empty());
  const auto trace = Trace(f.harness->events());
  CHECK(Has(trace, "node_skipped:notify"));
  CHECK(Has(trace, "node_finished:apologize"));
  CHECK(EventsOf(f.harness->events(), RunEvent::Kind::kToolCall).empty());
}

TEST_CASE("approved with edited arguments, the tool runs once with the edit after a restart", "[unit]") {
  Fixture f;
  REQUIRE(f.harness->Run(f.pipeline, R"({"amount": 500, "to": "bob"})", "t-edit").state ==
          RunResult::State::kInterrupted);
  f.harness.reset();  // restart over the same checkpoints
  f.harness = std::make_unique<Harness>(f.dir, &f.tools);
  RunResult result = f.harness->Resume(
      f.pipeline, R"({"approved": true, "payload": {"arguments": {"amount": 90, "to": "bob"}}})", "t-edit");
  INFO(result.status);
  REQUIRE(result.state == RunResult::State::kCompleted);
  CHECK(AsJson(result.outputs)["message"] == "paid: sent 90 to bob");
  CHECK(f.transfer->calls() == std::vector<Json>{Json{{"amount", 90}, {"to", "bob"}}});
  const auto trace = Trace(f.harness->events());
  CHECK(Has(trace, "node_skipped:apologize"));
}

TEST_CASE("an unknown tool fails the node with a message naming it", "[unit]") {
  Fixture f;
  std::string yaml = kPayPipeline;
  yaml.replace(yaml.find("tool: transfer"), 14, "tool: wire_all");
  RunResult result = f.harness->Run(Harness::Compile(yaml), R"({"amount": 5, "to": "bob"})", "t-unknown");
  REQUIRE(result.state == RunResult::State::kFailed);
  CHECK_THAT(std::string(result.status.message()),
             Catch::Contains("tool 'wire_all' is not registered for tenant 'bank'"));
}

}  // namespace
}  // namespace catena::agents
