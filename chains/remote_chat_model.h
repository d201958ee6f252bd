// RemoteChatModel: the ChatModel of llm nodes served by OpenAI-compatible servers (OpenAI, vLLM, llama.cpp
// server, Ollama, another catenad's gateway) through connectors::OpenAiChatClient, one client per configured
// name. Calls run on a small dedicated thread pool (never on the caller's executor), stream by default, and are
// cancelled through ChatCancel (the HTTP request is aborted). Thread-safe; destroying it cancels calls in flight
// and joins its pool, so never drop the last reference inside on_delta/on_done (they run on that pool).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <map>
#include "absl/status/statusor.h"
#include "chains/chat_model.h"
#include "connectors/openai_chat_client.h"

namespace catena {
class Executor;
}

namespace catena::chains {

// One remote model as configured (models.remote).
struct RemoteChatModelSpec {
  std::string name;            // what pipelines write in `model:`
  std::string upstream_model;  // the model id sent to the server; "" = `name`
  bool stream = true;          // false: one non-streaming call, the whole text delivered as one delta
  connectors::OpenAiClientOptions client;
};

struct RemoteChatModelOptions {
  int threads = 4;  // concurrent remote calls; more wait in the pool's queue
};

class RemoteChatModel final : public ChatModel {
 public:
  // INVALID_ARGUMENT for an empty or repeated name, a bad base_url or an unresolvable api_key (naming the model).
  static absl::StatusOr<std::shared_ptr<RemoteChatModel>> Create(std::vector<RemoteChatModelSpec> specs,
                                                                 RemoteChatModelOptions options = {});
  ~RemoteChatModel() override;

  // Maps the request (messages with tool turns, tools, json_schema -> response_format json_schema, temperature,
  // top_p, seed, stop, max_tokens, deadline) to one chat completion. llm.generate's raw prompt is sent as one user
  // message. Server errors keep their codes (connectors/openai_common.h); cancellation gives CANCELLED.
  std::unique_ptr<ChatCancel> Chat(ChatRequest request, std::function<void(std::string_view delta)> on_delta,
                                   std::function<void(absl::StatusOr<ChatResult>)> on_done) override;
  // True for configured names only (never for "", which stays with the default provider).
  bool HasModel(std::string_view model) const override;
  // The configured names, sorted.
  std::vector<std::string> ModelNames() const;

  struct Call;  // one call in flight (remote_chat_model.cc)

 private:
  struct Entry {
    std::string upstream_model;
    bool stream = true;
    std::shared_ptr<connectors::OpenAiChatClient> client;
  };
  RemoteChatModel(std::map<std::string, Entry, std::less<>> models, int threads);
  void Run(const std::shared_ptr<Call>& call);

  std::map<std::string, Entry, std::less<>> models_;
  std::unique_ptr<Executor> pool_;
  struct LiveCalls;
  std::shared_ptr<LiveCalls> live_;
};

// The OpenAI chat request for `request` sent as `upstream_model` (exposed for tests).
connectors::OpenAiChatRequest ToOpenAiRequest(const ChatRequest& request, const std::string& upstream_model);
// The ChatResult of an OpenAI reply (exposed for tests).
ChatResult FromOpenAiResponse(connectors::OpenAiChatResponse response);

}  // namespace catena::chains
