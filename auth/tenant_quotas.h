// TenantQuotas: per-tenant admission control for catenad. Each tenant has a request rate (token bucket:
// requests_per_second refill, burst capacity) and a concurrency limit (calls in flight); the limits come from
// config (auth.quota.* defaults, auth.tenant_quotas overrides). Admit is called once per request by the gRPC
// interceptor and the HTTP layer. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace catena::auth {

// 0 in any field means "no limit".
struct QuotaLimits {
  double requests_per_second = 0;
  int64_t burst = 0;  // bucket capacity; 0 = max(1, requests_per_second)
  int64_t max_in_flight = 0;
};

struct QuotaOptions {
  QuotaLimits defaults;
  absl::flat_hash_map<std::string, QuotaLimits> tenants;  // overrides by tenant id
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

// Parses an override "tenant:requests_per_second=R,burst=B,max_in_flight=N" (any subset of the fields; the others
// keep `defaults`). INVALID_ARGUMENT naming the item and the bad part.
absl::StatusOr<std::pair<std::string, QuotaLimits>> ParseTenantQuota(std::string_view item,
                                                                     const QuotaLimits& defaults);

// The payload key of a RESOURCE_EXHAUSTED status from Admit: whole seconds to wait before retrying.
inline constexpr char kRetryAfterPayload[] = "catena.dev/retry-after-seconds";
// The Retry-After seconds stored in `status` (at least 1); 1 when it has none.
int64_t RetryAfterSeconds(const absl::Status& status);

class TenantQuotas {
 public:
  explicit TenantQuotas(QuotaOptions options) : options_(std::move(options)) {}

  // Whether any limit is configured at all.
  bool enabled() const;

  // Admits one call of `tenant`: takes a token and an in-flight slot. The slot is released when the returned
  // handle (never null) is destroyed. RESOURCE_EXHAUSTED naming the tenant and the limit, with a Retry-After
  // payload, when the rate or the concurrency limit is reached.
  absl::StatusOr<std::shared_ptr<void>> Admit(const std::string& tenant);

 private:
  struct Slot;
  struct TenantState {
    double tokens = 0;
    absl::Time refilled = absl::InfinitePast();
    int64_t in_flight = 0;
  };
  const QuotaLimits& LimitsOf(const std::string& tenant) const;
  absl::Status TakeToken(const std::string& tenant, const QuotaLimits& limits, TenantState& state)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Release(const std::string& tenant);

  const QuotaOptions options_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, TenantState> states_ ABSL_GUARDED_BY(mu_);
};

}  // namespace catena::auth
