// ChatModelRouter: one ChatModel over several providers (the deterministic test models, the in-process engine,
// later remote connectors): each request goes to the first provider that serves its model name, and a name no
// provider serves goes to the last provider, which reports NOT_FOUND. An alias ("default" -> "extractive") stands
// for its target only while no provider serves the alias's own name. Used by catenad's pipeline service.
// Thread-safe (providers are).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "chains/chat_model.h"

namespace catena::chains {

class ChatModelRouter final : public ChatModel {
 public:
  // Null providers are left out; `aliases` maps a model name to the model it stands for.
  explicit ChatModelRouter(std::vector<std::shared_ptr<ChatModel>> providers,
                           std::map<std::string, std::string, std::less<>> aliases = {});

  std::unique_ptr<ChatCancel> Chat(ChatRequest request, std::function<void(std::string_view delta)> on_delta,
                                   std::function<void(absl::StatusOr<ChatResult>)> on_done) override;
  bool HasModel(std::string_view model) const override;
  bool ReportsLogprobs(std::string_view model) const override;

 private:
  // The provider serving `model` (through an alias when no provider serves the name itself), or null.
  ChatModel* Find(std::string_view model, std::string* target) const;

  std::vector<std::shared_ptr<ChatModel>> providers_;
  std::map<std::string, std::string, std::less<>> aliases_;
};

}  // namespace catena::chains
