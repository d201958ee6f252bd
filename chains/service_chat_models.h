// The chat models catenad's pipelines call: the in-process engine's models (the shared ModelRegistry, also
// behind InferenceService), the OpenAI-compatible remote models (models.remote), the extractive answer model
// "extractive" when pipelines.extractive_model is on (the default) and, when pipelines.test_models is on, the
// deterministic test models, routed by model name (ChatModelRouter). Thread-safe.
#pragma once

#include <memory>

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
std::shared_ptr<ChatModel> NewServiceChatModels(std::shared_ptr<inference::ModelRegistry> registry,
                                                Executor* executor, bool test_models,
                                                std::shared_ptr<ChatModel> remote = nullptr,
                                                bool extractive_model = true);

}  // namespace catena::chains
