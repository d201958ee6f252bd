// Retries for HTTP requests: exponential backoff with full jitter on 429/500/502/503/504 and UNAVAILABLE transport
// errors, honoring Retry-After (delta-seconds or HTTP-date), bounded by a deadline, optionally behind a
// CircuitBreaker. Used by the OpenAI-compatible clients. Stateless functions; SendWithRetry runs on the calling
// thread and sleeps there (the clock, sleep and random source are injectable for tests).
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "connectors/circuit_breaker.h"
#include "connectors/http_client.h"

namespace catena::connectors {

struct RetryPolicy {
  int max_attempts = 3;                             // attempts in all, the first included; 1 = no retries
  absl::Duration initial_backoff = absl::Milliseconds(250);
  absl::Duration max_backoff = absl::Seconds(20);   // caps both the backoff and a server's Retry-After
  double multiplier = 2.0;
  bool jitter = true;                               // full jitter: the delay is uniform in [0, backoff]
};

// Where SendWithRetry gets time, sleep and randomness from; empty members mean the real ones.
struct RetryEnv {
  std::function<absl::Time()> now;
  std::function<void(absl::Duration)> sleep;
  std::function<double()> random;  // uniform in [0, 1)
  // Called before each retry with the attempt about to run (2, 3, ...), the delay and why (for logs).
  std::function<void(int attempt, absl::Duration delay, std::string_view reason)> on_retry;
};

// What one attempt produced. `committed` marks an attempt that already delivered data to the caller (a stream
// that started): it is never retried, whatever its outcome.
struct AttemptOutcome {
  absl::StatusOr<HttpResponse> response;
  bool committed = false;
};

// True for HTTP statuses worth retrying: 429, 500, 502, 503, 504.
bool IsRetryableHttpStatus(int status);
// True for transport errors worth retrying: UNAVAILABLE.
bool IsRetryableError(const absl::Status& status);

// The wait a Retry-After header value asks for: delta-seconds ("120") or an HTTP-date (IMF-fixdate, RFC 850 or
// asctime form), relative to `now` (a date in the past gives zero). nullopt when the value is neither.
std::optional<absl::Duration> ParseRetryAfter(std::string_view value, absl::Time now);

// The backoff before retry number `retry` (0 for the first retry): initial_backoff * multiplier^retry capped at
// max_backoff, scaled by `random01` when jitter is on.
absl::Duration BackoffDelay(const RetryPolicy& policy, int retry, double random01);

// Runs `attempt` (argument: the 1-based attempt number) until it succeeds, fails in a way not worth retrying, is
// committed, attempts run out, or the next wait would pass `deadline`; returns the last outcome's response (a final
// 503 stays a response). With a breaker, each attempt first asks breaker->Allow() (a refusal is returned at once)
// and reports transport errors and 5xx as failures, anything else as success.
absl::StatusOr<HttpResponse> SendWithRetry(const RetryPolicy& policy, absl::Time deadline,
                                           const std::function<AttemptOutcome(int attempt)>& attempt,
                                           CircuitBreaker* breaker = nullptr, const RetryEnv& env = {});

}  // namespace catena::connectors
