// internal::Transport: the call layer under every service wrapper of the C++ SDK: one channel, the tenant and
// authorization headers, per-call deadlines and cancellation, retries of idempotent calls on UNAVAILABLE, and
// grpc::Status -> absl::Status. Private to sdk/cpp (not installed); thread-safe, shared by the Client and by the
// streams it started.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include <functional>
#include <memory>
#include <utility>

#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "catena/call_options.h"
#include "catena/client.h"
#include "catena/stream_reader.h"

namespace catena::sdk::internal {

// The absl::Status of a gRPC status (same code and message).
absl::Status FromGrpcStatus(const grpc::Status& status);

class Transport : public std::enable_shared_from_this<Transport> {
 public:
  Transport(ClientOptions options, std::shared_ptr<grpc::Channel> channel);

  const ClientOptions& options() const { return options_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

  // Absolute deadline of a call started now (InfiniteFuture when there is none).
  absl::Time Deadline(const CallOptions& call) const;
  // A context with `deadline`, the tenant, authorization and extra headers of `call`.
  std::unique_ptr<grpc::ClientContext> NewContext(absl::Time deadline, const CallOptions& call) const;
  // After failed attempt `attempt` (from 1): sleeps the jittered backoff and returns true, or returns false when
  // the attempts are used up, the next attempt would start past `deadline` or the call was cancelled.
  bool SleepBeforeRetry(int attempt, absl::Time deadline, const CallOptions& call) const;

  // Runs one unary RPC `method` of `Stub`, retrying UNAVAILABLE when `idempotent`.
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Unary(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                                 const Request& request, bool idempotent, const CallOptions& call) const {
    Stub stub(channel_);
    const absl::Time deadline = Deadline(call);
    for (int attempt = 1;; ++attempt) {
      Response response;
      absl::Status status = Attempt(
          deadline, call, [&](grpc::ClientContext* context) { return (stub.*method)(context, request, &response); });
      if (status.ok()) return response;
      if (!idempotent || !absl::IsUnavailable(status) || !SleepBeforeRetry(attempt, deadline, call)) return status;
    }
  }

  // Starts server-streaming RPC `method` of `Stub`; UNAVAILABLE before the first message is retried when
  // `idempotent`.
  template <typename Stub, typename Request, typename Response>
  StreamReader<Response> Stream(std::unique_ptr<grpc::ClientReader<Response>> (Stub::*method)(grpc::ClientContext*,
                                                                                              const Request&),
                                const Request& request, bool idempotent, const CallOptions& call) const;

 private:
  // One attempt: a fresh context registered with the call's cancellation around `invoke`.
  absl::Status Attempt(absl::Time deadline, const CallOptions& call,
                       const std::function<grpc::Status(grpc::ClientContext*)>& invoke) const;

  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  mutable absl::Mutex rng_mutex_;
  mutable absl::BitGen rng_ ABSL_GUARDED_BY(rng_mutex_);
};

// StreamCall over a grpc::ClientReader, restarting the call while retries are allowed.
template <typename T>
class GrpcStreamCall : public StreamCall {
 public:
  using Starter = std::function<std::unique_ptr<grpc::ClientReader<T>>(grpc::ClientContext*)>;

  GrpcStreamCall(std::shared_ptr<const Transport> transport, Starter start, bool idempotent, CallOptions call)
      : transport_(std::move(transport)),
        start_(std::move(start)),
        idempotent_(idempotent),
        call_(std::move(call)),
        deadline_(transport_->Deadline(call_)) {}

  ~GrpcStreamCall() override {
    if (reader_ == nullptr) return;
    Cancel();
    T sink;
    while (reader_->Read(&sink)) {
    }
    EndAttempt().IgnoreError();
  }

  bool Read(google::protobuf::MessageLite* message) override {
    T* typed = static_cast<T*>(message);
    while (status_.ok() && !ended_) {
      if (reader_ == nullptr && !StartAttempt()) break;
      if (reader_->Read(typed)) {
        received_ = true;
        return true;
      }
      absl::Status status = EndAttempt();
      if (!received_ && idempotent_ && absl::IsUnavailable(status) && !cancelled() &&
          transport_->SleepBeforeRetry(attempt_, deadline_, call_)) {
        continue;
      }
      status_ = status;
      ended_ = true;
    }
    return false;
  }

  absl::Status Finish() override { return status_; }

  void Cancel() override {
    absl::MutexLock lock(&mutex_);
    cancelled_ = true;
    if (context_ != nullptr) context_->TryCancel();
  }

 private:
  bool cancelled() const {
    absl::MutexLock lock(&mutex_);
    return cancelled_;
  }

  bool StartAttempt() {
    ++attempt_;
    auto context = transport_->NewContext(deadline_, call_);
    if (call_.cancellation != nullptr && !call_.cancellation->Register(context.get())) {
      status_ = absl::CancelledError("call cancelled before it was sent");
      return false;
    }
    {
      absl::MutexLock lock(&mutex_);
      if (cancelled_) context->TryCancel();
      context_ = std::move(context);
    }
    reader_ = start_(context_.get());
    return true;
  }

  absl::Status EndAttempt() {
    absl::Status status = FromGrpcStatus(reader_->Finish());
    reader_.reset();
    if (call_.cancellation != nullptr) call_.cancellation->Unregister(context_.get());
    absl::MutexLock lock(&mutex_);
    context_.reset();
    return status;
  }

  std::shared_ptr<const Transport> transport_;
  Starter start_;
  bool idempotent_;
  CallOptions call_;
  absl::Time deadline_;
  int attempt_ = 0;
  bool received_ = false;
  bool ended_ = false;
  absl::Status status_;
  std::unique_ptr<grpc::ClientReader<T>> reader_;
  mutable absl::Mutex mutex_;
  std::unique_ptr<grpc::ClientContext> context_ ABSL_GUARDED_BY(mutex_);
  bool cancelled_ ABSL_GUARDED_BY(mutex_) = false;
};

template <typename Stub, typename Request, typename Response>
StreamReader<Response> Transport::Stream(
    std::unique_ptr<grpc::ClientReader<Response>> (Stub::*method)(grpc::ClientContext*, const Request&),
    const Request& request, bool idempotent, const CallOptions& call) const {
  auto stub = std::make_shared<Stub>(channel_);
  auto start = [stub, method, request](grpc::ClientContext* context) { return ((*stub).*method)(context, request); };
  return StreamReader<Response>(
      std::make_unique<GrpcStreamCall<Response>>(shared_from_this(), std::move(start), idempotent, call));
}

}  // namespace catena::sdk::internal
