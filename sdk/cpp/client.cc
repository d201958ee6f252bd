#include "catena/client.h"

#include <grpcpp/grpcpp.h>

#include <fstream>
#include <sstream>

#include "catena/catena.h"
#include "sdk/cpp/transport.h"

namespace catena::sdk {
namespace {

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

}  // namespace

Client::Client(ClientOptions options, std::shared_ptr<grpc::Channel> channel)
    : options_(std::move(options)),
      channel_(std::move(channel)),
      transport_(std::make_shared<internal::Transport>(options_, channel_)),
      server_(std::make_unique<ServerClient>(transport_)),
      inference_(std::make_unique<InferenceClient>(transport_)),
      embedding_(std::make_unique<EmbeddingClient>(transport_)),
      retrieval_(std::make_unique<RetrievalClient>(transport_)),
      memory_(std::make_unique<MemoryClient>(transport_)),
      pipelines_(std::make_unique<PipelineClient>(transport_)) {}

Client::~Client() = default;

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
  if (absl::Status status = ValidateRetryOptions(options.retry); !status.ok()) return status;
  grpc::ChannelArguments arguments;
  // Reconnect soon after a failed connect, so that retries reach a server that came (back) up.
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  arguments.SetMaxReceiveMessageSize(64 << 20);
  arguments.SetMaxSendMessageSize(64 << 20);
  if (options.tls.has_value() && !options.tls->server_name.empty()) {
    arguments.SetSslTargetNameOverride(options.tls->server_name);
  }
  auto channel = grpc::CreateCustomChannel(options.address, Credentials(options), arguments);
  return std::unique_ptr<Client>(new Client(std::move(options), std::move(channel)));
}

std::unique_ptr<grpc::ClientContext> Client::NewContext(absl::Duration extra) const {
  return transport_->NewContext(absl::Now() + options_.timeout + extra, CallOptions());
}

absl::StatusOr<ServingStatus> Client::Health(std::string_view service) const { return server_->Health(service); }

absl::StatusOr<v1::GetServerInfoResponse> Client::ServerInfo() const { return server_->GetServerInfo(); }

absl::StatusOr<std::string> Client::Ping(std::string_view payload, absl::Duration delay) const {
  v1::PingRequest request;
  request.set_payload(std::string(payload));
  request.set_delay_ms(static_cast<int32_t>(absl::ToInt64Milliseconds(delay)));
  auto response = server_->Ping(request);
  if (!response.ok()) return response.status();
  return std::move(*response->mutable_payload());
}

}  // namespace catena::sdk
