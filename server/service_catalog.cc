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

const std::vector<ServiceDescriptor>& ServiceCatalog() {
  static const std::vector<ServiceDescriptor> catalog = {
      {"inference", "catena.v1.InferenceService", false}, {"embedding", "catena.v1.EmbeddingService", false},
      {"retrieval", "catena.v1.RetrievalService", false}, {"memory", "catena.v1.MemoryService", false},
      {"pipeline", "catena.v1.PipelineService", false},
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

absl::StatusOr<std::unique_ptr<grpc::Service>> CreateService(std::string_view name,
                                                             const ServiceDependencies& dependencies) {
  // Components replace these generated bases (every method UNIMPLEMENTED) with their handlers.
  if (name == "inference") return std::make_unique<v1::InferenceService::CallbackService>();
  if (name == "embedding") return std::make_unique<v1::EmbeddingService::CallbackService>();
  if (name == "retrieval") return std::make_unique<v1::RetrievalService::CallbackService>();
  if (name == "memory") return std::make_unique<v1::MemoryService::CallbackService>();
  if (name == "pipeline") return std::make_unique<v1::PipelineService::CallbackService>();
  return absl::InvalidArgumentError(absl::StrCat("unknown service '", std::string(name), "'"));
}

}  // namespace catena::server
