// CircuitBreaker state machine.
#include "connectors/circuit_breaker.h"

#include "absl/strings/str_cat.h"

namespace catena::connectors {

CircuitBreaker::CircuitBreaker(std::string host, CircuitBreakerOptions options, std::function<absl::Time()> now)
    : host_(std::move(host)), options_(options), now_(now ? std::move(now) : [] { return absl::Now(); }) {}

absl::Status CircuitBreaker::Allow() {
  absl::MutexLock lock(&mu_);
  absl::Time now = now_();
  if (state_ == State::kOpen && now >= open_until_) {
    state_ = State::kHalfOpen;
    probe_in_flight_ = false;
  }
  switch (state_) {
    case State::kClosed:
      return absl::OkStatus();
    case State::kOpen:
      return absl::UnavailableError(absl::StrCat("circuit open for ", host_, " until ",
                                                 absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", open_until_, absl::UTCTimeZone()),
                                                 " (", failures_, " consecutive failures)"));
    case State::kHalfOpen:
      if (probe_in_flight_ && now - probe_started_ < options_.open_duration) {
        return absl::UnavailableError(absl::StrCat("circuit half-open for ", host_, ": a probe request is in flight"));
      }
      probe_in_flight_ = true;
      probe_started_ = now;
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

void CircuitBreaker::RecordSuccess() {
  absl::MutexLock lock(&mu_);
  state_ = State::kClosed;
  failures_ = 0;
  probe_in_flight_ = false;
}

void CircuitBreaker::RecordFailure() {
  absl::MutexLock lock(&mu_);
  ++failures_;
  if (state_ == State::kHalfOpen || (state_ == State::kClosed && failures_ >= options_.failure_threshold)) {
    OpenLocked(now_());
  }
}

void CircuitBreaker::OpenLocked(absl::Time now) {
  state_ = State::kOpen;
  open_until_ = now + options_.open_duration;
  probe_in_flight_ = false;
}

CircuitBreaker::State CircuitBreaker::state() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

int CircuitBreaker::consecutive_failures() const {
  absl::MutexLock lock(&mu_);
  return failures_;
}

const char* CircuitStateName(CircuitBreaker::State state) {
  switch (state) {
    case CircuitBreaker::State::kClosed: return "closed";
    case CircuitBreaker::State::kOpen: return "open";
    case CircuitBreaker::State::kHalfOpen: return "half-open";
  }
  return "unknown";
}

}  // namespace catena::connectors
