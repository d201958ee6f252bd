// ChatModelRouter: one ChatModel over several providers (the deterministic test models, the in-process engine,
// later remote connectors): each request goes to the first provider that serves its model name, and a name no
// provider serves goes to the last provider, which reports NOT_FOUND. Used by catenad's pipeline service.
// Thread-safe (providers are).
#pragma once

#include <memory>
#include <vector>

#include "chains/chat_model.h"

namespace catena::chains {

class ChatModelRouter final : public ChatModel {
 public:
  // Null providers are left out.
  explicit ChatModelRouter(std::vector<std::shared_ptr<ChatModel>> providers);

  std::unique_ptr<ChatCancel> Chat(ChatRequest request, std::function<void(std::string_view delta)> on_delta,
                                   std::function<void(absl::StatusOr<ChatResult>)> on_done) override;
  bool HasModel(std::string_view model) const override;

 private:
  std::vector<std::shared_ptr<ChatModel>> providers_;
};

}  // namespace catena::chains
