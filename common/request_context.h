// RequestContext: who a call is for (tenant), how to find it in logs (request id) and until when it may run
// (deadline). Built once at the service edge (see common/grpc_util.h) and passed by const reference to every
// component call. Plain value type; no gRPC dependency so any component can include it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace catena {

inline constexpr char kDefaultTenant[] = "default";

struct RequestContext {
  std::string tenant = kDefaultTenant;
  std::string request_id;
  absl::Time deadline = absl::InfiniteFuture();

  // True once the deadline has passed.
  bool Expired() const { return absl::Now() >= deadline; }
  // Time left before the deadline (InfiniteDuration when there is none, zero when past).
  absl::Duration Remaining() const { return std::max(deadline - absl::Now(), absl::ZeroDuration()); }
};

// Whether `name` follows the naming rule of tenant ids, collections, pipelines and models:
// [A-Za-z0-9][A-Za-z0-9_.-]*, 1..max_length bytes.
bool IsValidName(std::string_view name, size_t max_length);

// OK when `tenant` is a valid tenant id: [A-Za-z0-9][A-Za-z0-9_.-]{0,63}; INVALID_ARGUMENT naming it otherwise.
absl::Status ValidateTenantId(std::string_view tenant);

// A fresh random request id (16 lowercase hex digits). Thread-safe.
std::string NewRequestId();

}  // namespace catena
