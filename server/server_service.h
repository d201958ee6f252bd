// ServerServiceImpl answers catena.v1.ServerService (server info, ping) for every catenad process.
// Callback API; Ping's delay runs on the shared Executor, never blocking a gRPC thread. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "catena/v1/server.grpc.pb.h"

namespace catena {
class Executor;
}

namespace catena::server {

class ServerServiceImpl final : public v1::ServerService::CallbackService {
 public:
  // `services` lists the fully qualified names this process serves; `executor` must outlive the server.
  ServerServiceImpl(std::vector<std::string> services, Executor& executor);

  grpc::ServerUnaryReactor* GetServerInfo(grpc::CallbackServerContext* context, const v1::GetServerInfoRequest* request,
                                          v1::GetServerInfoResponse* response) override;
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context, const v1::PingRequest* request,
                                 v1::PingResponse* response) override;

 private:
  std::vector<std::string> services_;
  Executor& executor_;
  absl::Time started_ = absl::Now();
};

}  // namespace catena::server
