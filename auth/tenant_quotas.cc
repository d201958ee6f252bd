#include "auth/tenant_quotas.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace catena::auth {
namespace {

double Capacity(const QuotaLimits& limits) {
  return limits.burst > 0 ? static_cast<double>(limits.burst) : std::max(1.0, limits.requests_per_second);
}

absl::Status Exhausted(std::string message, int64_t retry_after_seconds) {
  absl::Status status =
      absl::ResourceExhaustedError(absl::StrCat(message, "; retry after ", retry_after_seconds, " s"));
  status.SetPayload(kRetryAfterPayload, absl::Cord(absl::StrCat(retry_after_seconds)));
  return status;
}

absl::Status SetField(QuotaLimits& limits, std::string_view field, std::string_view value, std::string_view item) {
  double number = 0;
  if (!absl::SimpleAtod(std::string(value), &number) || number < 0 || !std::isfinite(number)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tenant quota '", std::string(item), "': ", std::string(field), " must be a number >= 0"));
  }
  if (field == "requests_per_second") {
    limits.requests_per_second = number;
  } else if (field == "burst") {
    limits.burst = static_cast<int64_t>(number);
  } else if (field == "max_in_flight") {
    limits.max_in_flight = static_cast<int64_t>(number);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("tenant quota '", std::string(item), "': unknown field '",
                                                   std::string(field),
                                                   "' (use requests_per_second, burst, max_in_flight)"));
  }
  return absl::OkStatus();
}

}  // namespace

// Gives its tenant's in-flight slot back when destroyed.
struct TenantQuotas::Slot {
  Slot(TenantQuotas* quotas, std::string tenant) : quotas(quotas), tenant(std::move(tenant)) {}
  ~Slot() { quotas->Release(tenant); }
  TenantQuotas* quotas;
  std::string tenant;
};

absl::StatusOr<std::pair<std::string, QuotaLimits>> ParseTenantQuota(std::string_view item,
                                                                     const QuotaLimits& defaults) {
  const size_t colon = item.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError(absl::StrCat("tenant quota '", std::string(item),
                                                   "': expected tenant:requests_per_second=R,burst=B,max_in_flight=N"));
  }
  std::pair<std::string, QuotaLimits> parsed{std::string(item.substr(0, colon)), defaults};
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(item.data() + colon + 1, item.size() - colon - 1), ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> field = absl::StrSplit(part, absl::MaxSplits('=', 1));
    if (absl::Status status = SetField(parsed.second, field.first, field.second, item); !status.ok()) return status;
  }
  return parsed;
}

int64_t RetryAfterSeconds(const absl::Status& status) {
  int64_t seconds = 1;
  if (auto payload = status.GetPayload(kRetryAfterPayload); payload.has_value()) {
    if (!absl::SimpleAtoi(std::string(*payload), &seconds)) seconds = 1;
  }
  return std::max<int64_t>(seconds, 1);
}

bool TenantQuotas::enabled() const {
  auto limited = [](const QuotaLimits& l) { return l.requests_per_second > 0 || l.max_in_flight > 0; };
  if (limited(options_.defaults)) return true;
  return std::any_of(options_.tenants.begin(), options_.tenants.end(),
                     [&](const auto& t) { return limited(t.second); });
}

const QuotaLimits& TenantQuotas::LimitsOf(const std::string& tenant) const {
  auto it = options_.tenants.find(tenant);
  return it == options_.tenants.end() ? options_.defaults : it->second;
}

absl::Status TenantQuotas::TakeToken(const std::string& tenant, const QuotaLimits& limits, TenantState& state) {
  if (limits.requests_per_second <= 0) return absl::OkStatus();
  const double capacity = Capacity(limits);
  const absl::Time now = options_.clock();
  if (state.refilled == absl::InfinitePast()) {
    state.tokens = capacity;
  } else {
    state.tokens =
        std::min(capacity, state.tokens + absl::ToDoubleSeconds(now - state.refilled) * limits.requests_per_second);
  }
  state.refilled = now;
  if (state.tokens >= 1) {
    state.tokens -= 1;
    return absl::OkStatus();
  }
  const double wait = (1 - state.tokens) / limits.requests_per_second;
  return Exhausted(absl::StrCat("tenant '", tenant, "' is over its request rate limit of ", limits.requests_per_second,
                                " requests/s (burst ", static_cast<int64_t>(capacity), ")"),
                   static_cast<int64_t>(std::ceil(wait)));
}

absl::StatusOr<std::shared_ptr<void>> TenantQuotas::Admit(const std::string& tenant) {
  const QuotaLimits& limits = LimitsOf(tenant);
  {
    absl::MutexLock lock(&mu_);
    TenantState& state = states_[tenant];
    if (limits.max_in_flight > 0 && state.in_flight >= limits.max_in_flight) {
      return Exhausted(absl::StrCat("tenant '", tenant, "' is at its concurrency limit of ", limits.max_in_flight,
                                    " calls in flight"),
                       1);
    }
    if (absl::Status status = TakeToken(tenant, limits, state); !status.ok()) return status;
    ++state.in_flight;
  }
  return std::shared_ptr<void>(std::make_shared<Slot>(this, tenant));
}

void TenantQuotas::Release(const std::string& tenant) {
  absl::MutexLock lock(&mu_);
  auto it = states_.find(tenant);
  if (it != states_.end() && it->second.in_flight > 0) --it->second.in_flight;
}

}  // namespace catena::auth
