#include "connectors/retry.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "connectors/circuit_breaker.h"

namespace catena::connectors {
namespace {

// A fake clock whose sleeps advance time, recording each sleep.
struct FakeTime {
  absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  std::vector<absl::Duration> sleeps;
  RetryEnv Env(double random = 0.5) {
    RetryEnv env;
    env.now = [this] { return now; };
    env.sleep = [this](absl::Duration d) {
      sleeps.push_back(d);
      now += d;
    };
    env.random = [random] { return random; };
    return env;
  }
};

HttpResponse Response(int status, std::string retry_after = "") {
  HttpResponse r;
  r.status = status;
  if (!retry_after.empty()) r.headers.push_back({"retry-after", retry_after});
  return r;
}

TEST_CASE("backoff grows exponentially, is capped, and full jitter scales it", "[unit]") {
  RetryPolicy policy{.max_attempts = 5, .initial_backoff = absl::Milliseconds(100), .max_backoff = absl::Seconds(1),
                     .multiplier = 2.0, .jitter = false};
  CHECK(BackoffDelay(policy, 0, 0.3) == absl::Milliseconds(100));
  CHECK(BackoffDelay(policy, 1, 0.3) == absl::Milliseconds(200));
  CHECK(BackoffDelay(policy, 3, 0.3) == absl::Milliseconds(800));
  CHECK(BackoffDelay(policy, 4, 0.3) == absl::Seconds(1));
  CHECK(BackoffDelay(policy, 60, 0.3) == absl::Seconds(1));
  policy.jitter = true;
  CHECK(BackoffDelay(policy, 1, 0.25) == absl::Milliseconds(50));
  CHECK(BackoffDelay(policy, 1, 0.0) == absl::ZeroDuration());
}

TEST_CASE("retry-after parses delta-seconds and the three HTTP-date forms", "[unit]") {
  absl::Time now = absl::FromCivil(absl::CivilSecond(2015, 10, 21, 7, 28, 0), absl::UTCTimeZone());
  CHECK(ParseRetryAfter("120", now) == absl::Seconds(120));
  CHECK(ParseRetryAfter(" 0 ", now) == absl::ZeroDuration());
  CHECK(ParseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now) == absl::Seconds(30));
  CHECK(ParseRetryAfter("Wednesday, 21-Oct-15 07:29:00 GMT", now) == absl::Seconds(60));
  CHECK(ParseRetryAfter("Wed Oct 21 07:28:05 2015", now) == absl::Seconds(5));
  CHECK(ParseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now) == absl::ZeroDuration());
  CHECK_FALSE(ParseRetryAfter("soon", now).has_value());
  CHECK_FALSE(ParseRetryAfter("", now).has_value());
  CHECK_FALSE(ParseRetryAfter("-5", now).has_value());
}

TEST_CASE("retryable outcomes are 429 and 5xx gateway statuses and UNAVAILABLE", "[unit]") {
  for (int s : {429, 500, 502, 503, 504}) CHECK(IsRetryableHttpStatus(s));
  for (int s : {200, 400, 401, 404, 501}) CHECK_FALSE(IsRetryableHttpStatus(s));
  CHECK(IsRetryableError(absl::UnavailableError("reset")));
  CHECK_FALSE(IsRetryableError(absl::DeadlineExceededError("slow")));
  CHECK_FALSE(IsRetryableError(absl::ResourceExhaustedError("big")));
}

TEST_CASE("send with retry retries 503 with backoff until success", "[unit]") {
  FakeTime time;
  RetryPolicy policy{.max_attempts = 4, .initial_backoff = absl::Milliseconds(100), .jitter = false};
  std::vector<int> statuses = {503, 502, 200};
  auto result = SendWithRetry(policy, time.now + absl::Minutes(1), [&](int n) {
    return AttemptOutcome{Response(statuses[n - 1])};
  }, nullptr, time.Env());
  REQUIRE(result.ok());
  CHECK(result->status == 200);
  CHECK(time.sleeps == std::vector<absl::Duration>{absl::Milliseconds(100), absl::Milliseconds(200)});
}

TEST_CASE("send with retry honors retry-after capped by max_backoff", "[unit]") {
  FakeTime time;
  RetryPolicy policy{.max_attempts = 3, .initial_backoff = absl::Milliseconds(10), .max_backoff = absl::Seconds(5)};
  std::vector<HttpResponse> replies = {Response(429, "2"), Response(429, "3600"), Response(200)};
  auto result = SendWithRetry(policy, time.now + absl::Hours(2), [&](int n) { return AttemptOutcome{replies[n - 1]}; },
                              nullptr, time.Env(0.1));
  REQUIRE(result.ok());
  CHECK(result->status == 200);
  CHECK(time.sleeps == std::vector<absl::Duration>{absl::Seconds(2), absl::Seconds(5)});
}

TEST_CASE("send with retry gives up when the wait would pass the deadline or attempts run out", "[unit]") {
  FakeTime time;
  RetryPolicy policy{.max_attempts = 5};
  int calls = 0;
  auto late = SendWithRetry(policy, time.now + absl::Seconds(1), [&](int) {
    ++calls;
    return AttemptOutcome{Response(503, "10")};
  }, nullptr, time.Env());
  REQUIRE(late.ok());
  CHECK(late->status == 503);
  CHECK(calls == 1);
  CHECK(time.sleeps.empty());

  calls = 0;
  auto exhausted = SendWithRetry(RetryPolicy{.max_attempts = 3}, time.now + absl::Hours(1), [&](int) {
    ++calls;
    return AttemptOutcome{absl::UnavailableError("connection reset")};
  }, nullptr, time.Env());
  CHECK(exhausted.status().code() == absl::StatusCode::kUnavailable);
  CHECK(calls == 3);
}

TEST_CASE("send with retry does not retry client errors, other failures or committed attempts", "[unit]") {
  FakeTime time;
  int calls = 0;
  auto count = [&](AttemptOutcome outcome) {
    return [&calls, outcome](int) {
      ++calls;
      return outcome;
    };
  };
  CHECK(SendWithRetry(RetryPolicy{}, time.now + absl::Hours(1), count({Response(400)}), nullptr, time.Env())->status ==
        400);
  CHECK(calls == 1);
  CHECK(SendWithRetry(RetryPolicy{}, time.now + absl::Hours(1), count({absl::DeadlineExceededError("t")}), nullptr,
                      time.Env()).status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(calls == 2);
  CHECK(SendWithRetry(RetryPolicy{}, time.now + absl::Hours(1), count({absl::UnavailableError("cut"), true}), nullptr,
                      time.Env()).status().code() == absl::StatusCode::kUnavailable);
  CHECK(calls == 3);
}

TEST_CASE("circuit breaker opens after consecutive failures and rejects until open_duration passes", "[unit]") {
  absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  CircuitBreaker breaker("api.example:443", {.failure_threshold = 3, .open_duration = absl::Seconds(10)},
                         [&] { return now; });
  for (int i = 0; i < 2; ++i) {
    REQUIRE(breaker.Allow().ok());
    breaker.RecordFailure();
  }
  REQUIRE(breaker.Allow().ok());
  breaker.RecordSuccess();  // a success resets the count
  CHECK(breaker.consecutive_failures() == 0);
  for (int i = 0; i < 3; ++i) breaker.RecordFailure();
  CHECK(breaker.state() == CircuitBreaker::State::kOpen);
  absl::Status rejected = breaker.Allow();
  CHECK(rejected.code() == absl::StatusCode::kUnavailable);
  CHECK(std::string(rejected.message()).find("circuit open for api.example:443 until 2023-11-14T22:13:30.000Z") !=
        std::string::npos);
  now += absl::Seconds(9);
  CHECK_FALSE(breaker.Allow().ok());
}

TEST_CASE("circuit breaker half-open lets one probe through; its outcome closes or reopens", "[unit]") {
  absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  CircuitBreaker breaker("h", {.failure_threshold = 1, .open_duration = absl::Seconds(5)}, [&] { return now; });
  breaker.RecordFailure();
  now += absl::Seconds(5);
  REQUIRE(breaker.Allow().ok());  // the probe
  CHECK(breaker.state() == CircuitBreaker::State::kHalfOpen);
  CHECK(breaker.Allow().code() == absl::StatusCode::kUnavailable);  // a second caller waits for the probe
  breaker.RecordFailure();
  CHECK(breaker.state() == CircuitBreaker::State::kOpen);
  CHECK_FALSE(breaker.Allow().ok());
  now += absl::Seconds(5);
  REQUIRE(breaker.Allow().ok());
  breaker.RecordSuccess();
  CHECK(breaker.state() == CircuitBreaker::State::kClosed);
  CHECK(breaker.Allow().ok());
  CHECK(breaker.Allow().ok());
}

TEST_CASE("send with retry stops at an open breaker after repeated 500s", "[unit]") {
  FakeTime time;
  CircuitBreaker breaker("h", {.failure_threshold = 3, .open_duration = absl::Minutes(1)}, [&] { return time.now; });
  int calls = 0;
  auto attempt = [&](int) {
    ++calls;
    return AttemptOutcome{Response(500)};
  };
  RetryPolicy policy{.max_attempts = 5, .initial_backoff = absl::Milliseconds(1)};
  auto result = SendWithRetry(policy, time.now + absl::Hours(1), attempt, &breaker, time.Env());
  CHECK(calls == 3);
  CHECK(result.status().code() == absl::StatusCode::kUnavailable);
  CHECK(std::string(result.status().message()).find("circuit open for h") != std::string::npos);
  auto again = SendWithRetry(policy, time.now + absl::Hours(1), attempt, &breaker, time.Env());
  CHECK(calls == 3);  // rejected without sending
  CHECK(again.status().code() == absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace catena::connectors
