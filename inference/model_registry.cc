#include "inference/model_registry.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/request_context.h"
#include "common/status.h"
#include "inference/models/architectures.h"

namespace catena::inference {
namespace {

// MemAvailable from /proc/meminfo, or 0 when unknown.
int64_t AvailableMemoryBytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  int64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

// Parameters and the weight type holding most bytes.
void Describe(const GgufFile& file, ModelSummary& summary) {
  std::map<std::string, uint64_t> bytes_by_type;
  for (const GgufTensor& tensor : file.tensors()) {
    summary.parameter_count += tensor.elements();
    bytes_by_type[std::string(TraitsOf(tensor.type).name)] += tensor.size_bytes;
  }
  uint64_t best = 0;
  for (const auto& [type, bytes] : bytes_by_type) {
    if (bytes > best) {
      best = bytes;
      summary.quantization = type;
    }
  }
}

// Moves a trailing ",backend=auto|cpu|cuda" of config.path into config.options.backend.
absl::Status SplitModelOptions(const std::string& item, ModelConfig& config) {
  constexpr std::string_view kBackend = ",backend=";
  const size_t at = config.path.rfind(kBackend);
  if (at == std::string::npos) return absl::OkStatus();
  const std::string backend = config.path.substr(at + kBackend.size());
  if (backend != "auto" && backend != "cpu" && backend != "cuda") {
    return absl::InvalidArgumentError(absl::StrCat("model entry '", item, "' names backend '", backend,
                                                   "'; expected auto, cpu or cuda"));
  }
  config.path.resize(at);
  if (config.path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("model entry '", item, "' must be name=path/to/model.gguf"));
  }
  config.options.backend = backend;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<ModelConfig>> ParseModelList(const std::vector<std::string>& items,
                                                        const ModelOptions& options, const EngineOptions& engine) {
  std::vector<ModelConfig> models;
  for (const std::string& item : items) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
      return absl::InvalidArgumentError(absl::StrCat("model entry '", item, "' must be name=path/to/model.gguf"));
    }
    ModelConfig config{item.substr(0, eq), item.substr(eq + 1), options, engine};
    CATENA_RETURN_IF_ERROR(SplitModelOptions(item, config));
    models.push_back(std::move(config));
  }
  return models;
}

absl::StatusOr<std::unique_ptr<ModelRegistry>> ModelRegistry::Create(std::vector<ModelConfig> models,
                                                                     MetricsRegistry* metrics) {
  std::map<std::string, int> seen;
  for (const ModelConfig& config : models) {
    if (!IsValidName(config.name, 128)) {
      return absl::InvalidArgumentError(absl::StrCat("model name '", config.name, "' is not a valid name"));
    }
    if (seen[config.name]++ > 0) {
      return absl::InvalidArgumentError(absl::StrCat("model name '", config.name, "' is configured twice"));
    }
  }
  return std::unique_ptr<ModelRegistry>(new ModelRegistry(std::move(models), metrics));
}

const ModelConfig* ModelRegistry::Config(const std::string& name) const {
  for (const ModelConfig& config : configs_) {
    if (config.name == name) return &config;
  }
  return nullptr;
}

absl::StatusOr<std::shared_ptr<ServedModel>> ModelRegistry::Get(const std::string& name) const {
  if (Config(name) == nullptr) {
    return absl::NotFoundError(absl::StrCat("model '", name, "' is not configured (see inference.models)"));
  }
  std::lock_guard lock(mutex_);
  for (const auto& served : loaded_) {
    if (served->name == name) return served;
  }
  return absl::FailedPreconditionError(absl::StrCat("model '", name, "' is not loaded; call LoadModel first"));
}

absl::StatusOr<std::shared_ptr<ServedModel>> ModelRegistry::Load(const std::string& name) {
  std::lock_guard load_lock(load_mutex_);
  auto existing = Get(name);
  if (existing.ok() || existing.status().code() == absl::StatusCode::kNotFound) return existing;
  const ModelConfig& config = *Config(name);
  const std::optional<ModelSummary> header = DescribeFromHeader(config);
  if (!header.has_value()) return absl::NotFoundError(absl::StrCat("model '", name, "': cannot read ", config.path));
  const int64_t needed = header->estimated_bytes;
  const int64_t available = AvailableMemoryBytes();
  if (available > 0 && needed > available) {
    return absl::ResourceExhaustedError(absl::StrCat("model '", name, "' needs about ", needed >> 20,
                                                     " MiB (weights and KV cache), only ", available >> 20,
                                                     " MiB are available"));
  }
  auto served = std::make_shared<ServedModel>();
  served->name = name;
  CATENA_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, Model::Load(config.path, config.options));
  served->model = std::move(model);
  if (served->model->spec().kind == TransformerKind::kDecoder) {
    CATENA_ASSIGN_OR_RETURN(served->engine, Engine::Create(served->model, config.engine, metrics_, name));
    auto chat = ChatTemplate::FromGguf(served->model->file().metadata());
    if (!chat.ok()) return Annotate(chat.status(), absl::StrCat("model '", name, "' chat template"));
    served->chat_template = *std::move(chat);
    served->grammar_vocabulary = BuildGrammarVocabulary(served->model->tokenizer());
    served->tool_call_format = ToolCallFormatOf(*served->chat_template);
    served->tool_grammars = std::make_shared<ToolGrammarCache>(served->grammar_vocabulary, served->model->tokenizer());
  }
  {
    std::lock_guard lock(mutex_);
    loaded_.push_back(served);
  }
  NotifyAvailability();
  return served;
}

absl::Status ModelRegistry::Unload(const std::string& name) {
  if (Config(name) == nullptr) return absl::NotFoundError(absl::StrCat("model '", name, "' is not configured"));
  {
    std::lock_guard lock(mutex_);
    std::erase_if(loaded_, [&](const auto& served) { return served->name == name; });
  }
  NotifyAvailability();
  return absl::OkStatus();
}

void ModelRegistry::SetAvailabilityListener(std::function<void(bool any_loaded)> listener) {
  {
    std::lock_guard lock(listener_mutex_);
    listener_ = std::move(listener);
  }
  NotifyAvailability();
}

void ModelRegistry::NotifyAvailability() {
  std::lock_guard lock(listener_mutex_);
  if (listener_) listener_(AnyLoaded());
}

bool ModelRegistry::AnyLoaded() const {
  std::lock_guard lock(mutex_);
  return !loaded_.empty();
}

std::optional<ModelSummary> ModelRegistry::DescribeFromHeader(const ModelConfig& config) const {
  std::error_code error;
  const auto file_bytes = static_cast<int64_t>(std::filesystem::file_size(config.path, error));
  if (error) return std::nullopt;
  const auto modified = std::filesystem::last_write_time(config.path, error);
  if (error) return std::nullopt;
  std::lock_guard lock(header_mutex_);
  HeaderSummary& cached = headers_[config.name];
  if (cached.file_bytes != file_bytes || cached.modified != modified) {
    cached = {.file_bytes = file_bytes, .modified = modified};
    ModelSummary& header = cached.summary;
    header.estimated_bytes = file_bytes + config.engine.kv_memory_bytes;
    if (auto file = GgufFile::Open(config.path); file.ok()) {
      Describe(**file, header);
      if (auto spec = models::BuildTransformerSpec(**file); spec.ok()) {
        header.architecture = spec->architecture;
        header.context_length = spec->context_length;
        // Only decoders get an engine, and with it the KV cache.
        if (spec->kind != TransformerKind::kDecoder) header.estimated_bytes = file_bytes;
      } else {
        header.architecture = (*file)->metadata().GetString("general.architecture").value_or("");
      }
    }
  }
  return cached.summary;
}

std::vector<ModelSummary> ModelRegistry::List() const {
  std::vector<ModelSummary> out;
  for (const ModelConfig& config : configs_) {
    ModelSummary summary = DescribeFromHeader(config).value_or(ModelSummary{});
    summary.name = config.name;
    summary.path = config.path;
    if (auto served = Get(config.name); served.ok()) {
      summary.loaded = true;
      summary.backend = std::string((*served)->model->backend_name());
    }
    out.push_back(std::move(summary));
  }
  return out;
}

}  // namespace catena::inference
