// The catalog of catena.v1 services catenad can run: short names for --service / server.services, their
// fully qualified gRPC names, and how each is created. A component that implements its service adds its
// factory here (one line). Immutable after start-up; safe to read from any thread.
#pragma once

#include <grpcpp/impl/service_type.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace catena {
class Executor;
}

namespace catena::server {

// What services may use while they run; owned by the server, outlives every service.
struct ServiceDependencies {
  Executor* executor = nullptr;
  std::string data_dir;
};

struct ServiceDescriptor {
  // Short name: "inference", "embedding", "retrieval", "memory", "pipeline".
  std::string_view name;
  // Fully qualified gRPC service name, e.g. "catena.v1.RetrievalService"; also its health-check name.
  std::string_view full_name;
  // False while the component's handlers are not written yet: the service is registered and every method
  // answers UNIMPLEMENTED.
  bool implemented;
};

// Every selectable service, in start order.
const std::vector<ServiceDescriptor>& ServiceCatalog();

// The short names of ServiceCatalog(), in order.
std::vector<std::string> ServiceNames();

// Expands "all" and checks names; INVALID_ARGUMENT naming an unknown service and listing the valid ones.
// The result has no duplicates and follows catalog order.
absl::StatusOr<std::vector<std::string>> ExpandServiceNames(const std::vector<std::string>& names);

// Creates the service called `name` (a short name from the catalog).
absl::StatusOr<std::unique_ptr<grpc::Service>> CreateService(std::string_view name,
                                                             const ServiceDependencies& dependencies);

}  // namespace catena::server
