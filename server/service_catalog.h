// The catalog of catena.v1 services catenad can run: short names for --service / server.services, their
// fully qualified gRPC names, and how each is created. A component that implements its service adds its
// factory to its catalog entry (one line). Immutable after start-up; safe to read from any thread.
#pragma once

#include <grpcpp/impl/service_type.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "chains/pipeline_service.h"
#include "inference/serving_options.h"
#include "memory/memory_service.h"
#include "server/remote_services_config.h"

namespace catena {
class Executor;
class MetricsRegistry;
}  // namespace catena

namespace catena::server {

class ServerComponents;

// What services may use while they run; owned by the server, outlives every service.
struct ServiceDependencies {
  Executor* executor = nullptr;
  std::string data_dir;
  // Shared engines (embedders, retrieval, memory store, models), created on first use.
  ServerComponents* components = nullptr;
  // The registry /metrics renders.
  MetricsRegistry* metrics = nullptr;
  // pipelines.* settings.
  chains::PipelineServiceSettings pipelines;
  // tools.files: tool files loaded into the pipeline service's tool registry.
  std::vector<std::string> tool_files;
  // Services the pipeline service calls over gRPC instead of opening them here (distributed mode).
  RemoteServices remote;
  // Sets a service's grpc.health.v1 status by its full name (e.g. the inference service is NOT_SERVING until a
  // model is loaded). Never empty when called from catenad.
  std::function<void(const std::string& full_name, bool serving)> set_serving;
};

struct ServiceDescriptor {
  // Short name: "inference", "embedding", "retrieval", "memory", "pipeline".
  std::string_view name;
  // Fully qualified gRPC service name, e.g. "catena.v1.RetrievalService"; also its health-check name.
  std::string_view full_name;
  // Creates the service's handlers; an error (e.g. a database that cannot be opened) stops start-up.
  absl::StatusOr<std::unique_ptr<grpc::Service>> (*create)(const ServiceDependencies& dependencies);
};

// Every selectable service, in start order.
const std::vector<ServiceDescriptor>& ServiceCatalog();

// The short names of ServiceCatalog(), in order.
std::vector<std::string> ServiceNames();

// Expands "all" and checks names; INVALID_ARGUMENT naming an unknown service and listing the valid ones.
// The result has no duplicates and follows catalog order.
absl::StatusOr<std::vector<std::string>> ExpandServiceNames(const std::vector<std::string>& names);

}  // namespace catena::server
