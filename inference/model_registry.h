// ModelRegistry: the GGUF models this process may serve (from configuration), which of them are loaded, and
// for each loaded one its Model, serving Engine and chat template. InferenceService answers from it. Loading
// estimates memory first and refuses models that would not fit. Thread-safe; a model unloaded while requests
// run stays alive until they finish (they hold a shared_ptr).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/chat_template.h"
#include "inference/engine.h"
#include "inference/tool_call_grammar.h"
#include "inference/json_schema_grammar.h"
#include "inference/model.h"

namespace catena::inference {

// A loaded model ready to serve.
struct ServedModel {
  std::string name;
  std::shared_ptr<const Model> model;
  std::unique_ptr<Engine> engine;               // decoders only
  std::optional<ChatTemplate> chat_template;    // decoders only
  std::shared_ptr<const GrammarVocabulary> grammar_vocabulary;  // decoders only: for JSON-schema outputs
  // Decoders only: the call format of the chat template and the compiled grammars of "auto" tool calls (the
  // cache reads model's tokenizer, which it must not outlive).
  ToolCallFormat tool_call_format = ToolCallFormat::kNone;
  std::shared_ptr<ToolGrammarCache> tool_grammars;
};

// What List() tells about a configured model. Everything but `backend` is known before loading: it comes from
// the GGUF header (empty or 0 when the file cannot be read).
struct ModelSummary {
  std::string name;
  std::string path;
  bool loaded = false;
  std::string architecture;
  int64_t context_length = 0;
  std::string backend;  // when loaded
  int64_t parameter_count = 0;
  std::string quantization;     // dominant weight type, e.g. "q8_0"
  int64_t estimated_bytes = 0;  // what loading takes: the file's size plus the engine's KV cache
};

class ModelRegistry {
 public:
  // INVALID_ARGUMENT for duplicate or invalid names.
  // With `metrics`, each loaded model's engine exports its metrics there (labelled by model name).
  static absl::StatusOr<std::unique_ptr<ModelRegistry>> Create(std::vector<ModelConfig> models,
                                                               MetricsRegistry* metrics = nullptr);

  // The loaded model `name`: NOT_FOUND when not configured, FAILED_PRECONDITION when not loaded.
  absl::StatusOr<std::shared_ptr<ServedModel>> Get(const std::string& name) const;
  // Loads `name` (no-op when loaded). RESOURCE_EXHAUSTED when the estimate exceeds available memory.
  absl::StatusOr<std::shared_ptr<ServedModel>> Load(const std::string& name);
  // Unloads `name`; NOT_FOUND when not configured.
  absl::Status Unload(const std::string& name);
  std::vector<ModelSummary> List() const;
  bool AnyLoaded() const;
  // Calls `listener` with AnyLoaded() now and after every load and unload (health: NOT_SERVING until a model
  // is loaded). The listener must be cheap and must not call back into the registry.
  void SetAvailabilityListener(std::function<void(bool any_loaded)> listener);

 private:
  void NotifyAvailability();

  ModelRegistry(std::vector<ModelConfig> models, MetricsRegistry* metrics)
      : configs_(std::move(models)), metrics_(metrics) {}
  const ModelConfig* Config(const std::string& name) const;
  // What the GGUF header of `config.path` tells (architecture, context, parameters, weight type, estimated
  // bytes; name, path, loaded and backend left empty), read once per file size and modification time. Nullopt
  // when the file cannot be read; empty fields when it is no GGUF file.
  std::optional<ModelSummary> DescribeFromHeader(const ModelConfig& config) const;

  std::vector<ModelConfig> configs_;
  MetricsRegistry* metrics_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<ServedModel>> loaded_;
  std::mutex load_mutex_;  // one load at a time
  std::mutex listener_mutex_;  // serializes notifications, so listeners see changes in order
  std::function<void(bool)> listener_;
  struct HeaderSummary {
    int64_t file_bytes = 0;
    std::filesystem::file_time_type modified;
    ModelSummary summary;  // header fields only
  };
  mutable std::mutex header_mutex_;
  mutable std::map<std::string, HeaderSummary> headers_;  // by model name
};

}  // namespace catena::inference
