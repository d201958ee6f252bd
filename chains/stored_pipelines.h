// StoredPipelines: the PipelineResolver of catenad. Validates pipeline files (CompilePipeline) before they are
// stored in a PipelineStore, and resolves stored or inline pipelines to compiled ones, caching compiled
// pipelines by version (content hash) so that a run does not re-parse its file. Used by PipelineService, the
// pipeline directory loader, subpipeline nodes and Resume. Thread-safe.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "catena/v1/pipeline.pb.h"
#include "chains/compiled_pipeline.h"
#include "chains/pipeline_store.h"
#include "chains/run_services.h"

namespace catena::chains {

// Largest pipeline file accepted.
inline constexpr size_t kMaxPipelineSourceBytes = size_t{1} << 20;

class StoredPipelines final : public PipelineResolver {
 public:
  // `store` (not owned) outlives this; `models` (may be null) makes llm nodes naming unknown models problems;
  // `node_types` (not owned; nullptr = NodeRegistry::BuiltIn()) are the types files may use.
  StoredPipelines(PipelineStore* store, const ChatModel* models, const NodeRegistry* node_types = nullptr,
                  size_t cache_capacity = 256);

  // Compiles `source` (cached by content hash). INVALID_ARGUMENT listing every problem; with `problems`, the
  // list itself too. `file` names the file in problems ("" = "pipeline.yaml").
  absl::StatusOr<std::shared_ptr<const CompiledPipeline>> Compile(std::string_view source, std::string_view file,
                                                                  std::vector<Problem>* problems = nullptr) const;
  // Validates and stores `source` under its metadata.name as the tenant's latest version.
  absl::StatusOr<v1::Pipeline> Put(std::string_view tenant, std::string_view source, std::string_view file);

  // PipelineResolver: the stored pipeline `name` at `version` ("" = latest), compiled.
  absl::StatusOr<std::shared_ptr<const CompiledPipeline>> Resolve(std::string_view tenant, std::string_view name,
                                                                  std::string_view version) const override;

  PipelineStore& store() const { return *store_; }

 private:
  std::shared_ptr<const CompiledPipeline> Cached(const std::string& version) const;
  void Remember(const std::string& version, std::shared_ptr<const CompiledPipeline> pipeline) const;

  PipelineStore* const store_;
  const ChatModel* const models_;
  const NodeRegistry* const node_types_;
  const size_t cache_capacity_;
  mutable std::mutex mutex_;
  // Least recently used first.
  mutable std::list<std::pair<std::string, std::shared_ptr<const CompiledPipeline>>> lru_;
  mutable std::unordered_map<std::string, decltype(lru_)::iterator> cache_;
};

}  // namespace catena::chains
