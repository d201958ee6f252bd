// ServerClient: typed wrapper of catena.v1.ServerService and of the standard grpc.health.v1.Health service,
// reached through Client::server(). Thread-safe; valid as long as its Client.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "catena/call_options.h"
#include "catena/stream_reader.h"
#include "catena/v1/server.pb.h"
#include "grpc/health/v1/health.pb.h"

namespace catena::sdk {
namespace internal {
class Transport;
}  // namespace internal

enum class ServingStatus { kUnknown, kServing, kNotServing, kServiceUnknown };

// "SERVING", "NOT_SERVING", ...
std::string_view ServingStatusName(ServingStatus status);
// The ServingStatus of a health response.
ServingStatus ToServingStatus(const grpc::health::v1::HealthCheckResponse& response);

class ServerClient {
 public:
  explicit ServerClient(std::shared_ptr<const internal::Transport> transport) : transport_(std::move(transport)) {}

  // grpc.health.v1 Check of `service` ("" = the whole server); NOT_FOUND for a service the server does not know.
  // Idempotent (retried).
  absl::StatusOr<ServingStatus> Health(std::string_view service = "", const CallOptions& options = {}) const;
  // grpc.health.v1 Watch: the serving status of `service` now and at every change, until the deadline.
  StreamReader<grpc::health::v1::HealthCheckResponse> WatchHealth(std::string_view service,
                                                                  const CallOptions& options = {}) const;
  // Version, services, tenant and uptime. Idempotent.
  absl::StatusOr<v1::GetServerInfoResponse> GetServerInfo(const CallOptions& options = {}) const;
  // Echo of `request.payload` after `request.delay_ms`; the deadline is extended by the delay. Idempotent.
  absl::StatusOr<v1::PingResponse> Ping(const v1::PingRequest& request, const CallOptions& options = {}) const;

 private:
  std::shared_ptr<const internal::Transport> transport_;
};

}  // namespace catena::sdk
