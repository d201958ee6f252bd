// PipelineService through a real catenad (pipelines.test_models on): storing, validating with positions,
// listing, deleting, tenant isolation, Run and RunStream with their event order, run traces, Resume after a
// human handoff, and the pipelines directory.
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "catena/v1/memory.grpc.pb.h"
#include "catena/v1/pipeline.grpc.pb.h"
#include "tests/chains/pipeline_service_fixture.h"

namespace catena::testing {
namespace {

TEST_CASE("a stored pipeline is versioned by the SHA-256 of its file and the latest version wins", "[integration]") {
  PipelineServer server;
  auto first = server.Put("bank", kQaPipeline);
  REQUIRE(first.ok());
  CHECK(first->name() == "qa");
  CHECK(first->description() == "answers with the test model");
  CHECK(first->version() == Sha256Hex(kQaPipeline));
  REQUIRE(first->inputs_size() == 1);
  CHECK(first->inputs(0).name() == "question");
  CHECK(first->inputs(0).type() == "string");
  CHECK(first->inputs(0).required());

  const std::string changed = ReplaceAll(kQaPipeline, "answers with the test model", "second version");
  auto second = server.Put("bank", changed);
  REQUIRE(second.ok());
  CHECK(second->version() == Sha256Hex(changed));
  CHECK(server.Get("bank", "qa", "")->source() == changed);
  CHECK(server.Get("bank", "qa", first->version())->source() == kQaPipeline);

  auto listed = server.List("bank");
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].version() == second->version());
  CHECK(listed[0].source().empty());
}

TEST_CASE("validation reports every problem with file, line, column and node", "[integration]") {
  PipelineServer server;
  v1::ValidatePipelineRequest request;
  request.set_source(kBrokenPipeline);
  request.set_file_name("broken.yaml");
  v1::ValidatePipelineResponse response;
  REQUIRE(server.stub().ValidatePipeline(server.Context("bank").get(), request, &response).ok());
  CHECK_FALSE(response.valid());
  REQUIRE(response.problems_size() >= 2);
  const v1::PipelineProblem* type_problem = FindProblem(response, "first");
  REQUIRE(type_problem != nullptr);
  CHECK(type_problem->file() == "broken.yaml");
  CHECK(type_problem->line() == 6);
  CHECK(type_problem->column() > 0);
  CHECK_THAT(type_problem->message(), Catch::Contains("transfrom") && Catch::Contains("transform"));
  const v1::PipelineProblem* reference_problem = FindProblem(response, "second");
  REQUIRE(reference_problem != nullptr);
  CHECK(reference_problem->line() == 10);
  CHECK_THAT(reference_problem->message(), Catch::Contains("missing"));

  // Storing it fails with the same problems and stores nothing.
  auto put = server.Put("bank", kBrokenPipeline);
  CHECK(put.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(put.status().message()), Catch::Contains("transfrom"));
  CHECK(server.List("bank").empty());

  request.set_source(kQaPipeline);
  REQUIRE(server.stub().ValidatePipeline(server.Context("bank").get(), request, &response).ok());
  CHECK(response.valid());
  CHECK(response.problems_size() == 0);
}

TEST_CASE("pipelines of one tenant are invisible to another and delete removes every version", "[integration]") {
  PipelineServer server;
  REQUIRE(server.Put("bank", kQaPipeline).ok());
  REQUIRE(server.Put("bank", kTransferPipeline).ok());
  CHECK(server.List("shop").empty());
  CHECK(server.Get("shop", "qa", "").status().code() == absl::StatusCode::kNotFound);
  auto run = server.Run("shop", "qa", R"({"question": "hi"})");
  CHECK(run.status().code() == absl::StatusCode::kNotFound);

  auto names = server.List("bank");
  REQUIRE(names.size() == 2);
  CHECK(names[0].name() == "qa");
  CHECK(names[1].name() == "transfer");

  v1::DeletePipelineRequest remove;
  remove.set_name("qa");
  v1::DeletePipelineResponse removed;
  CHECK(server.stub().DeletePipeline(server.Context("shop").get(), remove, &removed).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  REQUIRE(server.stub().DeletePipeline(server.Context("bank").get(), remove, &removed).ok());
  CHECK(server.Get("bank", "qa", "").status().code() == absl::StatusCode::kNotFound);
  CHECK(server.List("bank").size() == 1);
}

TEST_CASE("Run returns the outputs of the test model and records a trace", "[integration]") {
  PipelineServer server;
  REQUIRE(server.Put("bank", kQaPipeline).ok());
  auto response = server.Run("bank", "qa", R"({"question": "where is my card"})");
  REQUIRE(response.ok());
  CHECK(response->state() == "completed");
  CHECK(response->outputs().fields().at("answer").string_value() == "echo: where is my card");
  CHECK(response->usage().completion_tokens() > 0);
  CHECK_FALSE(response->run_id().empty());

  auto trace = server.GetRun("bank", response->run_id());
  REQUIRE(trace.ok());
  CHECK(trace->pipeline() == "qa");
  CHECK(trace->version() == Sha256Hex(kQaPipeline));
  CHECK(trace->state() == "completed");
  CHECK(trace->inputs().fields().at("question").string_value() == "where is my card");
  CHECK(trace->outputs().fields().at("answer").string_value() == "echo: where is my card");
  CHECK(trace->finished_at_unix_ms() >= trace->started_at_unix_ms());
  CHECK(IsSubsequence(EventNames(trace->events()), {"run_started", "node_finished:clean", "node_started:answer",
                                                    "token:answer", "node_finished:answer", "final"}));
  CHECK(server.GetRun("shop", response->run_id()).status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("RunStream sends events in order, tokens before the answer node finishes, final last", "[integration]") {
  PipelineServer server;
  REQUIRE(server.Put("bank", kQaPipeline).ok());
  v1::RunRequest request;
  request.set_pipeline("qa");
  request.set_run_id("stream-1");
  SetInputs(request, R"({"question": "open a savings account"})");
  auto context = server.Context("bank");
  auto reader = server.stub().RunStream(context.get(), request);
  std::vector<v1::RunEvent> events;
  for (v1::RunEvent event; reader->Read(&event);) events.push_back(event);
  REQUIRE(reader->Finish().ok());
  REQUIRE_FALSE(events.empty());
  std::vector<std::string> names = EventNames(events);
  CHECK(names.front() == "run_started");
  CHECK(names.back() == "final");
  CHECK(IsSubsequence(names, {"node_started:clean", "node_finished:clean", "node_started:answer", "token:answer",
                              "node_finished:answer", "final"}));
  std::string streamed;
  for (size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].run_id() == "stream-1");
    if (i > 0) CHECK(events[i].seq() > events[i - 1].seq());
    if (events[i].has_token()) streamed += events[i].token().text_delta();
  }
  CHECK(WithoutSpaces(streamed) == WithoutSpaces("echo: open a savings account"));
  CHECK(events.back().final().outputs().fields().at("answer").string_value() == "echo: open a savings account");

  // The stored trace has the same events.
  auto trace = server.GetRun("bank", "stream-1");
  REQUIRE(trace.ok());
  CHECK(EventNames(trace->events()) == names);
  // A run id is used once.
  auto again = server.Run("bank", "qa", R"({"question": "x"})", "stream-1");
  CHECK(again.status().code() == absl::StatusCode::kAlreadyExists);
}

TEST_CASE("a router skips the branch it does not take", "[integration]") {
  PipelineServer server;
  REQUIRE(server.Put("bank", kTransferPipeline).ok());
  auto small = server.Run("bank", "transfer", R"({"amount": 50})");
  REQUIRE(small.ok());
  CHECK(small->state() == "completed");
  CHECK(small->outputs().fields().at("status").string_value() == "auto-approved");
  auto trace = server.GetRun("bank", small->run_id());
  REQUIRE(trace.ok());
  std::vector<std::string> names = EventNames(trace->events());
  CHECK(IsSubsequence(names, {"node_finished:route", "node_finished:auto", "final"}));
  CHECK(std::find(names.begin(), names.end(), "node_skipped:approve") != names.end());
  CHECK(std::find(names.begin(), names.end(), "node_started:approve") == names.end());
}

TEST_CASE("a run waits at a human handoff and Resume continues it where it stopped", "[integration]") {
  PipelineServer server;
  REQUIRE(server.Put("bank", kTransferPipeline).ok());
  auto waiting = server.Run("bank", "transfer", R"({"amount": 500})", "transfer-500");
  REQUIRE(waiting.ok());
  CHECK(waiting->state() == "interrupted");
  CHECK(waiting->interrupt().node() == "approve");
  CHECK(waiting->interrupt().reason() == "approve transfer of 500 EUR");
  CHECK(server.GetRun("bank", "transfer-500")->state() == "interrupted");

  v1::ResumeRequest resume;
  resume.set_run_id("transfer-500");
  resume.set_approved(true);
  auto context = server.Context("bank");
  auto reader = server.stub().Resume(context.get(), resume);
  std::vector<v1::RunEvent> events;
  for (v1::RunEvent event; reader->Read(&event);) events.push_back(event);
  REQUIRE(reader->Finish().ok());
  std::vector<std::string> names = EventNames(events);
  CHECK(IsSubsequence(names, {"node_finished:approve", "node_finished:decide", "final"}));
  CHECK(std::find(names.begin(), names.end(), "node_started:route") == names.end());  // not re-run
  REQUIRE(events.back().has_final());
  CHECK(events.back().final().outputs().fields().at("status").string_value() == "approved");

  auto trace = server.GetRun("bank", "transfer-500");
  REQUIRE(trace.ok());
  CHECK(trace->state() == "completed");
  CHECK(trace->outputs().fields().at("status").string_value() == "approved");
  CHECK(IsSubsequence(EventNames(trace->events()),
                      {"node_finished:route", "interrupt:approve", "node_finished:approve", "final"}));

  // Only an interrupted run can be resumed.
  auto context2 = server.Context("bank");
  auto again = server.stub().Resume(context2.get(), resume);
  for (v1::RunEvent event; again->Read(&event);) {
  }
  CHECK(again->Finish().error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  resume.set_run_id("no-such-run");
  auto context3 = server.Context("bank");
  auto unknown = server.stub().Resume(context3.get(), resume);
  for (v1::RunEvent event; unknown->Read(&event);) {
  }
  CHECK(unknown->Finish().error_code() == grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("a run's checkpoints belong to its user_id and EraseUser removes them", "[integration]") {
  PipelineServer server({"--service", "all"});  // the memory service too
  REQUIRE(server.Put("bank", kTransferPipeline).ok());
  auto waiting = server.Run("bank", "transfer", R"({"amount": 700})", "transfer-700", "customer-42");
  REQUIRE(waiting.ok());
  REQUIRE(waiting->state() == "interrupted");
  CHECK(server.GetRun("bank", "transfer-700")->user_id() == "customer-42");
  auto memory = v1::MemoryService::NewStub(
      grpc::CreateChannel(server.catenad().grpc_address(), grpc::InsecureChannelCredentials()));
  v1::EraseUserRequest erase;
  erase.set_user_id("customer-42");
  v1::EraseUserResponse erased;
  REQUIRE(memory->EraseUser(server.Context("bank").get(), erase, &erased).ok());
  CHECK(erased.checkpoints_erased() >= 1);
  // With its checkpoints erased the run cannot continue.
  v1::ResumeRequest resume;
  resume.set_run_id("transfer-700");
  resume.set_approved(true);
  auto context = server.Context("bank");
  auto reader = server.stub().Resume(context.get(), resume);
  for (v1::RunEvent event; reader->Read(&event);) {
  }
  CHECK_FALSE(reader->Finish().ok());
}

TEST_CASE("a rejected handoff completes with the rejection", "[integration]") {
  PipelineServer server;
  REQUIRE(server.Put("bank", kTransferPipeline).ok());
  REQUIRE(server.Run("bank", "transfer", R"({"amount": 900})", "transfer-900")->state() == "interrupted");
  v1::ResumeRequest resume;
  resume.set_run_id("transfer-900");
  resume.set_approved(false);
  auto context = server.Context("bank");
  auto reader = server.stub().Resume(context.get(), resume);
  v1::RunEvent last;
  for (v1::RunEvent event; reader->Read(&event);) last = event;
  REQUIRE(reader->Finish().ok());
  CHECK(last.final().outputs().fields().at("status").string_value() == "rejected");
}

TEST_CASE("bad run requests are refused before anything runs", "[integration]") {
  PipelineServer server;
  REQUIRE(server.Put("bank", kQaPipeline).ok());
  v1::RunRequest both;
  both.set_pipeline("qa");
  both.set_source(kQaPipeline);
  v1::RunResponse response;
  CHECK(server.stub().Run(server.Context("bank").get(), both, &response).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(server.Run("bank", "qa", R"({"question": "x"})", "bad id!").status().code() ==
        absl::StatusCode::kInvalidArgument);
  // A missing required input is the runner's INVALID_ARGUMENT, and leaves no trace behind.
  auto missing = server.Run("bank", "qa", R"({})", "no-inputs");
  CHECK(missing.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(server.GetRun("bank", "no-inputs").status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("an inline pipeline runs without being stored", "[integration]") {
  PipelineServer server;
  v1::RunRequest request;
  request.set_source(kQaPipeline);
  SetInputs(request, R"({"question": "inline"})");
  v1::RunResponse response;
  REQUIRE(server.stub().Run(server.Context("bank").get(), request, &response).ok());
  CHECK(response.outputs().fields().at("answer").string_value() == "echo: inline");
  CHECK(server.List("bank").empty());
  auto trace = server.GetRun("bank", response.run_id());
  REQUIRE(trace.ok());
  CHECK(trace->pipeline().empty());
  CHECK(trace->source() == kQaPipeline);
}

TEST_CASE("pipelines.dir is loaded into tenant default and reloaded on change; broken files keep the old version",
          "[integration]") {
  TempDir dir("pipelines-dir");
  dir.Write("qa.yaml", kQaPipeline);
  PipelineServer server({"--set", "pipelines.dir=" + dir.path().string(), "--set", "pipelines.reload_interval=100ms"});
  auto loaded = server.Get("default", "qa", "");
  REQUIRE(loaded.ok());
  CHECK(loaded->version() == Sha256Hex(kQaPipeline));

  const std::string changed = ReplaceAll(kQaPipeline, "answers with the test model", "reloaded");
  dir.Write("qa.yaml", changed);
  CHECK(WaitFor([&] { return server.Get("default", "qa", "")->version() == Sha256Hex(changed); }));

  dir.Write("qa.yaml", ReplaceAll(changed, "type: transform", "type: transfrom"));
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  CHECK(server.Get("default", "qa", "")->version() == Sha256Hex(changed));
}

}  // namespace
}  // namespace catena::testing
