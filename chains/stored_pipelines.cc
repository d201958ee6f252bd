#include "chains/stored_pipelines.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace catena::chains {

StoredPipelines::StoredPipelines(PipelineStore* store, const ChatModel* models, const NodeRegistry* node_types,
                                 size_t cache_capacity)
    : store_(store),
      models_(models),
      node_types_(node_types),
      cache_capacity_(cache_capacity == 0 ? 1 : cache_capacity) {}

std::shared_ptr<const CompiledPipeline> StoredPipelines::Cached(const std::string& version) const {
  std::lock_guard lock(mutex_);
  auto found = cache_.find(version);
  if (found == cache_.end()) return nullptr;
  lru_.splice(lru_.end(), lru_, found->second);
  return found->second->second;
}

void StoredPipelines::Remember(const std::string& version, std::shared_ptr<const CompiledPipeline> pipeline) const {
  std::lock_guard lock(mutex_);
  if (cache_.count(version) != 0) return;
  lru_.emplace_back(version, std::move(pipeline));
  cache_[version] = std::prev(lru_.end());
  while (lru_.size() > cache_capacity_) {
    cache_.erase(lru_.front().first);
    lru_.pop_front();
  }
}

absl::StatusOr<std::shared_ptr<const CompiledPipeline>> StoredPipelines::Compile(std::string_view source,
                                                                                 std::string_view file,
                                                                                 std::vector<Problem>* problems) const {
  if (source.size() > kMaxPipelineSourceBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("source: the pipeline file is ", source.size(), " bytes; at most ", kMaxPipelineSourceBytes));
  }
  if (source.empty()) return absl::InvalidArgumentError("source: the pipeline file is empty");
  // The cache key includes the file name: problems and positions name it.
  const std::string key = absl::StrCat(ContentHash(source), "/", std::string(file));
  if (auto cached = Cached(key); cached != nullptr) return cached;
  CompileOptions options;
  if (!file.empty()) options.file = std::string(file);
  options.models = models_;
  options.registry = node_types_;
  CATENA_ASSIGN_OR_RETURN(std::shared_ptr<const CompiledPipeline> compiled, CompilePipeline(source, options, problems));
  Remember(key, compiled);
  return compiled;
}

absl::StatusOr<v1::Pipeline> StoredPipelines::Put(std::string_view tenant, std::string_view source,
                                                  std::string_view file) {
  CATENA_ASSIGN_OR_RETURN(std::shared_ptr<const CompiledPipeline> compiled, Compile(source, file));
  v1::Pipeline pipeline;
  pipeline.set_name(compiled->spec.name);
  pipeline.set_version(compiled->version);
  pipeline.set_description(compiled->spec.description);
  pipeline.set_source(std::string(source));
  for (const InputSpec& input : compiled->spec.inputs) {
    v1::PipelineInput* out = pipeline.add_inputs();
    out->set_name(input.name);
    out->set_type(std::string(FieldTypeName(input.type)));
    out->set_required(input.required);
    out->set_description(input.description);
  }
  return store_->Put(tenant, std::move(pipeline));
}

absl::StatusOr<std::shared_ptr<const CompiledPipeline>> StoredPipelines::Resolve(std::string_view tenant,
                                                                                 std::string_view name,
                                                                                 std::string_view version) const {
  CATENA_ASSIGN_OR_RETURN(v1::Pipeline stored, store_->Get(tenant, name, version));
  auto compiled = Compile(stored.source(), absl::StrCat(stored.name(), ".yaml"));
  if (!compiled.ok()) {
    // A stored version compiled once; failing now means node types or models changed since.
    return Annotate(compiled.status(), absl::StrCat("pipeline '", stored.name(), "' version ", stored.version()));
  }
  return compiled;
}

}  // namespace catena::chains
