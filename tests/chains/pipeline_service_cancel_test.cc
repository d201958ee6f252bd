// PipelineService in process over a model that answers only when cancelled: a client that goes away cancels the
// run (and the model call), and the call deadline ends the run.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "catena/v1/pipeline.grpc.pb.h"
#include "chains/chat_model.h"
#include "chains/pipeline_service.h"
#include "chains/pipeline_store.h"
#include "chains/runner.h"
#include "chains/stored_pipelines.h"
#include "common/executor.h"
#include "tests/support/temp_dir.h"

namespace catena::chains {
namespace {

constexpr char kSlowPipeline[] = R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: slow}
inputs:
  question: {type: string, required: true}
nodes:
  answer:
    type: llm.chat
    with: {model: slow, prompt: "{{ inputs.question }}"}
outputs:
  answer: "{{ nodes.answer.text }}"
)";

// Streams one delta, then waits until the call is cancelled (reported on the executor, never inline).
class NeverEndingModel final : public ChatModel {
 public:
  explicit NeverEndingModel(Executor* executor) : executor_(executor) {}

  std::unique_ptr<ChatCancel> Chat(ChatRequest, std::function<void(std::string_view)> on_delta,
                                   std::function<void(absl::StatusOr<ChatResult>)> on_done) override {
    on_delta("thinking");
    return std::make_unique<PendingCall>(this, std::move(on_done));
  }
  bool HasModel(std::string_view model) const override { return model == "slow"; }

  std::atomic<int> cancels{0};

 private:
  class PendingCall final : public ChatCancel {
   public:
    PendingCall(NeverEndingModel* model, std::function<void(absl::StatusOr<ChatResult>)> on_done)
        : model_(model), on_done_(std::move(on_done)) {}
    void Cancel() override {
      if (done_.exchange(true)) return;
      ++model_->cancels;
      model_->executor_->Post([on_done = on_done_] { on_done(absl::CancelledError("model call cancelled")); });
    }

   private:
    NeverEndingModel* model_;
    std::function<void(absl::StatusOr<ChatResult>)> on_done_;
    std::atomic<bool> done_{false};
  };

  Executor* executor_;
};

struct InProcessServer {
  testing::TempDir dir{"pipeline-cancel"};
  Executor executor{ExecutorOptions{.threads = 2, .name = "test"}};
  NeverEndingModel model{&executor};
  std::unique_ptr<PipelineStore> store = *PipelineStore::Open({.path = (dir.path() / "db").string()});
  StoredPipelines pipelines{store.get(), &model};
  Runner runner{RunnerOptions{.services = {.executor = &executor, .models = &model, .pipelines = &pipelines}}};
  std::unique_ptr<grpc::Service> service = NewPipelineService(&pipelines, &runner, /*checkpoint_runs=*/false);
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<v1::PipelineService::Stub> stub;

  InProcessServer() {
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service.get());
    server = builder.BuildAndStart();
    REQUIRE(server != nullptr);
    stub = v1::PipelineService::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
    REQUIRE(pipelines.Put("default", kSlowPipeline, "slow.yaml").ok());
  }
  ~InProcessServer() { server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5)); }

  // The stored state of the run once it is no longer "running" (within 5 s).
  std::string FinalState(const std::string& run_id) {
    for (int i = 0; i < 100; ++i) {
      auto trace = store->GetRun("default", run_id);
      if (trace.ok() && trace->state() != "running") return trace->state();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "running";
  }
};

v1::RunRequest SlowRequest(const std::string& run_id) {
  v1::RunRequest request;
  request.set_pipeline("slow");
  request.set_run_id(run_id);
  (*request.mutable_inputs()->mutable_fields())["question"].set_string_value("take your time");
  return request;
}

TEST_CASE("a client that cancels its stream cancels the run and the model call", "[integration]") {
  InProcessServer fixture;
  grpc::ClientContext context;
  auto reader = fixture.stub->RunStream(&context, SlowRequest("cancel-me"));
  v1::RunEvent event;
  bool saw_token = false;
  while (!saw_token && reader->Read(&event)) saw_token = event.has_token();
  REQUIRE(saw_token);
  CHECK(event.token().text_delta() == "thinking");
  context.TryCancel();
  while (reader->Read(&event)) {
  }
  CHECK(reader->Finish().error_code() == grpc::StatusCode::CANCELLED);
  CHECK(fixture.FinalState("cancel-me") == "cancelled");
  CHECK(fixture.model.cancels.load() == 1);
}

TEST_CASE("the call deadline ends the run", "[integration]") {
  InProcessServer fixture;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
  v1::RunResponse response;
  grpc::Status status = fixture.stub->Run(&context, SlowRequest("late"), &response);
  CHECK(status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
  const std::string state = fixture.FinalState("late");
  CHECK((state == "failed" || state == "cancelled"));
  CHECK(fixture.model.cancels.load() == 1);
}

}  // namespace
}  // namespace catena::chains
