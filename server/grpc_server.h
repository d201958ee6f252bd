// GrpcServer: the gRPC half of catenad. Registers the given services plus grpc.health.v1 (HealthServiceImpl,
// one status per service name) and server reflection (not with auth enabled), listens on one address (TLS or
// mutual TLS when server.tls.* say so), admits calls through an auth::Authenticator when given, and drains on
// Shutdown. Owned by Catenad; methods are thread-safe.
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/service_type.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/health_service.h"
#include "server/server_config.h"

namespace catena {
class MetricsRegistry;
}
namespace catena::auth {
class Authenticator;
}

namespace catena::server {

class GrpcServer {
 public:
  // Builds and starts the server with `health` (whose statuses services may change while they run).
  // `authenticator` (may be null = every call admitted) must outlive the server.
  // UNAVAILABLE naming the address and the reason when it cannot listen (e.g. the port is in use);
  // INVALID_ARGUMENT naming the file when a TLS file cannot be read.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(const ServerOptions& options,
                                                           std::vector<std::unique_ptr<grpc::Service>> services,
                                                           std::shared_ptr<HealthServiceImpl> health,
                                                           MetricsRegistry& metrics,
                                                           auth::Authenticator* authenticator = nullptr);
  ~GrpcServer();

  // The port actually bound (differs from the configured one when that was 0).
  int port() const { return port_; }

  // A channel to this server's services that bypasses the network (the HTTP gateway runs pipelines through it);
  // its calls carry the authenticator's internal credentials.
  std::shared_ptr<grpc::Channel> InProcessChannel() const;

  // Sets health NOT_SERVING, stops accepting calls and waits up to `drain` for in-flight calls, which are
  // cancelled after that. Idempotent.
  void Shutdown(absl::Duration drain);

 private:
  GrpcServer() = default;

  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::shared_ptr<HealthServiceImpl> health_;
  std::unique_ptr<grpc::Server> server_;
  auth::Authenticator* authenticator_ = nullptr;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace catena::server
