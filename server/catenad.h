// Catenad: one catenad process. Creates the data directory, the shared executor and the selected services,
// then serves them over gRPC (with health and reflection) and HTTP (operational routes and the OpenAI-compatible
// gateway under /v1). Used by catenad_main.cc and by in-process tests. Start/Shutdown from one thread; accessors
// are thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/server_config.h"

namespace catena {
class Executor;
class MetricsRegistry;
}  // namespace catena

namespace catena::auth {
class Authenticator;
}

namespace catena::server {

class GrpcServer;
class HttpServer;
class OpenAiGateway;
class ServerComponents;

class Catenad {
 public:
  // Starts every part; on error nothing stays running. UNAVAILABLE when a port cannot be bound,
  // FAILED_PRECONDITION when the data directory cannot be created.
  static absl::StatusOr<std::unique_ptr<Catenad>> Start(const ServerOptions& options);
  ~Catenad();

  int grpc_port() const;
  int http_port() const;
  // Fully qualified names of the gRPC services this process serves.
  const std::vector<std::string>& service_names() const { return service_names_; }

  // Reports not ready, drains gRPC calls for up to the configured drain timeout, stops HTTP. Idempotent.
  void Shutdown();

 private:
  Catenad() = default;
  absl::Status StartParts();
  absl::Status StartHttp();

  ServerOptions options_;
  std::vector<std::string> service_names_;
  std::unique_ptr<MetricsRegistry> metrics_;
  std::unique_ptr<Executor> executor_;
  // API keys and quotas; null when neither is configured. Outlives both servers.
  std::unique_ptr<auth::Authenticator> authenticator_;
  // Declared before grpc_ so services (which share its engines) are destroyed first.
  std::unique_ptr<ServerComponents> components_;
  std::unique_ptr<GrpcServer> grpc_;
  // Destroyed after the HTTP server whose handler uses it, before the gRPC server it calls.
  std::unique_ptr<OpenAiGateway> gateway_;
  std::unique_ptr<HttpServer> http_;
  std::atomic<bool> ready_{false};
};

}  // namespace catena::server
