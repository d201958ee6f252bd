// Per-call options of the C++ SDK (deadline, cancellation, extra metadata, retry override) and the retry policy
// for idempotent calls that fail with UNAVAILABLE. Used by every service wrapper (catena/*_client.h).
// RetryOptions and CallOptions are plain values; a Cancellation is thread-safe and may be shared by many calls.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace grpc {
class ClientContext;
}  // namespace grpc

namespace catena::sdk {

// Exponential backoff with full jitter: after failed attempt n (from 1) the client sleeps a uniformly random
// time in [0, min(max_backoff, initial_backoff * multiplier^(n-1))]. Retries stop after max_attempts attempts or
// when the next attempt would start past the call's deadline. Only idempotent RPCs are retried (see README).
struct RetryOptions {
  int max_attempts = 4;
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(5);
  double multiplier = 2.0;
};

// RetryOptions with one attempt: no retries.
inline RetryOptions NoRetries() { return RetryOptions{.max_attempts = 1}; }

// INVALID_ARGUMENT naming the field when max_attempts < 1, a backoff is negative or multiplier < 1.
absl::Status ValidateRetryOptions(const RetryOptions& retry);

// Cancels the calls that carry it: Cancel() ends every call in flight with CANCELLED, stops retries and makes
// later calls with it fail with CANCELLED before they are sent. Share it through CallOptions::cancellation.
class Cancellation {
 public:
  // A fresh, not yet cancelled token.
  static std::shared_ptr<Cancellation> Create() { return std::make_shared<Cancellation>(); }

  // Cancels every registered call and every later one; idempotent.
  void Cancel();
  // Whether Cancel() was called.
  bool cancelled() const;
  // Sleeps `pause` or until Cancel(); true when it slept the whole pause without being cancelled.
  bool SleepUnlessCancelled(absl::Duration pause);

  // Registers a call's context so that Cancel() reaches it; false (not registered) when already cancelled.
  bool Register(grpc::ClientContext* context);
  // Removes a context registered before; call before the context is destroyed.
  void Unregister(grpc::ClientContext* context);

 private:
  mutable absl::Mutex mutex_;
  bool cancelled_ ABSL_GUARDED_BY(mutex_) = false;
  std::set<grpc::ClientContext*> contexts_ ABSL_GUARDED_BY(mutex_);
};

// Options of one call; every field is optional and defaults to the Client's options.
struct CallOptions {
  // Time the call may take, counted from the call (retries included); unset = ClientOptions::timeout;
  // absl::InfiniteDuration() = no deadline.
  std::optional<absl::Duration> timeout;
  // Absolute deadline; wins over `timeout` when set.
  std::optional<absl::Time> deadline;
  // Cancels the call from another thread.
  std::shared_ptr<Cancellation> cancellation;
  // Retry policy of this call; unset = ClientOptions::retry. Non-idempotent RPCs are never retried.
  std::optional<RetryOptions> retry;
  // Extra request headers (lowercase keys), sent after the tenant and authorization headers.
  std::vector<std::pair<std::string, std::string>> metadata;
};

}  // namespace catena::sdk
