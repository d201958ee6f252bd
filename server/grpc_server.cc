#include "server/grpc_server.h"

#include <grpc/support/log.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>

#include <atomic>

#include "absl/strings/str_cat.h"
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

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const ServerOptions& options,
                                                              std::vector<std::unique_ptr<grpc::Service>> services,
                                                              std::shared_ptr<HealthServiceImpl> health,
                                                              MetricsRegistry& metrics) {
  gpr_set_log_function(ForwardGrpcLog);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  std::unique_ptr<GrpcServer> server(new GrpcServer());
  server->services_ = std::move(services);
  server->health_ = std::move(health);

  grpc::ServerBuilder builder;
  ConfigureBuilder(options, builder);
  const std::string address = absl::StrCat(options.host, ":", options.grpc_port);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &server->port_);
  for (const auto& service : server->services_) builder.RegisterService(service.get());
  builder.RegisterService(server->health_.get());
  builder.experimental().SetInterceptorCreators(MakeMetricsInterceptors(metrics));

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
  return server_->InProcessChannel(arguments);
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
