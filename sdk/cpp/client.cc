#include "catena/client.h"

#include <grpcpp/grpcpp.h>

#include "catena/v1/server.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace catena::sdk {
namespace {

constexpr char kTenantHeader[] = "x-catena-tenant";

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace

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

Client::Client(ClientOptions options, std::shared_ptr<grpc::Channel> channel)
    : options_(std::move(options)), channel_(std::move(channel)) {}

absl::StatusOr<std::unique_ptr<Client>> Client::Create(ClientOptions options) {
  if (options.address.empty()) return absl::InvalidArgumentError("client address is empty");
  auto channel = grpc::CreateChannel(options.address, grpc::InsecureChannelCredentials());
  return std::unique_ptr<Client>(new Client(std::move(options), std::move(channel)));
}

std::unique_ptr<grpc::ClientContext> Client::NewContext(absl::Duration extra) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout + extra));
  if (!options_.tenant.empty()) context->AddMetadata(kTenantHeader, options_.tenant);
  return context;
}

absl::StatusOr<ServingStatus> Client::Health(std::string_view service) const {
  auto stub = grpc::health::v1::Health::NewStub(channel_);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(std::string(service));
  grpc::health::v1::HealthCheckResponse response;
  auto context = NewContext();
  if (absl::Status status = FromGrpcStatus(stub->Check(context.get(), request, &response)); !status.ok()) {
    return status;
  }
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

absl::StatusOr<v1::GetServerInfoResponse> Client::ServerInfo() const {
  auto stub = v1::ServerService::NewStub(channel_);
  v1::GetServerInfoResponse response;
  auto context = NewContext();
  absl::Status status = FromGrpcStatus(stub->GetServerInfo(context.get(), v1::GetServerInfoRequest(), &response));
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<std::string> Client::Ping(std::string_view payload, absl::Duration delay) const {
  auto stub = v1::ServerService::NewStub(channel_);
  v1::PingRequest request;
  request.set_payload(std::string(payload));
  request.set_delay_ms(static_cast<int32_t>(absl::ToInt64Milliseconds(delay)));
  v1::PingResponse response;
  auto context = NewContext(delay);
  if (absl::Status status = FromGrpcStatus(stub->Ping(context.get(), request, &response)); !status.ok()) {
    return status;
  }
  return std::move(*response.mutable_payload());
}

}  // namespace catena::sdk
