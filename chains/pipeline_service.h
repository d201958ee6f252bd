// PipelineService: the catena.v1.PipelineService handlers (gRPC callback API) and what catenad needs to create
// them. Handlers read the tenant from x-catena-tenant, validate the request, and call StoredPipelines (validate,
// store, resolve), the Runner (Run, RunStream, Resume; the call's deadline becomes the run's deadline and a
// client that goes away cancels the run) and the PipelineStore (run traces). Thread-safe.
#pragma once

#include <grpcpp/impl/service_type.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "chains/checkpoint_store.h"
#include "common/template/value.h"

namespace catena {
class Executor;
}
namespace catena::inference {
class EmbedderSource;
}
namespace catena::retrieval {
class CollectionSearcher;
}
namespace catena::memory {
class ConversationMemory;
}

namespace catena::guardrails {
class AuditLog;
}

namespace catena::chains {

class ChatModel;
class NodeRegistry;
class Runner;
class ToolSet;
class StoredPipelines;

// The pipelines.* settings of catenad.
struct PipelineServiceSettings {
  // Directory of pipeline files (*.yaml, *.yml, *.json) loaded into tenant "default" at start and reloaded
  // when they change; empty = none.
  std::string dir;
  absl::Duration reload_interval = absl::Seconds(2);
  int max_concurrent_runs = 64;
  int max_queued_runs = 256;
  // Serve the deterministic test models ("test", "test-echo", "test-json") to llm nodes.
  bool test_models = false;
  // Serve the extractive answer model "extractive" (chains/extractive_chat_model.h) to llm nodes.
  bool extractive_model = true;
  // The model that `model: default` in pipeline files means unless a model named "default" is served.
  std::string default_model = "extractive";
  // Run traces kept per tenant.
  int64_t max_traces_per_tenant = 10000;
  bool sync_writes = false;
  // How run checkpoints are written (checkpoint_store.h): before each step goes on, or behind it in order.
  CheckpointDurability checkpoint_durability = CheckpointDurability::kAsync;
};

// Applied to the pipeline outputs a caller receives (Run's response, the stream's final event), never to traces
// or the audit log: catenad passes agents' PII restoration (guard.pii_restore).
using OutputFilter = std::function<tmpl::Value(const std::string& tenant, const std::string& run_id,
                                               const tmpl::Value& outputs)>;

// Optional behaviour of the handlers.
struct PipelineServiceHooks {
  OutputFilter deliver_outputs;                   // null: outputs as the run produced them
  std::shared_ptr<guardrails::AuditLog> audit;   // null: no audit records
};

// What catenad shares with the pipeline service; any engine may be null (nodes needing it then fail with
// FAILED_PRECONDITION). Shared pointers keep the engines alive as long as the service.
struct PipelineServiceDependencies {
  Executor* executor = nullptr;  // required; outlives the service
  std::string data_dir;          // the store lives at <data_dir>/pipelines
  std::shared_ptr<ChatModel> models;
  std::shared_ptr<const inference::EmbedderSource> embedders;
  std::shared_ptr<const retrieval::CollectionSearcher> retrieval;
  std::shared_ptr<memory::ConversationMemory> memory;  // also holds run checkpoints (Resume needs it)
  std::shared_ptr<const ToolSet> tools;         // what tool and agent nodes call (chains/tool.h)
  // The node types pipeline files may use; nullptr = NodeRegistry::BuiltIn(). catenad passes
  // agents::AllNodeTypes(). Not owned; outlives the service.
  const NodeRegistry* node_types = nullptr;
  OutputFilter deliver_outputs;  // see OutputFilter
  // Append a hash-chained record of every run (at its end and at interrupts) to <data_dir>/audit.
  bool audit = true;
};

// Opens the store, loads pipelines.dir, starts the runner and returns the handlers, which own all of it.
// Errors: the store cannot open, or a setting is out of range.
absl::StatusOr<std::unique_ptr<grpc::Service>> CreatePipelineService(const PipelineServiceSettings& settings,
                                                                     PipelineServiceDependencies dependencies);

// The handlers over `pipelines` and `runner` (not owned). `checkpoint_runs`: runs store checkpoints (the runner
// must have a checkpoint store; Resume needs them). `owner`, when given, is what keeps pipelines and runner
// alive: the service releases it first when destroyed (so that runs still finishing can reach the handlers);
// without it both must outlive the service.
std::unique_ptr<grpc::Service> NewPipelineService(StoredPipelines* pipelines, Runner* runner, bool checkpoint_runs,
                                                  std::shared_ptr<void> owner = nullptr,
                                                  PipelineServiceHooks hooks = {});

}  // namespace catena::chains
