#include "catena/client.h"

#include <grpcpp/grpcpp.h>

#include <fstream>
#include <sstream>

#include "catena/v1/server.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace catena::sdk {
namespace {

constexpr char kTenantHeader[] = "x-catena-tenant";
constexpr char kAuthorizationHeader[] = "authorization";

absl::StatusOr<std::string> ReadPemFile(const std::string& path, std::string_view what) {
  if (path.empty()) return std::string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(std::string(what) + " file '" + path + "' cannot be read");
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::shared_ptr<grpc::ChannelCredentials> Credentials(const ClientOptions& options) {
  if (!options.tls.has_value()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options.tls->root_certs;
  ssl.pem_private_key = options.tls->client_key;
  ssl.pem_cert_chain = options.tls->client_cert;
  return grpc::SslCredentials(ssl);
}

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

absl::StatusOr<TlsOptions> TlsOptionsFromFiles(const std::string& root_certs_path, const std::string& client_cert_path,
                                               const std::string& client_key_path) {
  if (client_cert_path.empty() != client_key_path.empty()) {
    return absl::InvalidArgumentError("TLS client certificate and key must be given together");
  }
  TlsOptions tls;
  auto root = ReadPemFile(root_certs_path, "TLS CA");
  if (!root.ok()) return root.status();
  auto cert = ReadPemFile(client_cert_path, "TLS client certificate");
  if (!cert.ok()) return cert.status();
  auto key = ReadPemFile(client_key_path, "TLS client key");
  if (!key.ok()) return key.status();
  tls.root_certs = *std::move(root);
  tls.client_cert = *std::move(cert);
  tls.client_key = *std::move(key);
  return tls;
}

absl::StatusOr<std::unique_ptr<Client>> Client::Create(ClientOptions options) {
  if (options.address.empty()) return absl::InvalidArgumentError("client address is empty");
  if (options.tls.has_value() && options.tls->client_cert.empty() != options.tls->client_key.empty()) {
    return absl::InvalidArgumentError("TLS client certificate and key must be given together");
  }
  grpc::ChannelArguments arguments;
  if (options.tls.has_value() && !options.tls->server_name.empty()) {
    arguments.SetSslTargetNameOverride(options.tls->server_name);
  }
  auto channel = grpc::CreateCustomChannel(options.address, Credentials(options), arguments);
  return std::unique_ptr<Client>(new Client(std::move(options), std::move(channel)));
}

std::unique_ptr<grpc::ClientContext> Client::NewContext(absl::Duration extra) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout + extra));
  if (!options_.tenant.empty()) context->AddMetadata(kTenantHeader, options_.tenant);
  if (!options_.token.empty()) context->AddMetadata(kAuthorizationHeader, "Bearer " + options_.token);
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
