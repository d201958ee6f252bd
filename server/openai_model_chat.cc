#include "server/openai_model_chat.h"

#include <mutex>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/executor.h"
#include "common/status.h"
#include "inference/tool_choice.h"
#include "nlohmann/json.hpp"
#include "server/openai_chat_writer.h"
#include "server/openai_errors.h"

namespace catena::server {
namespace {

constexpr std::string_view kMarkers[] = {"<tool_call>", "[TOOL_CALLS]"};

// What a request asks of the model besides the messages.
struct Shaped {
  chains::ChatRequest request;
  bool tools_offered = false;
  bool forced_call = false;  // tool_choice required or a named tool: the reply is a call object
};

absl::StatusOr<Shaped> Shape(ChatCompletionRequest in) {
  std::vector<inference::ToolDefinition> definitions;
  for (const chains::ChatTool& tool : in.tools) {
    definitions.push_back({tool.name, tool.description, tool.parameters_json_schema});
  }
  auto choice = inference::ResolveToolChoice(in.tool_choice, definitions);
  if (!choice.ok()) return InvalidField(in.tools.empty() ? "tool_choice" : "tools", std::string(choice.status().message()));
  Shaped out;
  chains::ChatRequest& request = out.request;
  request.model = in.model;
  request.messages = std::move(in.messages);
  request.raw_prompt = in.raw_prompt;
  request.max_tokens = in.max_tokens.value_or(kDefaultMaxTokens);
  request.temperature = in.temperature.value_or(1.0);
  request.top_p = in.top_p.value_or(1.0);
  request.top_k = in.top_k.value_or(0);
  request.min_p = in.min_p.value_or(0.0);
  request.repetition_penalty = in.repetition_penalty.value_or(1.0);
  request.frequency_penalty = in.frequency_penalty.value_or(0.0);
  request.presence_penalty = in.presence_penalty.value_or(0.0);
  request.logit_bias = std::move(in.logit_bias);
  request.logprobs = in.logprobs;
  request.seed = in.seed ? *in.seed : static_cast<int64_t>(std::random_device{}() >> 1);
  request.stop = std::move(in.stop);
  request.json_schema = std::move(in.json_schema);
  if (choice->mode == inference::ToolChoice::Mode::kNone) return out;
  const std::vector<std::string> allowed = choice->names();
  for (chains::ChatTool& tool : in.tools) {
    if (std::find(allowed.begin(), allowed.end(), tool.name) != allowed.end()) request.tools.push_back(tool);
  }
  out.tools_offered = true;
  if (choice->mode == inference::ToolChoice::Mode::kAuto) return out;
  out.forced_call = true;
  auto schema = inference::ToolCallSchema(choice->tools);
  if (!schema.ok()) return InvalidField("tools", std::string(schema.status().message()));
  request.json_schema = *std::move(schema);
  return out;
}

// A forced call's reply {"name": ..., "arguments": {...}} as a tool call; none when it is not one.
std::vector<chains::ChatToolCall> CallFromJson(const std::string& text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object() || !json.contains("name") || !json["name"].is_string()) return {};
  nlohmann::json arguments = json.contains("arguments") ? json["arguments"] : nlohmann::json::object();
  return {{.id = "call_0", .name = json["name"].get<std::string>(),
           .arguments_json = arguments.is_string() ? arguments.get<std::string>() : arguments.dump()}};
}

// One model call in flight (choice `index` of the answer), shared by the model's callbacks and the client-gone
// callback.
class ModelCall : public std::enable_shared_from_this<ModelCall> {
 public:
  ModelCall(const Shaped& shaped, Executor* executor, std::shared_ptr<ChatCompletionWriter> writer, int index,
            bool stream)
      : model_(shaped.request.model),
        tools_offered_(shaped.tools_offered),
        forced_call_(shaped.forced_call),
        logprobs_(shaped.request.logprobs >= 0),
        stream_(stream),
        index_(index),
        executor_(executor),
        writer_(std::move(writer)) {}

  void Start(chains::ChatModel& models, chains::ChatRequest request) {
    auto self = shared_from_this();
    std::unique_ptr<chains::ChatCancel> handle = models.Chat(
        std::move(request), [self](std::string_view delta) { self->Delta(delta); },
        [self](absl::StatusOr<chains::ChatResult> result) { self->Done(std::move(result)); });
    bool cancel_now = false;
    {
      std::lock_guard lock(mutex_);
      if (!done_ && !cancelled_) handle_ = std::move(handle);
      cancel_now = cancelled_ && !done_;
    }
    if (cancel_now && handle != nullptr) handle->Cancel();
  }

  // Cancels the model call (the client went away); the handle is called outside the lock, as a model may
  // finish the call inline.
  void Cancel() {
    std::shared_ptr<chains::ChatCancel> handle;
    {
      std::lock_guard lock(mutex_);
      cancelled_ = true;
      handle = handle_;
    }
    if (handle != nullptr) handle->Cancel();
  }

 private:
  void Delta(std::string_view delta) {
    if (writer_->ended()) return Cancel();  // another choice failed: the answer is over
    std::lock_guard lock(mutex_);
    raw_.append(delta);
    if (!stream_ || forced_call_) return;
    const size_t showable = tools_offered_ ? ShowableToolText(raw_) : raw_.size();
    if (showable <= shown_) return;
    writer_->Content(std::string_view(raw_).substr(shown_, showable - shown_), index_);
    shown_ = showable;
  }

  void Done(absl::StatusOr<chains::ChatResult> result) {
    std::shared_ptr<chains::ChatCancel> handle;
    ChatAnswer answer;
    {
      std::lock_guard lock(mutex_);
      done_ = true;
      handle = std::move(handle_);
      if (result.ok()) answer = Answer(*result);
    }
    // The handle must not be released on the model's thread.
    if (handle != nullptr) executor_->Post([handle = std::move(handle)] {});
    if (!result.ok()) return writer_->Fail(ErrorFor(result.status()));
    writer_->Complete(std::move(answer), index_);
  }

  OpenAiError ErrorFor(const absl::Status& status) const {
    if (status.code() == absl::StatusCode::kNotFound) {
      return ModelNotFound(model_, std::string(status.message()));
    }
    return ErrorFromStatus(status);
  }

  ChatAnswer Answer(chains::ChatResult& result) {
    ChatAnswer answer{.tool_calls = std::move(result.tool_calls), .finish_reason = result.finish_reason,
                      .usage = result.usage};
    if (logprobs_) answer.logprobs = std::move(result.logprobs);
    if (forced_call_ && answer.tool_calls.empty()) answer.tool_calls = CallFromJson(result.text);
    if (!answer.tool_calls.empty()) answer.finish_reason = "tool_calls";
    if (!stream_) {
      answer.content = answer.tool_calls.empty() || !forced_call_ ? result.text : "";
    } else if (answer.tool_calls.empty()) {
      answer.content = raw_.substr(std::min(shown_, raw_.size()));
    } else if (!forced_call_ && absl::StartsWith(result.text, raw_.substr(0, shown_))) {
      answer.content = result.text.substr(shown_);
    }
    return answer;
  }

  const std::string model_;
  const bool tools_offered_;
  const bool forced_call_;
  const bool logprobs_;
  const bool stream_;
  const int index_;
  Executor* const executor_;
  const std::shared_ptr<ChatCompletionWriter> writer_;
  std::mutex mutex_;
  std::string raw_;
  size_t shown_ = 0;
  bool done_ = false;
  bool cancelled_ = false;
  std::shared_ptr<chains::ChatCancel> handle_;
};

}  // namespace

size_t ShowableToolText(std::string_view raw) {
  const size_t first = raw.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || raw[first] == '{') return 0;
  size_t cut = raw.size();
  bool found = false;
  for (std::string_view marker : kMarkers) {
    const size_t at = raw.find(marker);
    if (at != std::string_view::npos) {
      cut = std::min(cut, at);
      found = true;
    }
  }
  if (found) return cut;
  for (std::string_view marker : kMarkers) {
    for (size_t k = std::min(marker.size() - 1, raw.size()); k > 0; --k) {
      if (raw.substr(raw.size() - k) == marker.substr(0, k)) {
        cut = std::min(cut, raw.size() - k);
        break;
      }
    }
  }
  return cut;
}

void ChatWithModel(std::shared_ptr<chains::ChatModel> models, Executor* executor, ChatCompletionRequest request,
                   std::shared_ptr<HttpResponder> responder) {
  const bool stream = request.stream;
  const bool include_usage = request.include_usage;
  const int choices = request.n;
  if (request.logprobs >= 0 && models->HasModel(request.model) && !models->ReportsLogprobs(request.model)) {
    const std::string why =
        absl::StrCat("model '", request.model,
                     "' does not report log-probabilities (models of the inference engine do)");
    return responder->Send(ErrorResponse(ErrorFromStatus(InvalidField("logprobs", why))));
  }
  absl::StatusOr<Shaped> shaped = Shape(std::move(request));
  if (!shaped.ok()) return responder->Send(ErrorResponse(ErrorFromStatus(shaped.status())));
  const chains::ChatRequest& chat = shaped->request;
  auto writer = std::make_shared<ChatCompletionWriter>(
      responder, NewCompletionId(chat.raw_prompt ? "cmpl" : "chatcmpl"), chat.model, stream, include_usage,
      chat.raw_prompt ? CompletionShape::kText : CompletionShape::kChat, choices);
  std::vector<std::shared_ptr<ModelCall>> calls;
  for (int i = 0; i < choices; ++i) calls.push_back(std::make_shared<ModelCall>(*shaped, executor, writer, i, stream));
  responder->OnClientGone([weak = std::vector<std::weak_ptr<ModelCall>>(calls.begin(), calls.end())] {
    for (const std::weak_ptr<ModelCall>& entry : weak) {
      if (auto call = entry.lock()) call->Cancel();
    }
  });
  // Choice i samples with seed + i, so the choices differ and each is what a single request with that seed gives.
  for (int i = 0; i < choices; ++i) {
    chains::ChatRequest request_i = chat;
    request_i.seed = static_cast<int64_t>(static_cast<uint64_t>(chat.seed) + static_cast<uint64_t>(i));
    calls[i]->Start(*models, std::move(request_i));
  }
}

}  // namespace catena::server
