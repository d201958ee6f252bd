#include "server/service_catalog.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "catena/v1/embedding.grpc.pb.h"
#include "catena/v1/inference.grpc.pb.h"
#include "catena/v1/memory.grpc.pb.h"
#include "catena/v1/pipeline.grpc.pb.h"
#include "catena/v1/retrieval.grpc.pb.h"

namespace catena::server {
namespace {

// The generated callback base of a service: registered, every method UNIMPLEMENTED.
template <typename GeneratedService>
std::unique_ptr<grpc::Service> Unimplemented(const ServiceDependencies&) {
  return std::make_unique<typename GeneratedService::CallbackService>();
}

}  // namespace

const std::vector<ServiceDescriptor>& ServiceCatalog() {
  // Components replace Unimplemented<...> with the factory of their handlers.
  static const std::vector<ServiceDescriptor> catalog = {
      {"inference", "catena.v1.InferenceService", &Unimplemented<v1::InferenceService>},
      {"embedding", "catena.v1.EmbeddingService", &Unimplemented<v1::EmbeddingService>},
      {"retrieval", "catena.v1.RetrievalService", &Unimplemented<v1::RetrievalService>},
      {"memory", "catena.v1.MemoryService", &Unimplemented<v1::MemoryService>},
      {"pipeline", "catena.v1.PipelineService", &Unimplemented<v1::PipelineService>},
  };
  return catalog;
}

std::vector<std::string> ServiceNames() {
  std::vector<std::string> names;
  for (const ServiceDescriptor& service : ServiceCatalog()) names.emplace_back(service.name);
  return names;
}

absl::StatusOr<std::vector<std::string>> ExpandServiceNames(const std::vector<std::string>& names) {
  const std::vector<std::string> known = ServiceNames();
  std::vector<std::string> wanted;
  for (const std::string& name : names) {
    if (name == "all") return known;
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown service '", name, "'; expected all or one of ", absl::StrJoin(known, ", ")));
    }
    wanted.push_back(name);
  }
  if (wanted.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no service selected; expected all or one of ", absl::StrJoin(known, ", ")));
  }
  std::vector<std::string> ordered;
  for (const std::string& name : known) {
    if (std::find(wanted.begin(), wanted.end(), name) != wanted.end()) ordered.push_back(name);
  }
  return ordered;
}

}  // namespace catena::server
