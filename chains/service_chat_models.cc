#include "chains/service_chat_models.h"

#include <utility>
#include <vector>

#include "chains/chat_model_router.h"

// The engine, extractive and test models are node-side providers (chains/engine_chat_model.h,
// chains/extractive_chat_model.h, chains/test_chat_model.h); this file is the one place that names their factories.
#include "chains/engine_chat_model.h"
#include "chains/extractive_chat_model.h"
#include "chains/test_chat_model.h"

namespace catena::chains {

std::shared_ptr<ChatModel> NewServiceChatModels(std::shared_ptr<inference::ModelRegistry> registry,
                                                Executor* executor, bool test_models,
                                                std::shared_ptr<ChatModel> remote, bool extractive_model,
                                                std::string default_model) {
  std::vector<std::shared_ptr<ChatModel>> providers;
  if (test_models) providers.push_back(std::make_shared<TestChatModel>(executor));
  if (extractive_model) providers.push_back(std::make_shared<ExtractiveChatModel>());
  if (remote != nullptr) providers.push_back(std::move(remote));
  if (registry != nullptr) providers.push_back(std::make_shared<EngineChatModel>(std::move(registry)));
  return std::make_shared<ChatModelRouter>(std::move(providers), DefaultModelAlias(std::move(default_model)));
}

std::map<std::string, std::string, std::less<>> DefaultModelAlias(std::string default_model) {
  std::map<std::string, std::string, std::less<>> aliases;
  if (!default_model.empty() && default_model != kDefaultModelAlias) {
    aliases.emplace(kDefaultModelAlias, std::move(default_model));
  }
  return aliases;
}

}  // namespace catena::chains
