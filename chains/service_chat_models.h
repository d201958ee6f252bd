// The chat models catenad's pipelines call: the in-process engine's models (the shared ModelRegistry, also
// behind InferenceService), the OpenAI-compatible remote models (models.remote), the extractive answer model
// "extractive" when pipelines.extractive_model is on (the default) and, when pipelines.test_models is on, the
// deterministic test models, routed by model name (ChatModelRouter), with the alias "default" for
// pipelines.default_model. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "chains/chat_model.h"

namespace catena {
class Executor;
}
namespace catena::inference {
class ModelRegistry;
}

namespace catena::chains {

// Test models first (when enabled), then the extractive model (when enabled), then the remote (models.remote)
// ones, then the engine's models; `executor` times the test models' token stream. `remote` may be null.
// The model name "default" stands for `default_model` unless a provider serves a model named "default"
// (so `inference.models: [default=model.gguf]` switches every pipeline that says `model: default`).
std::shared_ptr<ChatModel> NewServiceChatModels(std::shared_ptr<inference::ModelRegistry> registry,
                                                Executor* executor, bool test_models,
                                                std::shared_ptr<ChatModel> remote = nullptr,
                                                bool extractive_model = true, std::string default_model = "");

inline constexpr std::string_view kDefaultModelAlias = "default";

// The router aliases for `default_model`: {"default" -> default_model}, or none when it is empty or "default".
std::map<std::string, std::string, std::less<>> DefaultModelAlias(std::string default_model);

}  // namespace catena::chains
