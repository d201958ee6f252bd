#include "server/grpc_server.h"

#include <grpc/support/log.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "auth/authenticator.h"
#include "common/status.h"
#include "server/auth_interceptor.h"
#include "server/listen_probe.h"
#include "server/metrics_interceptor.h"
#include "spdlog/spdlog.h"

namespace catena::server {
namespace {

// While a server is being built, gRPC's own errors (e.g. a failed bind) are reported by us as one clear
// Status, so its log lines are demoted to debug.
std::atomic<int> servers_starting{0};

// Sends gRPC core's log lines through spdlog instead of raw stderr.
void ForwardGrpcLog(gpr_log_func_args* args) {
  constexpr const char* kFormat = "grpc: {} ({}:{})";
  if (args->severity == GPR_LOG_SEVERITY_ERROR && servers_starting.load() == 0) {
    spdlog::warn(kFormat, args->message, args->file, args->line);
  } else {
    spdlog::debug(kFormat, args->message, args->file, args->line);
  }
}

void ConfigureBuilder(const ServerOptions& options, grpc::ServerBuilder& builder) {
  const int max_message = static_cast<int>(std::min<int64_t>(options.max_message_bytes, INT32_MAX));
  builder.SetMaxReceiveMessageSize(max_message);
  builder.SetMaxSendMessageSize(max_message);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(options.keepalive_time_ms));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, static_cast<int>(options.keepalive_timeout_ms));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  // Without this, gRPC binds with SO_REUSEPORT and a second server on a used port would start silently.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
}

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* key) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  if (!in || text.str().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(key, ": cannot read PEM file '", path, "'"));
  }
  return text.str();
}

// Insecure credentials, or TLS (mutual TLS with a client CA) from server.tls.*.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(const TlsServerOptions& tls) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions ssl;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  CATENA_ASSIGN_OR_RETURN(pair.cert_chain, ReadPem(tls.cert_file, "server.tls.cert_file"));
  CATENA_ASSIGN_OR_RETURN(pair.private_key, ReadPem(tls.key_file, "server.tls.key_file"));
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  if (!tls.client_ca_file.empty()) {
    CATENA_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPem(tls.client_ca_file, "server.tls.client_ca_file"));
    ssl.client_certificate_request = tls.require_client_cert
                                         ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                         : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> Interceptors(
    MetricsRegistry& metrics, auth::Authenticator* authenticator) {
  auto interceptors = MakeMetricsInterceptors(metrics);
  if (authenticator != nullptr) interceptors.push_back(MakeAuthInterceptor(*authenticator));
  return interceptors;
}

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const ServerOptions& options,
                                                              std::vector<std::unique_ptr<grpc::Service>> services,
                                                              std::shared_ptr<HealthServiceImpl> health,
                                                              MetricsRegistry& metrics,
                                                              auth::Authenticator* authenticator) {
  gpr_set_log_function(ForwardGrpcLog);
  // Reflection would answer without a key, so it is off when keys are required.
  if (!options.auth.enabled) grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  CATENA_ASSIGN_OR_RETURN(auto credentials, ServerCredentials(options.tls));

  std::unique_ptr<GrpcServer> server(new GrpcServer());
  server->services_ = std::move(services);
  server->health_ = std::move(health);
  server->authenticator_ = authenticator;

  grpc::ServerBuilder builder;
  ConfigureBuilder(options, builder);
  const std::string address = absl::StrCat(options.host, ":", options.grpc_port);
  builder.AddListeningPort(address, credentials, &server->port_);
  for (const auto& service : server->services_) builder.RegisterService(service.get());
  builder.RegisterService(server->health_.get());
  builder.experimental().SetInterceptorCreators(Interceptors(metrics, authenticator));

  servers_starting.fetch_add(1);
  server->server_ = builder.BuildAndStart();
  servers_starting.fetch_sub(1);
  if (server->server_ == nullptr || server->port_ == 0) {
    std::string reason = ProbeListenFailure(options.host, options.grpc_port);
    if (reason.empty()) reason = "the address is not available";
    return absl::UnavailableError(absl::StrCat("cannot listen for gRPC on ", address, ": ", reason));
  }
  return server;
}

GrpcServer::~GrpcServer() { Shutdown(absl::ZeroDuration()); }

std::shared_ptr<grpc::Channel> GrpcServer::InProcessChannel() const {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(-1);
  if (authenticator_ == nullptr) return server_->InProcessChannel(arguments);
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(MakeInternalCredentialsInterceptor(*authenticator_));
  return server_->experimental().InProcessChannelWithInterceptors(arguments, std::move(interceptors));
}

void GrpcServer::Shutdown(absl::Duration drain) {
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  // Every status turns NOT_SERVING for good, and open Watch streams end so they do not hold up the drain.
  health_->Shutdown();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + drain));
  server_->Wait();
}

}  // namespace catena::server
