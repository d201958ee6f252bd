#include "server/server_service.h"

#include <chrono>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "common/executor.h"
#include "common/grpc_util.h"
#include "common/version.h"

namespace catena::server {
namespace {

constexpr int kMaxPingDelayMs = 10'000;
constexpr size_t kMaxPingPayload = 64 << 10;

absl::Status ValidatePing(const v1::PingRequest& request) {
  if (request.delay_ms() < 0 || request.delay_ms() > kMaxPingDelayMs) {
    return absl::InvalidArgumentError(
        absl::StrCat("delay_ms must be between 0 and ", kMaxPingDelayMs, ", got ", request.delay_ms()));
  }
  if (request.payload().size() > kMaxPingPayload) {
    return absl::InvalidArgumentError(
        absl::StrCat("payload must be at most ", kMaxPingPayload, " bytes, got ", request.payload().size()));
  }
  return absl::OkStatus();
}

// A unary reactor finished by whichever comes first: its timer or the client's cancellation.
// Finish is called outside the lock: OnDone (which takes it) cannot run before Finish.
class DelayedReactor final : public grpc::ServerUnaryReactor {
 public:
  DelayedReactor() : state_(std::make_shared<State>()) { state_->reactor = this; }

  // Finishes with `status` (from any thread) unless it already finished.
  void FinishOnce(const grpc::Status& status) {
    if (DelayedReactor* reactor = Claim(*state_)) reactor->Finish(status);
  }

  // Schedules FinishOnce(OK) after `delay` on `executor`; safe even if the call ends first.
  void FinishAfter(Executor& executor, std::chrono::milliseconds delay) {
    const bool scheduled = executor.PostAfter(delay, [state = state_] {
      if (DelayedReactor* reactor = Claim(*state)) reactor->Finish(grpc::Status::OK);
    });
    if (!scheduled) FinishOnce(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down"));
  }

 private:
  struct State {
    std::mutex mutex;
    bool finished = false;
    DelayedReactor* reactor = nullptr;
  };

  // Returns the reactor if the caller is the one to finish it, nullptr otherwise.
  static DelayedReactor* Claim(State& state) {
    std::lock_guard<std::mutex> lock(state.mutex);
    if (state.finished || state.reactor == nullptr) return nullptr;
    state.finished = true;
    return state.reactor;
  }

  void OnCancel() override { FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "ping cancelled")); }
  void OnDone() override {
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->reactor = nullptr;
    }
    delete this;
  }

  std::shared_ptr<State> state_;
};

}  // namespace

ServerServiceImpl::ServerServiceImpl(std::vector<std::string> services, Executor& executor)
    : services_(std::move(services)), executor_(executor) {}

grpc::ServerUnaryReactor* ServerServiceImpl::GetServerInfo(grpc::CallbackServerContext* context,
                                                           const v1::GetServerInfoRequest* request,
                                                           v1::GetServerInfoResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<RequestContext> request_context = RequestContextFromServer(*context);
  if (!request_context.ok()) {
    reactor->Finish(ToGrpcStatus(request_context.status()));
    return reactor;
  }
  response->set_version(kVersion);
  for (const std::string& service : services_) response->add_services(service);
  response->set_uptime_seconds(absl::ToDoubleSeconds(absl::Now() - started_));
  response->set_tenant(request_context->tenant);
  response->set_request_id(request_context->request_id);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* ServerServiceImpl::Ping(grpc::CallbackServerContext* context, const v1::PingRequest* request,
                                                  v1::PingResponse* response) {
  auto* reactor = new DelayedReactor();
  if (absl::Status status = ValidatePing(*request); !status.ok()) {
    reactor->FinishOnce(ToGrpcStatus(status));
    return reactor;
  }
  response->set_payload(request->payload());
  if (request->delay_ms() == 0) {
    reactor->FinishOnce(grpc::Status::OK);
  } else {
    reactor->FinishAfter(executor_, std::chrono::milliseconds(request->delay_ms()));
  }
  return reactor;
}

}  // namespace catena::server
