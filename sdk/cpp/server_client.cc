#include "catena/server_client.h"

#include "catena/v1/server.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "sdk/cpp/transport.h"

namespace catena::sdk {

using HealthStub = grpc::health::v1::Health::Stub;
using Stub = v1::ServerService::Stub;

std::string_view ServingStatusName(ServingStatus status) {
  switch (status) {
    case ServingStatus::kServing:
      return "SERVING";
    case ServingStatus::kNotServing:
      return "NOT_SERVING";
    case ServingStatus::kServiceUnknown:
      return "SERVICE_UNKNOWN";
    case ServingStatus::kUnknown:
      break;
  }
  return "UNKNOWN";
}

ServingStatus ToServingStatus(const grpc::health::v1::HealthCheckResponse& response) {
  switch (response.status()) {
    case grpc::health::v1::HealthCheckResponse::SERVING:
      return ServingStatus::kServing;
    case grpc::health::v1::HealthCheckResponse::NOT_SERVING:
      return ServingStatus::kNotServing;
    case grpc::health::v1::HealthCheckResponse::SERVICE_UNKNOWN:
      return ServingStatus::kServiceUnknown;
    default:
      return ServingStatus::kUnknown;
  }
}

absl::StatusOr<ServingStatus> ServerClient::Health(std::string_view service, const CallOptions& options) const {
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(std::string(service));
  auto response = transport_->Unary(&HealthStub::Check, request, /*idempotent=*/true, options);
  if (!response.ok()) return response.status();
  return ToServingStatus(*response);
}

StreamReader<grpc::health::v1::HealthCheckResponse> ServerClient::WatchHealth(std::string_view service,
                                                                              const CallOptions& options) const {
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(std::string(service));
  return transport_->Stream(&HealthStub::Watch, request, /*idempotent=*/true, options);
}

absl::StatusOr<v1::GetServerInfoResponse> ServerClient::GetServerInfo(const CallOptions& options) const {
  return transport_->Unary(&Stub::GetServerInfo, v1::GetServerInfoRequest(), /*idempotent=*/true, options);
}

absl::StatusOr<v1::PingResponse> ServerClient::Ping(const v1::PingRequest& request, const CallOptions& options) const {
  if (options.timeout.has_value() || options.deadline.has_value() || request.delay_ms() <= 0) {
    return transport_->Unary(&Stub::Ping, request, /*idempotent=*/true, options);
  }
  CallOptions extended = options;
  extended.timeout = transport_->options().timeout + absl::Milliseconds(request.delay_ms());
  return transport_->Unary(&Stub::Ping, request, /*idempotent=*/true, extended);
}

}  // namespace catena::sdk
