#include "chains/chat_model_router.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace catena::chains {

ChatModelRouter::ChatModelRouter(std::vector<std::shared_ptr<ChatModel>> providers) {
  for (std::shared_ptr<ChatModel>& provider : providers) {
    if (provider != nullptr) providers_.push_back(std::move(provider));
  }
}

std::unique_ptr<ChatCancel> ChatModelRouter::Chat(ChatRequest request,
                                                  std::function<void(std::string_view delta)> on_delta,
                                                  std::function<void(absl::StatusOr<ChatResult>)> on_done) {
  if (providers_.empty()) {
    on_done(absl::NotFoundError(absl::StrCat("model '", request.model, "': no chat models are configured")));
    return nullptr;
  }
  for (const std::shared_ptr<ChatModel>& provider : providers_) {
    if (provider->HasModel(request.model))
      return provider->Chat(std::move(request), std::move(on_delta), std::move(on_done));
  }
  return providers_.back()->Chat(std::move(request), std::move(on_delta), std::move(on_done));
}

bool ChatModelRouter::HasModel(std::string_view model) const {
  for (const std::shared_ptr<ChatModel>& provider : providers_) {
    if (provider->HasModel(model)) return true;
  }
  return false;
}

}  // namespace catena::chains
