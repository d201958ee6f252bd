#include "chains/remote_chat_model.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/executor.h"
#include "common/status.h"

namespace catena::chains {

struct RemoteChatModel::Call {
  ChatRequest request;
  Entry entry;
  std::function<void(std::string_view)> on_delta;
  std::function<void(absl::StatusOr<ChatResult>)> on_done;
  std::atomic<bool> cancel{false};
};

// Calls not yet finished, so that destruction can cancel them.
struct RemoteChatModel::LiveCalls {
  std::mutex mu;
  absl::flat_hash_set<Call*> calls;
};

namespace {

class RemoteCancel final : public ChatCancel {
 public:
  explicit RemoteCancel(std::shared_ptr<RemoteChatModel::Call> call) : call_(std::move(call)) {}
  void Cancel() override { call_->cancel = true; }

 private:
  std::shared_ptr<RemoteChatModel::Call> call_;
};

connectors::OpenAiMessage ToOpenAiMessage(const ChatMessage& in) {
  connectors::OpenAiMessage out{.role = in.role, .content = in.content, .tool_call_id = in.tool_call_id};
  for (const ChatToolCall& call : in.tool_calls) out.tool_calls.push_back({call.id, call.name, call.arguments_json});
  return out;
}

}  // namespace

connectors::OpenAiChatRequest ToOpenAiRequest(const ChatRequest& request, const std::string& upstream_model) {
  connectors::OpenAiChatRequest out;
  out.model = upstream_model;
  if (request.raw_prompt) {
    if (!request.messages.empty()) out.messages.push_back({.role = "user", .content = request.messages[0].content});
  } else {
    for (const ChatMessage& message : request.messages) out.messages.push_back(ToOpenAiMessage(message));
  }
  for (const ChatTool& tool : request.tools) {
    out.tools.push_back({tool.name, tool.description, tool.parameters_json_schema});
  }
  if (!request.json_schema.empty()) {
    out.response_format = connectors::OpenAiResponseFormat::kJsonSchema;
    out.json_schema = request.json_schema;
  }
  out.temperature = request.temperature;
  out.top_p = request.top_p;
  if (request.max_tokens > 0) out.max_tokens = request.max_tokens;
  out.seed = request.seed;
  out.stop = request.stop;
  // Only what differs from "off": an OpenAI server refuses the extensions (top_k, min_p, repetition_penalty).
  if (request.frequency_penalty != 0) out.frequency_penalty = request.frequency_penalty;
  if (request.presence_penalty != 0) out.presence_penalty = request.presence_penalty;
  out.logit_bias = request.logit_bias;
  if (request.top_k > 0) out.top_k = request.top_k;
  if (request.min_p > 0) out.min_p = request.min_p;
  if (request.repetition_penalty != 1) out.repetition_penalty = request.repetition_penalty;
  out.deadline = request.deadline;
  return out;
}

ChatResult FromOpenAiResponse(connectors::OpenAiChatResponse response) {
  ChatResult result;
  result.text = std::move(response.content);
  for (connectors::OpenAiToolCall& call : response.tool_calls) {
    result.tool_calls.push_back({std::move(call.id), std::move(call.name), std::move(call.arguments)});
  }
  result.finish_reason = response.finish_reason.empty() ? "stop" : std::move(response.finish_reason);
  if (!result.tool_calls.empty()) result.finish_reason = "tool_calls";
  result.usage.prompt_tokens = response.usage.prompt_tokens;
  result.usage.completion_tokens = response.usage.completion_tokens;
  return result;
}

absl::StatusOr<std::shared_ptr<RemoteChatModel>> RemoteChatModel::Create(std::vector<RemoteChatModelSpec> specs,
                                                                         RemoteChatModelOptions options) {
  std::map<std::string, Entry, std::less<>> models;
  auto http = connectors::HttpClient::Create();  // one keep-alive pool for all remote models
  for (RemoteChatModelSpec& spec : specs) {
    if (spec.name.empty()) return absl::InvalidArgumentError("remote chat model: name is empty");
    if (models.count(spec.name) > 0) {
      return absl::InvalidArgumentError(absl::StrCat("remote chat model '", spec.name, "' is configured twice"));
    }
    if (spec.client.http == nullptr) spec.client.http = http;
    auto client = connectors::OpenAiChatClient::Create(std::move(spec.client));
    if (!client.ok()) return Annotate(client.status(), absl::StrCat("remote chat model '", spec.name, "'"));
    Entry entry{spec.upstream_model.empty() ? spec.name : spec.upstream_model, spec.stream, std::move(*client)};
    models.emplace(spec.name, std::move(entry));
  }
  return std::shared_ptr<RemoteChatModel>(new RemoteChatModel(std::move(models), std::max(1, options.threads)));
}

RemoteChatModel::RemoteChatModel(std::map<std::string, Entry, std::less<>> models, int threads)
    : models_(std::move(models)),
      pool_(std::make_unique<Executor>(ExecutorOptions{.threads = threads, .name = "remote-llm"})),
      live_(std::make_shared<LiveCalls>()) {}

RemoteChatModel::~RemoteChatModel() {
  {
    std::lock_guard lock(live_->mu);
    for (Call* call : live_->calls) call->cancel = true;
  }
  pool_->Shutdown();  // queued calls start, see their cancel flag and finish with CANCELLED
}

bool RemoteChatModel::HasModel(std::string_view model) const { return models_.count(model) > 0; }

std::vector<std::string> RemoteChatModel::ModelNames() const {
  std::vector<std::string> names;
  for (const auto& [name, entry] : models_) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

std::unique_ptr<ChatCancel> RemoteChatModel::Chat(ChatRequest request,
                                                  std::function<void(std::string_view delta)> on_delta,
                                                  std::function<void(absl::StatusOr<ChatResult>)> on_done) {
  auto it = models_.find(request.model);
  if (it == models_.end()) {
    on_done(absl::NotFoundError(absl::StrCat("model '", request.model, "' is not a configured remote model")));
    return nullptr;
  }
  auto call = std::make_shared<Call>();
  call->request = std::move(request);
  call->entry = it->second;
  call->on_delta = std::move(on_delta);
  call->on_done = std::move(on_done);
  {
    std::lock_guard lock(live_->mu);
    live_->calls.insert(call.get());
  }
  if (!pool_->Post([this, call] { Run(call); })) {
    {
      std::lock_guard lock(live_->mu);
      live_->calls.erase(call.get());
    }
    call->on_done(absl::UnavailableError("remote chat models are shutting down"));
    return nullptr;
  }
  return std::make_unique<RemoteCancel>(call);
}

void RemoteChatModel::Run(const std::shared_ptr<Call>& call) {
  connectors::OpenAiChatRequest request = ToOpenAiRequest(call->request, call->entry.upstream_model);
  request.cancel = &call->cancel;
  absl::StatusOr<connectors::OpenAiChatResponse> response;
  if (call->entry.stream) {
    response = call->entry.client->Stream(request, [&](std::string_view delta) {
      if (call->on_delta) call->on_delta(delta);
      return !call->cancel.load();
    });
  } else {
    response = call->entry.client->Complete(request);
    if (response.ok() && !response->content.empty() && call->on_delta) call->on_delta(response->content);
  }
  {
    std::lock_guard lock(live_->mu);
    live_->calls.erase(call.get());
  }
  if (!response.ok()) {
    if (call->cancel.load()) return call->on_done(absl::CancelledError("the remote model call was cancelled"));
    return call->on_done(Annotate(response.status(), absl::StrCat("model '", call->request.model, "'")));
  }
  call->on_done(FromOpenAiResponse(*std::move(response)));
}

}  // namespace catena::chains
