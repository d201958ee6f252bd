#include "server/service_catalog.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agents/builtin_tools.h"
#include "agents/node_types.h"
#include "agents/test_tools.h"
#include "agents/tool_file.h"
#include "catena/v1/embedding.grpc.pb.h"
#include "catena/v1/inference.grpc.pb.h"
#include "catena/v1/memory.grpc.pb.h"
#include "catena/v1/pipeline.grpc.pb.h"
#include "catena/v1/retrieval.grpc.pb.h"
#include "agents/guard_vaults.h"
#include "chains/chat_model_router.h"
#include "chains/pipeline_service.h"
#include "chains/service_chat_models.h"
#include "common/status.h"
#include "inference/embedding_service.h"
#include "inference/inference_service.h"
#include "memory/memory_service.h"
#include "remote/grpc_chat_model.h"
#include "remote/grpc_embedders.h"
#include "remote/grpc_memory.h"
#include "remote/grpc_retrieval.h"
#include "retrieval/retrieval_service.h"
#include "server/components.h"

namespace catena::server {
namespace {

absl::StatusOr<std::unique_ptr<grpc::Service>> CreateEmbeddingService(const ServiceDependencies& dependencies) {
  CATENA_ASSIGN_OR_RETURN(auto embedders, dependencies.components->Embedders());
  return inference::NewEmbeddingService(std::move(embedders));
}

absl::StatusOr<std::unique_ptr<grpc::Service>> CreateRetrievalService(const ServiceDependencies& dependencies) {
  CATENA_ASSIGN_OR_RETURN(auto engine, dependencies.components->Retrieval());
  return retrieval::NewRetrievalService(std::move(engine));
}

// The memory service over the shared store at <data_dir>/memory (memory.* settings; semantic recall uses the
// default embedder).
absl::StatusOr<std::unique_ptr<grpc::Service>> CreateMemoryService(const ServiceDependencies& dependencies) {
  CATENA_ASSIGN_OR_RETURN(std::shared_ptr<memory::MemoryStore> store, dependencies.components->Memory());
  return memory::CreateMemoryService(std::move(store));
}

// The inference service over the shared model registry (loaded at start unless inference.autoload is off; a
// model that cannot load stops start-up with the reason). Its health is NOT_SERVING while no model is loaded.
absl::StatusOr<std::unique_ptr<grpc::Service>> CreateInferenceService(const ServiceDependencies& dependencies) {
  CATENA_ASSIGN_OR_RETURN(std::shared_ptr<inference::ModelRegistry> registry, dependencies.components->Models());
  if (dependencies.set_serving) {
    registry->SetAvailabilityListener([set_serving = dependencies.set_serving](bool any_loaded) {
      set_serving("catena.v1.InferenceService", any_loaded);
    });
  }
  return inference::NewInferenceService(std::move(registry));
}

// The tools of tool and agent nodes: the built-ins, the tools of tools.files (a broken file stops start-up with
// its file:line:column problems; their SQLite databases with relative paths live under data_dir), plus the test tools with pipelines.test_models.
absl::StatusOr<std::shared_ptr<agents::ToolRegistry>> NewToolRegistry(const ServiceDependencies& dependencies) {
  auto registry = std::make_shared<agents::ToolRegistry>();
  CATENA_RETURN_IF_ERROR(agents::AddBuiltinTools(*registry));
  for (const std::string& file : dependencies.tool_files) {
    CATENA_ASSIGN_OR_RETURN(auto tools, agents::LoadToolFile(file, {.data_dir = dependencies.data_dir}));
    for (auto& tool : tools) CATENA_RETURN_IF_ERROR(registry->Add(std::move(tool)));
  }
  if (dependencies.pipelines.test_models) CATENA_RETURN_IF_ERROR(agents::AddTestTools(*registry));
  return registry;
}

// What the pipeline service's runs call: in-process engines, or gRPC clients for the services configured with an
// address (services.<name>.address) that this process does not run. A remote service is never opened here
// (no RocksDB, no model loads).
struct PipelineEngines {
  std::shared_ptr<chains::ChatModel> models;
  std::shared_ptr<const inference::EmbedderSource> embedders;
  std::shared_ptr<const retrieval::CollectionSearcher> retrieval;
  std::shared_ptr<memory::ConversationMemory> memory;
};

// The built-in models (test models when on, `extractive`), the OpenAI-compatible remote ones (models.remote),
// then the inference service's: in process, or over gRPC when services.inference.address is set.
absl::StatusOr<std::shared_ptr<chains::ChatModel>> PipelineModels(const ServiceDependencies& dependencies) {
  const chains::PipelineServiceSettings& settings = dependencies.pipelines;
  CATENA_ASSIGN_OR_RETURN(auto remote_models, dependencies.components->RemoteChatModels());
  if (dependencies.remote.inference.has_value()) {
    std::vector<std::shared_ptr<chains::ChatModel>> providers;
    providers.push_back(chains::NewServiceChatModels(nullptr, dependencies.executor, settings.test_models,
                                                     std::move(remote_models), settings.extractive_model));
    providers.push_back(std::make_shared<remote::GrpcChatModel>(*dependencies.remote.inference));
    return std::make_shared<chains::ChatModelRouter>(std::move(providers),
                                                     chains::DefaultModelAlias(settings.default_model));
  }
  CATENA_ASSIGN_OR_RETURN(auto models, dependencies.components->Models());
  return chains::NewServiceChatModels(std::move(models), dependencies.executor, settings.test_models,
                                      std::move(remote_models), settings.extractive_model, settings.default_model);
}

absl::StatusOr<PipelineEngines> NewPipelineEngines(const ServiceDependencies& dependencies) {
  const RemoteServices& remote = dependencies.remote;
  ServerComponents& components = *dependencies.components;
  PipelineEngines engines;
  CATENA_ASSIGN_OR_RETURN(engines.models, PipelineModels(dependencies));
  if (remote.embedding.has_value()) {
    engines.embedders = std::make_shared<remote::GrpcEmbedders>(*remote.embedding);
  } else {
    CATENA_ASSIGN_OR_RETURN(engines.embedders, components.Embedders());
  }
  if (remote.retrieval.has_value()) {
    engines.retrieval = std::make_shared<remote::GrpcRetrieval>(*remote.retrieval);
  } else {
    CATENA_ASSIGN_OR_RETURN(engines.retrieval, components.Retrieval());
  }
  if (remote.memory.has_value()) {
    engines.memory = std::make_shared<remote::GrpcMemory>(*remote.memory);
  } else {
    CATENA_ASSIGN_OR_RETURN(engines.memory, components.Memory());
  }
  return engines;
}

// The pipeline service over the engines of NewPipelineEngines: models (llm nodes), embedders, retrieval, and
// memory (memory nodes and run checkpoints), plus the test models and test tools when pipelines.test_models is
// on. Pipeline files may use every node type of agents::AllNodeTypes().
absl::StatusOr<std::unique_ptr<grpc::Service>> CreatePipelineService(const ServiceDependencies& dependencies) {
  CATENA_ASSIGN_OR_RETURN(PipelineEngines engines, NewPipelineEngines(dependencies));
  CATENA_ASSIGN_OR_RETURN(auto tools, NewToolRegistry(dependencies));
  return chains::CreatePipelineService(
      dependencies.pipelines,
      {.executor = dependencies.executor,
       .data_dir = dependencies.data_dir,
       .models = std::move(engines.models),
       .embedders = std::move(engines.embedders),
       .retrieval = std::move(engines.retrieval),
       .memory = std::move(engines.memory),
       .tools = std::move(tools),
       .node_types = &agents::AllNodeTypes(),
       .deliver_outputs = [](const std::string& tenant, const std::string& run_id, const tmpl::Value& outputs) {
         return agents::RunVaults::Global().RestoreOutputs(tenant, run_id, outputs);
       }});
}

}  // namespace

const std::vector<ServiceDescriptor>& ServiceCatalog() {
  static const std::vector<ServiceDescriptor> catalog = {
      {"inference", "catena.v1.InferenceService", &CreateInferenceService},
      {"embedding", "catena.v1.EmbeddingService", &CreateEmbeddingService},
      {"retrieval", "catena.v1.RetrievalService", &CreateRetrievalService},
      {"memory", "catena.v1.MemoryService", &CreateMemoryService},
      {"pipeline", "catena.v1.PipelineService", &CreatePipelineService},
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
