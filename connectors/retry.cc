// Backoff arithmetic, Retry-After parsing and the retry loop.
#include "connectors/retry.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"

namespace catena::connectors {
namespace {

double DefaultRandom() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

bool IsBreakerFailure(const absl::StatusOr<HttpResponse>& r) {
  if (!r.ok()) {
    return r.status().code() == absl::StatusCode::kUnavailable ||
           r.status().code() == absl::StatusCode::kDeadlineExceeded;
  }
  return r->status >= 500;
}

// Why `r` should be retried, or "" when it should not.
std::string RetryReason(const absl::StatusOr<HttpResponse>& r) {
  if (!r.ok()) return IsRetryableError(r.status()) ? std::string(r.status().message()) : "";
  return IsRetryableHttpStatus(r->status) ? absl::StrCat("HTTP ", r->status) : "";
}

}  // namespace

bool IsRetryableHttpStatus(int status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

bool IsRetryableError(const absl::Status& status) { return status.code() == absl::StatusCode::kUnavailable; }

std::optional<absl::Duration> ParseRetryAfter(std::string_view value, absl::Time now) {
  std::string v(value);
  v.erase(0, v.find_first_not_of(" \t"));
  v.erase(v.find_last_not_of(" \t") + 1);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); })) {
    if (v.size() > 9) return absl::Seconds(999999999);
    return absl::Seconds(std::stoll(v));
  }
  static const char* kFormats[] = {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"};
  for (const char* format : kFormats) {
    absl::Time when;
    std::string error;
    if (absl::ParseTime(format, v, absl::UTCTimeZone(), &when, &error)) {
      return std::max(absl::ZeroDuration(), when - now);
    }
  }
  return std::nullopt;
}

absl::Duration BackoffDelay(const RetryPolicy& policy, int retry, double random01) {
  double factor = std::pow(std::max(1.0, policy.multiplier), std::max(0, retry));
  absl::Duration base = policy.initial_backoff * factor;
  if (base > policy.max_backoff || !std::isfinite(factor)) base = policy.max_backoff;
  if (!policy.jitter) return base;
  return base * std::clamp(random01, 0.0, 1.0);
}

absl::StatusOr<HttpResponse> SendWithRetry(const RetryPolicy& policy, absl::Time deadline,
                                           const std::function<AttemptOutcome(int attempt)>& attempt,
                                           CircuitBreaker* breaker, const RetryEnv& env) {
  auto now = [&] { return env.now ? env.now() : absl::Now(); };
  for (int n = 1;; ++n) {
    if (breaker != nullptr) {
      if (absl::Status allowed = breaker->Allow(); !allowed.ok()) return allowed;
    }
    AttemptOutcome outcome = attempt(n);
    if (breaker != nullptr) {
      IsBreakerFailure(outcome.response) ? breaker->RecordFailure() : breaker->RecordSuccess();
    }
    std::string reason = outcome.committed ? "" : RetryReason(outcome.response);
    if (reason.empty() || n >= policy.max_attempts) return std::move(outcome.response);
    absl::Duration delay = BackoffDelay(policy, n - 1, env.random ? env.random() : DefaultRandom());
    if (outcome.response.ok()) {
      std::optional<absl::Duration> after = ParseRetryAfter(outcome.response->Header("retry-after"), now());
      if (after) delay = std::min(*after, policy.max_backoff);
    }
    if (now() + delay >= deadline) return std::move(outcome.response);
    if (env.on_retry) env.on_retry(n + 1, delay, reason);
    env.sleep ? env.sleep(delay) : absl::SleepFor(delay);
  }
}

}  // namespace catena::connectors
