#include "server/health_service.h"

#include <optional>

namespace catena::server {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// One Watch stream. Writes are serialized (one in flight; a newer status replaces a queued one), and gRPC is
// never called with the watcher's lock held. Finish is called exactly once; OnDone deletes the watcher.
class HealthServiceImpl::Watcher final : public grpc::ServerWriteReactor<HealthCheckResponse> {
 public:
  Watcher(HealthServiceImpl& service, std::string name) : service_(service), name_(std::move(name)) {}

  // Queues `status` and, when `last`, ends the stream once it is written.
  void Send(ServingStatus status, bool last) {
    Step step;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pending_ = status;
      finish_after_write_ = finish_after_write_ || last;
      step = NextStepLocked();
    }
    Run(step);
  }

  const std::string& name() const { return name_; }

 private:
  enum class Step { kNone, kWrite, kFinishOk, kFinishCancelled };

  Step NextStepLocked() {
    if (writing_ || finish_called_) return Step::kNone;
    if (cancelled_) {
      finish_called_ = true;
      return Step::kFinishCancelled;
    }
    if (pending_.has_value()) {
      writing_ = true;
      response_.set_status(*pending_);
      pending_.reset();
      return Step::kWrite;
    }
    if (!finish_after_write_) return Step::kNone;
    finish_called_ = true;
    return Step::kFinishOk;
  }

  // Must be the last thing a caller does with `this`: Finish may lead to OnDone.
  void Run(Step step) {
    switch (step) {
      case Step::kWrite:
        StartWrite(&response_);
        break;
      case Step::kFinishOk:
        Finish(grpc::Status::OK);
        break;
      case Step::kFinishCancelled:
        Finish(grpc::Status::CANCELLED);
        break;
      case Step::kNone:
        break;
    }
  }

  void OnWriteDone(bool ok) override {
    Step step;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      writing_ = false;
      cancelled_ = cancelled_ || !ok;
      step = NextStepLocked();
    }
    Run(step);
  }

  void OnCancel() override {
    Step step;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      cancelled_ = true;
      step = NextStepLocked();
    }
    Run(step);
  }

  void OnDone() override {
    service_.Unregister(this);
    delete this;
  }

  HealthServiceImpl& service_;
  const std::string name_;
  std::mutex mutex_;
  HealthCheckResponse response_;
  std::optional<ServingStatus> pending_;
  bool writing_ = false;
  bool cancelled_ = false;
  bool finish_after_write_ = false;
  bool finish_called_ = false;
};

HealthServiceImpl::HealthServiceImpl(const std::vector<std::string>& names) {
  statuses_[""] = HealthCheckResponse::SERVING;
  for (const std::string& name : names) statuses_[name] = HealthCheckResponse::SERVING;
}

HealthServiceImpl::ServingStatus HealthServiceImpl::StatusLocked(const std::string& service) const {
  auto it = statuses_.find(service);
  return it == statuses_.end() ? HealthCheckResponse::SERVICE_UNKNOWN : it->second;
}

grpc::ServerUnaryReactor* HealthServiceImpl::Check(grpc::CallbackServerContext* context,
                                                   const HealthCheckRequest* request, HealthCheckResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  ServingStatus status;
  {
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    status = StatusLocked(request->service());
  }
  if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service '" + request->service() + "'"));
  } else {
    response->set_status(status);
    reactor->Finish(grpc::Status::OK);
  }
  return reactor;
}

grpc::ServerWriteReactor<HealthCheckResponse>* HealthServiceImpl::Watch(grpc::CallbackServerContext* context,
                                                                        const HealthCheckRequest* request) {
  auto* watcher = new Watcher(*this, request->service());
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  watchers_.insert(watcher);
  watcher->Send(StatusLocked(request->service()), /*last=*/shut_down_);
  return watcher;
}

void HealthServiceImpl::SetServing(const std::string& service, bool serving) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  auto it = statuses_.find(service);
  if (shut_down_ || service.empty() || it == statuses_.end()) return;
  const ServingStatus status = serving ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
  if (it->second == status) return;
  it->second = status;
  const std::set<Watcher*> watchers = watchers_;
  for (Watcher* watcher : watchers) {
    if (watcher->name() == service) watcher->Send(status, /*last=*/false);
  }
}

void HealthServiceImpl::Shutdown() {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  if (shut_down_) return;
  shut_down_ = true;
  for (auto& [name, status] : statuses_) status = HealthCheckResponse::NOT_SERVING;
  // A watcher may finish (and unregister itself) inside Send, so iterate over a copy.
  const std::set<Watcher*> watchers = watchers_;
  for (Watcher* watcher : watchers) watcher->Send(StatusLocked(watcher->name()), /*last=*/true);
}

void HealthServiceImpl::Unregister(Watcher* watcher) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  watchers_.erase(watcher);
}

}  // namespace catena::server
