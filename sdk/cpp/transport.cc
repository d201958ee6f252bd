#include "sdk/cpp/transport.h"

#include <algorithm>
#include <cmath>

namespace catena::sdk {

absl::Status ValidateRetryOptions(const RetryOptions& retry) {
  if (retry.max_attempts < 1) return absl::InvalidArgumentError("RetryOptions.max_attempts must be >= 1");
  if (retry.initial_backoff < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("RetryOptions.initial_backoff must be >= 0");
  }
  if (retry.max_backoff < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("RetryOptions.max_backoff must be >= 0");
  }
  if (!(retry.multiplier >= 1.0)) return absl::InvalidArgumentError("RetryOptions.multiplier must be >= 1");
  return absl::OkStatus();
}

void Cancellation::Cancel() {
  absl::MutexLock lock(&mutex_);
  cancelled_ = true;
  for (grpc::ClientContext* context : contexts_) context->TryCancel();
}

bool Cancellation::cancelled() const {
  absl::MutexLock lock(&mutex_);
  return cancelled_;
}

bool Cancellation::SleepUnlessCancelled(absl::Duration pause) {
  absl::MutexLock lock(&mutex_);
  return !mutex_.AwaitWithTimeout(absl::Condition(&cancelled_), pause);
}

bool Cancellation::Register(grpc::ClientContext* context) {
  absl::MutexLock lock(&mutex_);
  if (cancelled_) return false;
  contexts_.insert(context);
  return true;
}

void Cancellation::Unregister(grpc::ClientContext* context) {
  absl::MutexLock lock(&mutex_);
  contexts_.erase(context);
}

namespace internal {
namespace {

constexpr char kTenantHeader[] = "x-catena-tenant";
constexpr char kAuthorizationHeader[] = "authorization";

}  // namespace

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

Transport::Transport(ClientOptions options, std::shared_ptr<grpc::Channel> channel)
    : options_(std::move(options)), channel_(std::move(channel)) {}

absl::Time Transport::Deadline(const CallOptions& call) const {
  if (call.deadline.has_value()) return *call.deadline;
  const absl::Duration timeout = call.timeout.value_or(options_.timeout);
  if (timeout == absl::InfiniteDuration()) return absl::InfiniteFuture();
  return absl::Now() + timeout;
}

std::unique_ptr<grpc::ClientContext> Transport::NewContext(absl::Time deadline, const CallOptions& call) const {
  auto context = std::make_unique<grpc::ClientContext>();
  if (deadline != absl::InfiniteFuture()) context->set_deadline(absl::ToChronoTime(deadline));
  if (!options_.tenant.empty()) context->AddMetadata(kTenantHeader, options_.tenant);
  if (!options_.token.empty()) context->AddMetadata(kAuthorizationHeader, "Bearer " + options_.token);
  for (const auto& [key, value] : call.metadata) context->AddMetadata(key, value);
  return context;
}

bool Transport::SleepBeforeRetry(int attempt, absl::Time deadline, const CallOptions& call) const {
  const RetryOptions& retry = call.retry.has_value() ? *call.retry : options_.retry;
  if (attempt >= retry.max_attempts) return false;
  if (call.cancellation != nullptr && call.cancellation->cancelled()) return false;
  const double scale = std::pow(retry.multiplier, attempt - 1);
  const absl::Duration cap = std::min(retry.max_backoff, retry.initial_backoff * scale);
  absl::Duration pause;
  {
    absl::MutexLock lock(&rng_mutex_);
    pause = absl::Nanoseconds(absl::Uniform<double>(rng_, 0.0, absl::ToDoubleNanoseconds(cap) + 1.0));
  }
  if (absl::Now() + pause >= deadline) return false;
  if (call.cancellation != nullptr) return call.cancellation->SleepUnlessCancelled(pause);
  absl::SleepFor(pause);
  return true;
}

absl::Status Transport::Attempt(absl::Time deadline, const CallOptions& call,
                                const std::function<grpc::Status(grpc::ClientContext*)>& invoke) const {
  auto context = NewContext(deadline, call);
  if (call.cancellation != nullptr && !call.cancellation->Register(context.get())) {
    return absl::CancelledError("call cancelled before it was sent");
  }
  absl::Status status = FromGrpcStatus(invoke(context.get()));
  if (call.cancellation != nullptr) call.cancellation->Unregister(context.get());
  return status;
}

}  // namespace internal
}  // namespace catena::sdk
