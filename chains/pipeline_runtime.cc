// CreatePipelineService: catenad's pipeline runtime (store, resolver, checkpoints, runner, directory loader),
// owned by the handlers it returns.
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "chains/checkpoint_store.h"
#include "chains/pipeline_dir_loader.h"
#include "chains/pipeline_service.h"
#include "chains/pipeline_store.h"
#include "chains/runner.h"
#include "chains/stored_pipelines.h"
#include "common/request_context.h"
#include "common/status.h"
#include "guardrails/audit_log.h"
#include "spdlog/spdlog.h"

namespace catena::chains {
namespace {

// Declared in the order of construction; destroyed in reverse (the loader and the runner first).
struct PipelineRuntime {
  PipelineServiceDependencies dependencies;
  std::unique_ptr<PipelineStore> store;
  std::unique_ptr<StoredPipelines> pipelines;
  std::unique_ptr<CheckpointStore> checkpoints;
  std::unique_ptr<Runner> runner;
  std::unique_ptr<PipelineDirectoryLoader> loader;
};

absl::Status CheckSettings(const PipelineServiceSettings& settings, const PipelineServiceDependencies& dependencies) {
  if (dependencies.executor == nullptr) return absl::InvalidArgumentError("pipelines: an executor is required");
  if (settings.max_concurrent_runs < 1) return absl::InvalidArgumentError("pipelines.max_concurrent_runs must be >= 1");
  if (settings.max_queued_runs < 0) return absl::InvalidArgumentError("pipelines.max_queued_runs must be >= 0");
  if (settings.max_traces_per_tenant < 1) {
    return absl::InvalidArgumentError("pipelines.max_traces_per_tenant must be >= 1");
  }
  if (!settings.dir.empty() && !std::filesystem::is_directory(settings.dir)) {
    return absl::InvalidArgumentError(absl::StrCat("pipelines.dir: '", settings.dir, "' is not a directory"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<grpc::Service>> CreatePipelineService(const PipelineServiceSettings& settings,
                                                                     PipelineServiceDependencies dependencies) {
  CATENA_RETURN_IF_ERROR(CheckSettings(settings, dependencies));
  auto runtime = std::make_shared<PipelineRuntime>();
  runtime->dependencies = std::move(dependencies);
  const PipelineServiceDependencies& deps = runtime->dependencies;
  CATENA_ASSIGN_OR_RETURN(runtime->store,
                          PipelineStore::Open({.path = (std::filesystem::path(deps.data_dir) / "pipelines").string(),
                                               .sync_writes = settings.sync_writes,
                                               .max_runs_per_tenant = settings.max_traces_per_tenant}));
  runtime->pipelines = std::make_unique<StoredPipelines>(runtime->store.get(), deps.models.get(), deps.node_types);
  if (deps.memory != nullptr) {
    runtime->checkpoints = NewMemoryCheckpointStore(deps.memory.get());
    if (settings.checkpoint_durability == CheckpointDurability::kAsync) {
      runtime->checkpoints = NewAsyncCheckpointStore(std::move(runtime->checkpoints));
    }
  }
  RunnerOptions options{.services = {.executor = deps.executor,
                                     .models = deps.models.get(),
                                     .embedders = deps.embedders.get(),
                                     .retrieval = deps.retrieval.get(),
                                     .memory = deps.memory.get(),
                                     .pipelines = runtime->pipelines.get(),
                                     .tools = deps.tools.get()},
                        .max_concurrent_runs = settings.max_concurrent_runs,
                        .max_queued_runs = settings.max_queued_runs,
                        .checkpoints = runtime->checkpoints.get()};
  runtime->runner = std::make_unique<Runner>(std::move(options));
  if (!settings.dir.empty()) {
    runtime->loader = std::make_unique<PipelineDirectoryLoader>(runtime->pipelines.get(), settings.dir, kDefaultTenant);
    const PipelineDirectoryLoader::ScanResult loaded = runtime->loader->Scan();
    spdlog::info("pipelines.dir {}: {} pipelines loaded, {} files with problems", settings.dir, loaded.stored,
                 loaded.broken);
    runtime->loader->Start(settings.reload_interval);
  }
  StoredPipelines* pipelines = runtime->pipelines.get();
  Runner* runner = runtime->runner.get();
  const bool checkpoint_runs = runtime->checkpoints != nullptr;
  PipelineServiceHooks hooks{.deliver_outputs = deps.deliver_outputs};
  if (deps.audit) {
    CATENA_ASSIGN_OR_RETURN(hooks.audit,
                            guardrails::AuditLog::Open((std::filesystem::path(deps.data_dir) / "audit").string()));
  }
  return NewPipelineService(pipelines, runner, checkpoint_runs, std::move(runtime), std::move(hooks));
}

}  // namespace catena::chains
