// CircuitBreaker: stops sending to a host that keeps failing. Closed (requests flow) -> Open after
// `failure_threshold` consecutive failures (requests rejected at once for `open_duration`) -> HalfOpen (exactly one
// probe goes out; success closes, failure reopens). Used by the OpenAI-compatible clients through SendWithRetry
// (connectors/retry.h). Thread-safe; the clock is injectable for tests.
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace catena::connectors {

struct CircuitBreakerOptions {
  int failure_threshold = 5;                   // consecutive failures that open the circuit
  absl::Duration open_duration = absl::Seconds(30);  // how long it stays open before a probe
};

class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };

  // `host` names the target in error messages; `now` is the clock (absl::Now by default).
  CircuitBreaker(std::string host, CircuitBreakerOptions options, std::function<absl::Time()> now = {});

  // OK when a request may go out now. Open: UNAVAILABLE "circuit open for <host> until <time> (...)". Half-open:
  // OK for the single probe (a probe that never reports back is replaced after open_duration), UNAVAILABLE for others.
  absl::Status Allow();
  // The request that Allow() admitted succeeded: the circuit closes and the failure count resets.
  void RecordSuccess();
  // The request that Allow() admitted failed (transport error or 5xx): counts toward opening; a failed probe reopens.
  void RecordFailure();

  State state() const;
  int consecutive_failures() const;

 private:
  void OpenLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string host_;
  const CircuitBreakerOptions options_;
  const std::function<absl::Time()> now_;
  mutable absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_) = State::kClosed;
  int failures_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time open_until_ ABSL_GUARDED_BY(mu_);
  absl::Time probe_started_ ABSL_GUARDED_BY(mu_);
  bool probe_in_flight_ ABSL_GUARDED_BY(mu_) = false;
};

// The name for a state: "closed", "open", "half-open".
const char* CircuitStateName(CircuitBreaker::State state);

}  // namespace catena::connectors
