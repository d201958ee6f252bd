#include "chains/pipeline_service.h"

#include <grpcpp/grpcpp.h>

#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "catena/v1/pipeline.grpc.pb.h"
#include "chains/proto_convert.h"
#include "chains/run_call.h"
#include "chains/stored_pipelines.h"
#include "common/grpc_util.h"
#include "common/request_context.h"
#include "common/status.h"
#include "common/stream_writer.h"

namespace catena::chains {
namespace {

constexpr size_t kMaxRunIdBytes = 128;

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

// A run ready to start: the compiled pipeline, its trace header, and the inputs (or the resume data).
struct Launch {
  std::shared_ptr<const CompiledPipeline> pipeline;
  v1::RunTrace header;
  int64_t next_index = 0;
  tmpl::Value data;
  bool resume = false;
};

class UnaryRunReactor final : public grpc::ServerUnaryReactor {
 public:
  void set_run(std::shared_ptr<RunCall> run) { run_ = std::move(run); }
  void OnCancel() override {
    if (run_ != nullptr) run_->Cancel();
  }
  void OnDone() override { delete this; }

 private:
  std::shared_ptr<RunCall> run_;
};

class StreamRunReactor final : public QueuedStreamWriter<v1::RunEvent> {
 public:
  void set_run(std::shared_ptr<RunCall> run) { run_ = std::move(run); }
  void OnCancel() override {
    if (run_ != nullptr) run_->Cancel();
  }
  void OnDone() override {
    WaitForProducers();
    delete this;
  }

 private:
  std::shared_ptr<RunCall> run_;
};

// The gRPC status a finished run ends its call with: OK when it completed or waits at an interrupt.
grpc::Status CallStatus(const RunResult& result) {
  switch (result.state) {
    case RunResult::State::kCompleted:
    case RunResult::State::kInterrupted:
      return grpc::Status::OK;
    case RunResult::State::kCancelled:
      return ToGrpcStatus(result.status.ok() ? absl::CancelledError("the run was cancelled") : result.status);
    case RunResult::State::kFailed:
      return ToGrpcStatus(result.status.ok() ? absl::InternalError("the run failed") : result.status);
  }
  return grpc::Status::OK;
}

class PipelineServiceImpl final : public v1::PipelineService::CallbackService {
 public:
  PipelineServiceImpl(StoredPipelines* pipelines, Runner* runner, bool checkpoint_runs, std::shared_ptr<void> owner,
                      PipelineServiceHooks hooks)
      : pipelines_(pipelines), runner_(runner), checkpoint_runs_(checkpoint_runs), hooks_(std::move(hooks)),
        owner_(std::move(owner)) {}
  // The owner (with the runner, which waits for its runs) goes first, while the handlers are intact.
  ~PipelineServiceImpl() override { owner_.reset(); }

  using Ctx = grpc::CallbackServerContext;

  grpc::ServerUnaryReactor* PutPipeline(Ctx* context, const v1::PutPipelineRequest* request,
                                        v1::Pipeline* response) override {
    return FinishUnary(context, [&](const RequestContext& call) -> absl::Status {
      CATENA_ASSIGN_OR_RETURN(*response,
                              pipelines_->Put(call.tenant, request->source(), FileName(request->file_name())));
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* ValidatePipeline(Ctx* context, const v1::ValidatePipelineRequest* request,
                                             v1::ValidatePipelineResponse* response) override {
    return FinishUnary(context, [&](const RequestContext&) -> absl::Status {
      std::vector<Problem> problems;
      const std::string file = FileName(request->file_name());
      auto compiled = pipelines_->Compile(request->source(), file, &problems);
      if (!compiled.ok() && compiled.status().code() != absl::StatusCode::kInvalidArgument) return compiled.status();
      if (!compiled.ok() && problems.empty()) {
        problems.push_back({.file = file, .message = std::string(compiled.status().message())});
      }
      response->set_valid(compiled.ok());
      for (const Problem& problem : problems) *response->add_problems() = ProblemToProto(problem);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* ListPipelines(Ctx* context, const v1::ListPipelinesRequest* request,
                                          v1::ListPipelinesResponse* response) override {
    return FinishUnary(context, [&](const RequestContext& call) -> absl::Status {
      CATENA_ASSIGN_OR_RETURN(int page_size, PageSizeOrDefault(request->page().page_size()));
      CATENA_ASSIGN_OR_RETURN(PipelinePage page,
                              pipelines_->store().List(call.tenant, page_size, request->page().page_token()));
      for (v1::Pipeline& pipeline : page.pipelines) *response->add_pipelines() = std::move(pipeline);
      response->set_next_page_token(page.next_page_token);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* GetPipeline(Ctx* context, const v1::GetPipelineRequest* request,
                                        v1::Pipeline* response) override {
    return FinishUnary(context, [&](const RequestContext& call) -> absl::Status {
      CATENA_RETURN_IF_ERROR(CheckPipelineName(request->name()));
      CATENA_ASSIGN_OR_RETURN(*response, pipelines_->store().Get(call.tenant, request->name(), request->version()));
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* DeletePipeline(Ctx* context, const v1::DeletePipelineRequest* request,
                                           v1::DeletePipelineResponse*) override {
    return FinishUnary(context, [&](const RequestContext& call) -> absl::Status {
      CATENA_RETURN_IF_ERROR(CheckPipelineName(request->name()));
      return pipelines_->store().Delete(call.tenant, request->name());
    });
  }

  grpc::ServerUnaryReactor* GetRun(Ctx* context, const v1::GetRunRequest* request, v1::RunTrace* response) override {
    return FinishUnary(context, [&](const RequestContext& call) -> absl::Status {
      CATENA_RETURN_IF_ERROR(CheckRunId(request->run_id(), /*required=*/true));
      CATENA_ASSIGN_OR_RETURN(*response, pipelines_->store().GetRun(call.tenant, request->run_id()));
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* Run(Ctx* context, const v1::RunRequest* request, v1::RunResponse* response) override {
    auto* reactor = new UnaryRunReactor();
    auto run = std::make_shared<RunCall>(nullptr,
                                         [reactor, response](const RunResult& result, const v1::Interrupt& interrupt) {
                                           response->set_run_id(result.run_id);
                                           response->set_state(RunStateName(result.state));
                                           if (result.state == RunResult::State::kCompleted)
                                             *response->mutable_outputs() = ValueToStruct(result.outputs);
                                           if (result.state == RunResult::State::kInterrupted)
                                             *response->mutable_interrupt() = interrupt;
                                           *response->mutable_usage() = UsageToProto(result.usage);
                                           reactor->Finish(CallStatus(result));
                                         });
    reactor->set_run(run);
    absl::Status started =
        StartCall(*context, run, [&](const RequestContext& call) { return PrepareRun(call, *request); });
    if (!started.ok() && run->MarkDone()) reactor->Finish(ToGrpcStatus(started));
    return reactor;
  }

  grpc::ServerWriteReactor<v1::RunEvent>* RunStream(Ctx* context, const v1::RunRequest* request) override {
    return Stream(*context, [&](const RequestContext& call) { return PrepareRun(call, *request); });
  }

  grpc::ServerWriteReactor<v1::RunEvent>* Resume(Ctx* context, const v1::ResumeRequest* request) override {
    return Stream(*context, [&](const RequestContext& call) { return PrepareResume(call, *request); });
  }

 private:
  template <typename Prepare>
  grpc::ServerWriteReactor<v1::RunEvent>* Stream(const Ctx& context, Prepare prepare) {
    auto* reactor = new StreamRunReactor();
    auto run = std::make_shared<RunCall>([reactor](const v1::RunEvent& event) { reactor->Enqueue(event); },
                                         [reactor](const RunResult& result, const v1::Interrupt&) {
                                           reactor->Enqueue(std::nullopt, CallStatus(result));
                                         });
    reactor->set_run(run);
    absl::Status started = StartCall(context, run, prepare);
    if (!started.ok() && run->MarkDone()) reactor->Enqueue(std::nullopt, ToGrpcStatus(started));
    return reactor;
  }

  static std::string FileName(const std::string& given) { return given.empty() ? "pipeline.yaml" : given; }

  static absl::Status CheckPipelineName(const std::string& name) {
    if (name.empty()) return absl::InvalidArgumentError("name is required");
    if (!IsValidName(name, 128)) {
      return absl::InvalidArgumentError(
          absl::StrCat("name '", name, "' is not a pipeline name ([A-Za-z0-9][A-Za-z0-9_.-]{0,127})"));
    }
    return absl::OkStatus();
  }

  static absl::Status CheckRunId(const std::string& run_id, bool required) {
    if (run_id.empty()) return required ? absl::InvalidArgumentError("run_id is required") : absl::OkStatus();
    if (!IsValidName(run_id, kMaxRunIdBytes)) {
      return absl::InvalidArgumentError(
          absl::StrCat("run_id '", run_id, "' must match [A-Za-z0-9][A-Za-z0-9_.-]{0,127}"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Launch> PrepareRun(const RequestContext& call, const v1::RunRequest& request);
  absl::StatusOr<Launch> PrepareResume(const RequestContext& call, const v1::ResumeRequest& request);

  // Checks the call, prepares the run and starts it; on error nothing runs and `run` is not done.
  template <typename Prepare>
  absl::Status StartCall(const Ctx& context, const std::shared_ptr<RunCall>& run, Prepare prepare) {
    CATENA_ASSIGN_OR_RETURN(const RequestContext call, RequestContextFromServer(context));
    if (call.Expired()) return absl::DeadlineExceededError("deadline passed before start");
    CATENA_ASSIGN_OR_RETURN(Launch launch, prepare(call));
    return StartRun(call, std::move(launch), run);
  }

  absl::Status StartRun(const RequestContext& call, Launch launch, const std::shared_ptr<RunCall>& run);
  absl::Status Claim(const std::string& tenant, const std::string& run_id);
  void Release(const std::string& tenant, const std::string& run_id);

  StoredPipelines* const pipelines_;
  Runner* const runner_;
  const bool checkpoint_runs_;
  const PipelineServiceHooks hooks_;
  std::mutex active_mutex_;
  std::set<std::pair<std::string, std::string>> active_;  // (tenant, run id) of runs in this process
  std::shared_ptr<void> owner_;
};

absl::StatusOr<Launch> PipelineServiceImpl::PrepareRun(const RequestContext& call, const v1::RunRequest& request) {
  const bool by_name = !request.pipeline().empty();
  if (by_name == !request.source().empty()) {
    return absl::InvalidArgumentError("give exactly one of pipeline (a stored pipeline's name) and source");
  }
  CATENA_RETURN_IF_ERROR(CheckRunId(request.run_id(), /*required=*/false));
  Launch launch;
  if (by_name) {
    CATENA_RETURN_IF_ERROR(CheckPipelineName(request.pipeline()));
    CATENA_ASSIGN_OR_RETURN(launch.pipeline, pipelines_->Resolve(call.tenant, request.pipeline(), request.version()));
    launch.header.set_pipeline(request.pipeline());
  } else {
    CATENA_ASSIGN_OR_RETURN(launch.pipeline, pipelines_->Compile(request.source(), "inline.yaml"));
    launch.header.set_source(request.source());
  }
  launch.header.set_version(launch.pipeline->version);
  launch.header.set_run_id(request.run_id().empty() ? "run-" + NewRequestId() : request.run_id());
  if (!request.run_id().empty()) {
    auto existing = pipelines_->store().GetRunHeader(call.tenant, request.run_id());
    if (existing.ok()) {
      return absl::AlreadyExistsError(absl::StrCat("run '", request.run_id(), "' exists (", existing->first.state(),
                                                   "); read it with GetRun or continue it with Resume"));
    }
    if (existing.status().code() != absl::StatusCode::kNotFound) return existing.status();
  }
  if (request.user_id().size() > 128) return absl::InvalidArgumentError("user_id: at most 128 bytes");
  launch.header.set_user_id(request.user_id().empty() ? "anonymous" : request.user_id());
  *launch.header.mutable_inputs() = request.inputs();
  launch.data = StructToValue(request.inputs());
  return launch;
}

absl::StatusOr<Launch> PipelineServiceImpl::PrepareResume(const RequestContext& call,
                                                          const v1::ResumeRequest& request) {
  CATENA_RETURN_IF_ERROR(CheckRunId(request.run_id(), /*required=*/true));
  CATENA_ASSIGN_OR_RETURN(auto stored, pipelines_->store().GetRunHeader(call.tenant, request.run_id()));
  Launch launch{.header = std::move(stored.first), .next_index = stored.second, .resume = true};
  if (launch.header.state() != "interrupted") {
    return absl::FailedPreconditionError(absl::StrCat("run '", request.run_id(), "' is ", launch.header.state(),
                                                      "; only an interrupted run can be resumed"));
  }
  if (!launch.header.pipeline().empty()) {
    CATENA_ASSIGN_OR_RETURN(launch.pipeline,
                            pipelines_->Resolve(call.tenant, launch.header.pipeline(), launch.header.version()));
  } else {
    CATENA_ASSIGN_OR_RETURN(launch.pipeline, pipelines_->Compile(launch.header.source(), "inline.yaml"));
  }
  launch.data = tmpl::Value::Dict();
  launch.data.map().Set("approved", tmpl::Value(request.approved()));
  launch.data.map().Set("payload", StructToValue(request.payload()));
  return launch;
}

absl::Status PipelineServiceImpl::Claim(const std::string& tenant, const std::string& run_id) {
  std::lock_guard lock(active_mutex_);
  if (!active_.emplace(tenant, run_id).second) {
    return absl::AbortedError(absl::StrCat("run '", run_id, "' is already running"));
  }
  return absl::OkStatus();
}

void PipelineServiceImpl::Release(const std::string& tenant, const std::string& run_id) {
  std::lock_guard lock(active_mutex_);
  active_.erase({tenant, run_id});
}

absl::Status PipelineServiceImpl::StartRun(const RequestContext& call, Launch launch,
                                           const std::shared_ptr<RunCall>& run) {
  const std::string run_id = launch.header.run_id();
  const std::string tenant = call.tenant;
  CATENA_RETURN_IF_ERROR(Claim(tenant, run_id));
  const v1::RunTrace header = launch.header;
  run->set_recorder(std::make_shared<RunRecorder>(&pipelines_->store(), tenant, launch.header, launch.next_index));
  if (absl::Status begun = run->recorder()->Begin(NowMs()); !begun.ok()) {
    Release(tenant, run_id);
    return begun;
  }
  RunOptions options{.run_id = run_id, .tenant = tenant, .deadline = call.deadline, .checkpoint = checkpoint_runs_};
  if (!launch.header.user_id().empty()) options.user_id = launch.header.user_id();
  if (hooks_.audit != nullptr) {
    std::optional<bool> approved;
    if (launch.resume) approved = launch.data.map().Find("approved")->bool_value();
    run->set_audit(std::make_shared<RunAudit>(hooks_.audit, tenant, header, approved));
  }
  options.sink = [this, run, header, tenant](const RunEvent& event) {
    v1::RunEvent proto = RunEventToProto(event, header.run_id());
    if (proto.has_run_started()) {
      proto.mutable_run_started()->set_pipeline(header.pipeline());
      proto.mutable_run_started()->set_version(header.version());
    }
    if (!proto.has_final() || !hooks_.deliver_outputs) return run->Event(proto);
    v1::RunEvent delivered = proto;
    *delivered.mutable_final()->mutable_outputs() =
        ValueToStruct(hooks_.deliver_outputs(tenant, header.run_id(), StructToValue(proto.final().outputs())));
    run->Event(proto, &delivered);
  };
  auto done = [this, run, tenant, run_id](RunResult result) {
    if (result.run_id.empty()) result.run_id = run_id;
    run->recorder()->Finish(result, NowMs());
    if (run->audit() != nullptr) run->audit()->Finish(result, NowMs());
    Release(tenant, run_id);
    if (hooks_.deliver_outputs && result.state == RunResult::State::kCompleted) {
      result.outputs = hooks_.deliver_outputs(tenant, run_id, result.outputs);
    }
    run->Done(result, run->recorder()->last_interrupt());
  };
  absl::StatusOr<std::shared_ptr<RunHandle>> handle =
      launch.resume ? runner_->Resume(launch.pipeline, std::move(launch.data), std::move(options), done)
                    : runner_->Start(launch.pipeline, std::move(launch.data), std::move(options), done);
  if (!handle.ok()) {
    if (!run->done()) {  // nothing ran: no trace either, so that the run id may be used again
      pipelines_->store().DeleteRun(tenant, run_id).IgnoreError();
      Release(tenant, run_id);
    }
    return handle.status();
  }
  run->SetHandle(*std::move(handle));
  return absl::OkStatus();
}

}  // namespace

std::unique_ptr<grpc::Service> NewPipelineService(StoredPipelines* pipelines, Runner* runner, bool checkpoint_runs,
                                                  std::shared_ptr<void> owner, PipelineServiceHooks hooks) {
  return std::make_unique<PipelineServiceImpl>(pipelines, runner, checkpoint_runs, std::move(owner),
                                               std::move(hooks));
}

}  // namespace catena::chains
