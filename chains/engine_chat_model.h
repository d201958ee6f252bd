// EngineChatModel: the ChatModel of llm nodes served by the in-process inference engine: models of an
// inference::ModelRegistry, prompts built with each model's chat template (or raw for llm.generate), JSON
// schemas compiled into decoding grammars, text streamed as complete UTF-8 pieces with stop strings applied.
// Cancel cancels the engine request. Thread-safe. A call's ChatCancel handle keeps its served model alive
// (unloading it meanwhile is safe); do not drop the last handle inside on_delta/on_done (the engine's thread).
#pragma once

#include <memory>
#include <string>

#include "chains/chat_model.h"

namespace catena::inference {
class ModelRegistry;
}

namespace catena::chains {

class EngineChatModel final : public ChatModel {
 public:
  // Requests naming no model go to `default_model`; when that is empty, to the first loaded model.
  explicit EngineChatModel(std::shared_ptr<inference::ModelRegistry> registry, std::string default_model = "");

  // NOT_FOUND for unconfigured models, FAILED_PRECONDITION for unloaded or encoder models, INVALID_ARGUMENT for
  // prompts that do not fit the context, bad schemas or stop strings, all through on_done. The engine's
  // "length"/"stop" finish reasons are passed on; a stop string gives "stop"; cancellation gives CANCELLED and
  // a passed deadline DEADLINE_EXCEEDED. With tools offered, calls in the reply (tool_calls.h forms) become
  // tool_calls and the finish reason "tool_calls"; the streamed deltas still carry the raw text.
  std::unique_ptr<ChatCancel> Chat(ChatRequest request, std::function<void(std::string_view delta)> on_delta,
                                   std::function<void(absl::StatusOr<ChatResult>)> on_done) override;
  // Whether `model` is configured in the registry ("" = a default exists).
  bool HasModel(std::string_view model) const override;
  // Every generative model in the registry reports log-probabilities.
  bool ReportsLogprobs(std::string_view model) const override { return HasModel(model); }

 private:
  absl::StatusOr<std::string> ResolveName(std::string_view model) const;

  std::shared_ptr<inference::ModelRegistry> registry_;
  std::string default_model_;
};

}  // namespace catena::chains
