// Test support for PipelineService integration tests: a catenad serving only the pipeline service with the test
// chat models, typed helpers for its calls, the pipelines the tests use, and event-order helpers.
#pragma once

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "catena/v1/pipeline.grpc.pb.h"
#include "common/grpc_util.h"
#include "tests/server/catenad_fixture.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace catena::testing {

// transform -> llm.chat with the test model ("echo: <prompt>").
inline constexpr char kQaPipeline[] = R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: qa, description: "answers with the test model"}
inputs:
  question: {type: string, required: true}
nodes:
  clean:
    type: transform
    with: {q: "{{ inputs.question }}"}
  answer:
    type: llm.chat
    with: {model: test, prompt: "{{ nodes.clean.q }}"}
outputs:
  answer: "{{ nodes.answer.text }}"
)";

// An unknown node type on line 6 and a reference to an unknown node on line 10.
inline constexpr char kBrokenPipeline[] = R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: broken}
nodes:
  first:
    type: transfrom
    with: {x: 1}
  second:
    type: llm.chat
    with: {model: test, prompt: "{{ nodes.missing.text }}"}
)";

// A router sends large amounts to a human handoff; `decide` reads the approval.
inline constexpr char kTransferPipeline[] = R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: transfer, description: "transfers above 100 need approval"}
inputs:
  amount: {type: int, required: true}
nodes:
  route:
    type: router
    with:
      routes:
        - {when: "{{ inputs.amount > 100 }}", to: approve}
        - {to: auto}
  approve:
    type: handoff.human
    with: {reason: "approve transfer of {{ inputs.amount }} EUR", payload: {amount: "{{ inputs.amount }}"}}
  auto:
    type: transform
    with: {status: auto-approved}
  decide:
    type: transform
    with: {status: "{{ 'approved' if nodes.approve.approved else 'rejected' }}"}
outputs:
  status: "{{ nodes.decide.status if nodes.decide is defined else nodes.auto.status }}"
)";

inline std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// Hex SHA-256 of `text`, computed by coreutils' sha256sum (independent of the server's hashing).
inline std::string Sha256Hex(const std::string& text) {
  TempDir dir("sha256");
  const auto file = dir.Write("text", text);
  RunResult result = RunToCompletion({"/usr/bin/sha256sum", file.string()}, std::chrono::seconds(10));
  REQUIRE(result.exit_code == 0);
  return result.out.substr(0, 64);
}

inline std::string WithoutSpaces(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c != ' ' && c != '\n' && c != '\t') out += c;
  }
  return out;
}

// "run_started", "node_finished:answer", "token:answer", "interrupt:approve", "final", ...
inline std::string EventName(const v1::RunEvent& event) {
  switch (event.event_case()) {
    case v1::RunEvent::kRunStarted:
      return "run_started";
    case v1::RunEvent::kNodeStarted:
      return "node_started:" + event.node_started().node();
    case v1::RunEvent::kNodeFinished:
      return "node_finished:" + event.node_finished().node();
    case v1::RunEvent::kNodeSkipped:
      return "node_skipped:" + event.node_skipped().node();
    case v1::RunEvent::kToken:
      return "token:" + event.token().node();
    case v1::RunEvent::kRetrieved:
      return "retrieved:" + event.retrieved().node();
    case v1::RunEvent::kToolCall:
      return "tool_call:" + event.tool_call().node();
    case v1::RunEvent::kToolResult:
      return "tool_result:" + event.tool_result().node();
    case v1::RunEvent::kInterrupt:
      return "interrupt:" + event.interrupt().node();
    case v1::RunEvent::kFinal:
      return "final";
    case v1::RunEvent::kError:
      return "error:" + event.error().node();
    default:
      return "unknown";
  }
}

template <typename Events>
std::vector<std::string> EventNames(const Events& events) {
  std::vector<std::string> names;
  for (const v1::RunEvent& event : events) names.push_back(EventName(event));
  return names;
}

// Whether `wanted` occurs in `names` in this order (not necessarily adjacent).
inline bool IsSubsequence(const std::vector<std::string>& names, const std::vector<std::string>& wanted) {
  size_t next = 0;
  for (const std::string& name : names) {
    if (next < wanted.size() && name == wanted[next]) ++next;
  }
  if (next < wanted.size()) UNSCOPED_INFO("missing '" << wanted[next] << "' in order");
  return next == wanted.size();
}

inline const v1::PipelineProblem* FindProblem(const v1::ValidatePipelineResponse& response, const std::string& node) {
  for (const v1::PipelineProblem& problem : response.problems()) {
    if (problem.node() == node) return &problem;
  }
  return nullptr;
}

inline void SetInputs(v1::RunRequest& request, const std::string& json) {
  REQUIRE(google::protobuf::util::JsonStringToMessage(json, request.mutable_inputs()).ok());
}

// Polls `condition` for up to 5 s.
inline bool WaitFor(const std::function<bool()>& condition) {
  for (int i = 0; i < 100; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

class PipelineServer {
 public:
  explicit PipelineServer(std::vector<std::string> extra_args = {})
      : catenad_(WithDefaults(std::move(extra_args))),
        stub_(v1::PipelineService::NewStub(
            grpc::CreateChannel(catenad_.grpc_address(), grpc::InsecureChannelCredentials()))) {}

  v1::PipelineService::Stub& stub() { return *stub_; }
  CatenadProcess& catenad() { return catenad_; }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& tenant) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("x-catena-tenant", tenant);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return context;
  }

  absl::StatusOr<v1::Pipeline> Put(const std::string& tenant, const std::string& source) {
    v1::PutPipelineRequest request;
    request.set_source(source);
    v1::Pipeline pipeline;
    grpc::Status status = stub_->PutPipeline(Context(tenant).get(), request, &pipeline);
    if (!status.ok()) return FromGrpcStatus(status);
    return pipeline;
  }

  absl::StatusOr<v1::Pipeline> Get(const std::string& tenant, const std::string& name, const std::string& version) {
    v1::GetPipelineRequest request;
    request.set_name(name);
    request.set_version(version);
    v1::Pipeline pipeline;
    grpc::Status status = stub_->GetPipeline(Context(tenant).get(), request, &pipeline);
    if (!status.ok()) return FromGrpcStatus(status);
    return pipeline;
  }

  std::vector<v1::Pipeline> List(const std::string& tenant) {
    v1::ListPipelinesRequest request;
    v1::ListPipelinesResponse response;
    REQUIRE(stub_->ListPipelines(Context(tenant).get(), request, &response).ok());
    return {response.pipelines().begin(), response.pipelines().end()};
  }

  absl::StatusOr<v1::RunResponse> Run(const std::string& tenant, const std::string& name, const std::string& inputs,
                                      const std::string& run_id = "", const std::string& user_id = "") {
    v1::RunRequest request;
    request.set_pipeline(name);
    request.set_run_id(run_id);
    request.set_user_id(user_id);
    SetInputs(request, inputs);
    v1::RunResponse response;
    grpc::Status status = stub_->Run(Context(tenant).get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  absl::StatusOr<v1::RunTrace> GetRun(const std::string& tenant, const std::string& run_id) {
    v1::GetRunRequest request;
    request.set_run_id(run_id);
    v1::RunTrace trace;
    grpc::Status status = stub_->GetRun(Context(tenant).get(), request, &trace);
    if (!status.ok()) return FromGrpcStatus(status);
    return trace;
  }

 private:
  static std::vector<std::string> WithDefaults(std::vector<std::string> args) {
    args.insert(args.begin(), {"--service", "pipeline", "--set", "pipelines.test_models=true"});
    return args;
  }

  CatenadProcess catenad_;
  std::unique_ptr<v1::PipelineService::Stub> stub_;
};

}  // namespace catena::testing
