#include "chains/chat_model_router.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace catena::chains {

ChatModelRouter::ChatModelRouter(std::vector<std::shared_ptr<ChatModel>> providers,
                                 std::map<std::string, std::string, std::less<>> aliases)
    : aliases_(std::move(aliases)) {
  for (std::shared_ptr<ChatModel>& provider : providers) {
    if (provider != nullptr) providers_.push_back(std::move(provider));
  }
}

ChatModel* ChatModelRouter::Find(std::string_view model, std::string* target) const {
  for (const std::shared_ptr<ChatModel>& provider : providers_) {
    if (provider->HasModel(model)) return provider.get();
  }
  auto alias = aliases_.find(model);
  if (alias == aliases_.end()) return nullptr;
  for (const std::shared_ptr<ChatModel>& provider : providers_) {
    if (provider->HasModel(alias->second)) {
      *target = alias->second;
      return provider.get();
    }
  }
  return nullptr;
}

std::unique_ptr<ChatCancel> ChatModelRouter::Chat(ChatRequest request,
                                                  std::function<void(std::string_view delta)> on_delta,
                                                  std::function<void(absl::StatusOr<ChatResult>)> on_done) {
  if (providers_.empty()) {
    on_done(absl::NotFoundError(absl::StrCat("model '", request.model, "': no chat models are configured")));
    return nullptr;
  }
  std::string target;
  ChatModel* provider = Find(request.model, &target);
  if (provider == nullptr) provider = providers_.back().get();
  if (!target.empty()) request.model = std::move(target);
  return provider->Chat(std::move(request), std::move(on_delta), std::move(on_done));
}

bool ChatModelRouter::HasModel(std::string_view model) const {
  std::string target;
  return Find(model, &target) != nullptr;
}

bool ChatModelRouter::ReportsLogprobs(std::string_view model) const {
  std::string target;
  const ChatModel* provider = Find(model, &target);
  return provider != nullptr && provider->ReportsLogprobs(target.empty() ? model : std::string_view(target));
}

}  // namespace catena::chains
