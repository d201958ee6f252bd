// Human approval across a catenad restart: an agent pipeline (test echo model, test_transfer tool, approval
// above 100) is deployed to a real catenad, run until it interrupts, catenad is killed and restarted on the
// same data directory, and the run is resumed through the CLI (approve) or gRPC (reject); the trace shows that
// only the chosen branch ran and the tool ran only when approved.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "catena/v1/pipeline.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"
#include "tests/server/catenad_fixture.h"

namespace catena::testing {
namespace {

constexpr char kPipeline[] = R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: pay-agent}
inputs:
  amount: {type: int, required: true}
nodes:
  agent:
    type: agent
    with:
      model: test
      input: '<tool_call>{"name": "test_transfer", "arguments": {"amount": {{ inputs.amount }}, "to": "bob"}}</tool_call>'
      tools: [test_transfer]
      approval: {test_transfer: {when: "args.amount > 100"}}
      max_steps: 3
  paid:
    type: transform
    when: "{{ nodes.agent.steps[0].tool_calls[0].approved }}"
    with: {note: paid}
  declined:
    type: transform
    when: "{{ not nodes.agent.steps[0].tool_calls[0].approved }}"
    with: {note: declined}
outputs:
  answer: "{{ nodes.agent.text }}"
  note: "{{ nodes.paid.note if nodes.paid is defined else nodes.declined.note }}"
)";

std::vector<std::string> Args() { return {"--service", "pipeline", "--set", "pipelines.test_models=true"}; }

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("x-catena-tenant", "bank");
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return context;
}

std::unique_ptr<v1::PipelineService::Stub> Stub(const CatenadProcess& catenad) {
  return v1::PipelineService::NewStub(grpc::CreateChannel(catenad.grpc_address(), grpc::InsecureChannelCredentials()));
}

// Deploys the pipeline and runs it until the approval interrupt; returns with catenad killed.
void RunUntilInterrupt(const std::filesystem::path& data_dir, const std::string& run_id) {
  CatenadProcess catenad(Args(), {}, data_dir);
  auto stub = Stub(catenad);
  v1::PutPipelineRequest put;
  put.set_source(kPipeline);
  v1::Pipeline stored;
  grpc::Status status = stub->PutPipeline(Context().get(), put, &stored);
  INFO(status.error_message());
  REQUIRE(status.ok());
  v1::RunRequest run;
  run.set_pipeline("pay-agent");
  run.set_run_id(run_id);
  REQUIRE(google::protobuf::util::JsonStringToMessage(R"({"amount": 500})", run.mutable_inputs()).ok());
  v1::RunResponse response;
  status = stub->Run(Context().get(), run, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
  CHECK(response.state() == "interrupted");
  CHECK(response.interrupt().node() == "agent");
  CHECK(response.interrupt().reason() == "approve call of tool 'test_transfer' (when: args.amount > 100)");
  CHECK(response.interrupt().payload().fields().at("tool").string_value() == "test_transfer");
  CHECK(response.interrupt().payload().fields().at("arguments").struct_value().fields().at("amount").number_value() ==
        500);
  catenad.process().Signal(SIGKILL);  // no clean shutdown: only what was checkpointed survives
  catenad.process().Wait(std::chrono::seconds(10));
}

std::vector<std::string> Names(const v1::RunTrace& trace) {
  std::vector<std::string> names;
  for (const v1::RunEvent& event : trace.events()) {
    if (event.has_node_finished()) names.push_back("finished:" + event.node_finished().node());
    if (event.has_node_skipped()) names.push_back("skipped:" + event.node_skipped().node());
    if (event.has_tool_result()) names.push_back("tool_result:" + event.tool_result().result_json());
    if (event.has_interrupt()) names.push_back("interrupt:" + event.interrupt().node());
  }
  return names;
}

bool Has(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

v1::RunTrace Trace(v1::PipelineService::Stub& stub, const std::string& run_id) {
  v1::GetRunRequest request;
  request.set_run_id(run_id);
  v1::RunTrace trace;
  REQUIRE(stub.GetRun(Context().get(), request, &trace).ok());
  return trace;
}

TEST_CASE("an approved agent call resumes after a catenad restart through the CLI and runs the paid branch",
          "[integration]") {
  const std::filesystem::path data_dir = MakeTempDir("agent-catenad-approve");
  RunUntilInterrupt(data_dir, "pay-1");
  CatenadProcess catenad(Args(), {}, data_dir);
  RunResult resumed = RunToCompletion({BuiltProgram("catena"), "--address", catenad.grpc_address(), "--tenant", "bank",
                                       "pipeline", "resume", "pay-1", "--approve"},
                                      std::chrono::seconds(30));
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  const nlohmann::json outputs = nlohmann::json::parse(resumed.out);
  CHECK(outputs["answer"] == "echo: sent 500 to bob");
  CHECK(outputs["note"] == "paid");
  auto stub = Stub(catenad);
  const v1::RunTrace trace = Trace(*stub, "pay-1");
  CHECK(trace.state() == "completed");
  const auto names = Names(trace);
  CHECK(Has(names, "interrupt:agent"));
  CHECK(Has(names, "tool_result:\"sent 500 to bob\""));
  CHECK(Has(names, "finished:paid"));
  CHECK(Has(names, "skipped:declined"));
  CHECK_FALSE(Has(names, "finished:declined"));
  std::filesystem::remove_all(data_dir);
}

TEST_CASE("a rejected agent call resumed over gRPC after a restart never runs and takes the declined branch",
          "[integration]") {
  const std::filesystem::path data_dir = MakeTempDir("agent-catenad-reject");
  RunUntilInterrupt(data_dir, "pay-2");
  CatenadProcess catenad(Args(), {}, data_dir);
  auto stub = Stub(catenad);
  v1::ResumeRequest resume;
  resume.set_run_id("pay-2");
  resume.set_approved(false);
  auto context = Context();
  auto reader = stub->Resume(context.get(), resume);
  std::vector<v1::RunEvent> events;
  for (v1::RunEvent event; reader->Read(&event);) events.push_back(event);
  REQUIRE(reader->Finish().ok());
  REQUIRE_FALSE(events.empty());
  REQUIRE(events.back().has_final());
  CHECK(events.back().final().outputs().fields().at("note").string_value() == "declined");
  CHECK(events.back().final().outputs().fields().at("answer").string_value() == "echo: error: rejected by a reviewer");
  const auto names = Names(Trace(*stub, "pay-2"));
  CHECK(Has(names, "tool_result:\"rejected by a reviewer\""));
  CHECK_FALSE(Has(names, "tool_result:\"sent 500 to bob\""));
  CHECK(Has(names, "skipped:paid"));
  CHECK(Has(names, "finished:declined"));
  std::filesystem::remove_all(data_dir);
}

}  // namespace
}  // namespace catena::testing

namespace catena::testing {
namespace {

constexpr char kToolFile[] = R"(allowed_hosts: [127.0.0.1]
tools:
  - name: open_ticket
    description: Opens a support ticket.
    parameters: {type: object, properties: {title: {type: string}}, required: [title]}
    http:
      method: POST
      url: "http://127.0.0.1:9/tickets"
      json: {title: "{{ args.title }}"}
    approval: always
)";

constexpr char kTicketPipeline[] = R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: ticket}
nodes:
  open:
    type: tool
    with: {tool: open_ticket, arguments: {title: "printer on fire"}}
outputs:
  approved: "{{ nodes.open.approved }}"
)";

TEST_CASE("tools.files loads HTTP tools at start (their approval policy applies); a broken file stops catenad",
          "[integration]") {
  const std::filesystem::path dir = MakeTempDir("agent-catenad-tools");
  const std::filesystem::path good = dir / "tools.yaml";
  std::ofstream(good) << kToolFile;
  {
    CatenadProcess catenad({"--service", "pipeline", "--set", "tools.files=" + good.string()}, {}, dir / "data");
    auto stub = Stub(catenad);
    v1::PutPipelineRequest put;
    put.set_source(kTicketPipeline);
    v1::Pipeline stored;
    REQUIRE(stub->PutPipeline(Context().get(), put, &stored).ok());
    v1::RunRequest run;
    run.set_pipeline("ticket");
    v1::RunResponse response;
    grpc::Status status = stub->Run(Context().get(), run, &response);
    INFO(status.error_message());
    REQUIRE(status.ok());
    CHECK(response.state() == "interrupted");
    CHECK(response.interrupt().reason() == "approve call of tool 'open_ticket'");
  }
  const std::filesystem::path bad = dir / "bad.yaml";
  std::ofstream(bad) << "tools:\n  - name: broken\n    htp: {}\n";
  RunResult failed = RunToCompletion({BuiltProgram("catenad"), "--grpc-port", "0", "--http-port", "0", "--data-dir",
                                      (dir / "data2").string(), "--service", "pipeline", "--set",
                                      "tools.files=" + bad.string()},
                                     std::chrono::seconds(30));
  CHECK(failed.exit_code != 0);
  CHECK_THAT(failed.err, Catch::Contains(bad.string() + ":"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace catena::testing
