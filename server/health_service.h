// HealthServiceImpl: grpc.health.v1.Health for catenad, one status per service name ("" = the whole server).
// Unlike gRPC's built-in service, Shutdown() tells every Watch stream NOT_SERVING and then ends it, so open
// watches never hold up the drain. Callback API; all methods are thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "grpc/health/v1/health.grpc.pb.h"

namespace catena::server {

class HealthServiceImpl final : public grpc::health::v1::Health::CallbackService {
 public:
  using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

  // Registers `names` (and "") as SERVING.
  explicit HealthServiceImpl(const std::vector<std::string>& names);

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::health::v1::HealthCheckResponse* response) override;
  grpc::ServerWriteReactor<grpc::health::v1::HealthCheckResponse>* Watch(
      grpc::CallbackServerContext* context, const grpc::health::v1::HealthCheckRequest* request) override;

  // Sets the status of a registered `service` (not "") and tells its watchers; ignored after Shutdown and for
  // unknown names.
  void SetServing(const std::string& service, bool serving);

  // Sets every status to NOT_SERVING, tells the watchers and ends their streams. Later calls see NOT_SERVING.
  void Shutdown();

  class Watcher;

 private:
  friend class Watcher;
  // Current status of `service`; SERVICE_UNKNOWN when not registered. Requires mutex_.
  ServingStatus StatusLocked(const std::string& service) const;
  void Unregister(Watcher* watcher);

  // Recursive: a watcher finished while Shutdown holds the lock may unregister itself on the same thread.
  std::recursive_mutex mutex_;
  std::map<std::string, ServingStatus> statuses_;
  std::set<Watcher*> watchers_;
  bool shut_down_ = false;
};

}  // namespace catena::server
