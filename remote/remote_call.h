// RemoteCaller: how every gRPC client of catenad's distributed mode calls another Catena service: one channel
// per service (reconnecting by itself, with short reconnect backoff so a restarted service is found again
// within a second), a deadline on every call (the run's deadline from CurrentCallDeadline() or the configured
// default, whichever is earlier), the tenant in x-catena-tenant, and retries with exponential backoff on
// UNAVAILABLE for idempotent calls. Transport failures come back as UNAVAILABLE / DEADLINE_EXCEEDED naming the
// service and its address. Thread-safe; immutable after construction.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace catena::remote {

struct RemoteServiceOptions {
  // Short service name ("retrieval"), used in error messages.
  std::string service;
  // host:port of the service's gRPC endpoint.
  std::string address;
  // Deadline of one call when the run has none or a later one.
  absl::Duration deadline = absl::Seconds(30);
  // Attempts of an idempotent call that fails with UNAVAILABLE (1 = no retry).
  int max_attempts = 4;
  // Pause before the second attempt; doubles per attempt up to max_backoff.
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(1);
  // Sent as "authorization: Bearer <token>" when not empty (services with authentication on).
  std::string token;
  // Largest message received.
  int64_t max_message_bytes = int64_t{64} << 20;
};

// OK for a usable host:port (non-empty host, port 1..65535); INVALID_ARGUMENT naming `field` otherwise.
absl::Status ValidateAddress(std::string_view address, std::string_view field);

class RemoteCaller {
 public:
  // Creates the channel (it connects lazily, on the first call).
  explicit RemoteCaller(RemoteServiceOptions options);

  const RemoteServiceOptions& options() const { return options_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

  // The deadline a call starting now gets: min(CurrentCallDeadline(), now + options.deadline).
  absl::Time CallDeadline() const;
  // Sets the deadline and the tenant header on a fresh context.
  void Prepare(grpc::ClientContext& context, std::string_view tenant, absl::Time deadline) const;
  // Runs `call` with a fresh prepared context per attempt. When `idempotent`, UNAVAILABLE is retried with
  // backoff while attempts and the deadline allow. Errors: the server's status as is, transport failures
  // via Describe().
  absl::Status Call(std::string_view tenant, std::string_view method, bool idempotent,
                    const std::function<grpc::Status(grpc::ClientContext&)>& call) const;
  // The absl status of a failed call: UNAVAILABLE and DEADLINE_EXCEEDED say "<service> service at <address>
  // (<method>): ..."; other codes keep the server's message.
  absl::Status Describe(const grpc::Status& status, std::string_view method) const;

 private:
  const RemoteServiceOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace catena::remote
