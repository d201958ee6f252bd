#include "server/openai_chat_writer.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"

namespace catena::server {
namespace {

using Json = nlohmann::json;

std::string Dump(const Json& json) { return json.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string FinishReason(const std::string& reason) {
  if (reason == "length" || reason == "tool_calls" || reason == "content_filter") return reason;
  return "stop";
}

Json UsageJson(const chains::TokenUsage& usage) {
  return {{"prompt_tokens", usage.prompt_tokens},
          {"completion_tokens", usage.completion_tokens},
          {"total_tokens", usage.total()},
          {"prompt_tokens_details", {{"cached_tokens", usage.cached_prompt_tokens}}}};
}

Json ToolCallsJson(const std::vector<chains::ChatToolCall>& calls, bool with_index) {
  Json list = Json::array();
  for (size_t i = 0; i < calls.size(); ++i) {
    Json call = {{"id", calls[i].id},
                 {"type", "function"},
                 {"function", {{"name", calls[i].name}, {"arguments", calls[i].arguments_json}}}};
    if (with_index) call["index"] = i;
    list.push_back(std::move(call));
  }
  return list;
}

std::string Event(const std::string& json) { return absl::StrCat("data: ", json, "\n\n"); }

Json ByteList(const std::string& bytes) {
  Json list = Json::array();
  for (unsigned char byte : bytes) list.push_back(byte);
  return list;
}

// A chat choice's logprobs: {content: [{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}]}.
Json ChatLogprobsJson(const std::vector<chains::ChatTokenLogprob>& tokens) {
  auto entry = [](const chains::ChatTokenLogprob& token) {
    return Json{{"token", token.bytes}, {"logprob", token.logprob}, {"bytes", ByteList(token.bytes)}};
  };
  Json content = Json::array();
  for (const chains::ChatTokenLogprob& token : tokens) {
    Json item = entry(token);
    item["top_logprobs"] = Json::array();
    for (const chains::ChatTokenLogprob& alternative : token.top) item["top_logprobs"].push_back(entry(alternative));
    content.push_back(std::move(item));
  }
  return {{"content", std::move(content)}, {"refusal", nullptr}};
}

// A text completion choice's logprobs: parallel lists of tokens, their logprobs, {token: logprob} alternatives
// and each token's byte offset in the completion's text.
Json TextLogprobsJson(const std::vector<chains::ChatTokenLogprob>& tokens) {
  Json out = {{"tokens", Json::array()}, {"token_logprobs", Json::array()}, {"top_logprobs", Json::array()},
              {"text_offset", Json::array()}};
  size_t offset = 0;
  for (const chains::ChatTokenLogprob& token : tokens) {
    out["tokens"].push_back(token.bytes);
    out["token_logprobs"].push_back(token.logprob);
    Json top = Json::object();
    for (const chains::ChatTokenLogprob& alternative : token.top) {
      if (!top.contains(alternative.bytes)) top[alternative.bytes] = alternative.logprob;
    }
    out["top_logprobs"].push_back(std::move(top));
    out["text_offset"].push_back(offset);
    offset += token.bytes.size();
  }
  return out;
}

}  // namespace

std::string NewCompletionId(std::string_view prefix) {
  static thread_local std::mt19937_64 random(std::random_device{}());
  return absl::StrCat(std::string(prefix), "-", absl::Hex(random(), absl::kZeroPad16),
                      absl::Hex(random() & 0xffffffff, absl::kZeroPad8));
}

ChatCompletionWriter::ChatCompletionWriter(std::shared_ptr<HttpResponder> responder, std::string id,
                                           std::string model, bool stream, bool include_usage, CompletionShape shape,
                                           int choices)
    : responder_(std::move(responder)),
      id_(std::move(id)),
      model_(std::move(model)),
      stream_(stream),
      include_usage_(include_usage),
      shape_(shape),
      created_(absl::ToUnixSeconds(absl::Now())),
      content_(static_cast<size_t>(choices)),
      answers_(static_cast<size_t>(choices)) {}

std::string ChatCompletionWriter::Chunk(int index, std::string_view text, const std::string& finish_reason,
                                        const std::string& delta_json, const nlohmann::json* logprobs) const {
  Json choice = {{"index", index}};
  if (shape_ == CompletionShape::kText) {
    choice["text"] = std::string(text);
  } else {
    choice["delta"] = delta_json.empty() ? Json{{"content", std::string(text)}} : Json::parse(delta_json);
  }
  choice["logprobs"] = logprobs != nullptr ? *logprobs : Json(nullptr);
  choice["finish_reason"] = finish_reason.empty() ? Json(nullptr) : Json(finish_reason);
  Json chunk = Envelope(/*chunk=*/true);
  chunk["choices"] = Json::array({std::move(choice)});
  if (include_usage_) chunk["usage"] = nullptr;
  return Event(Dump(chunk));
}

nlohmann::json ChatCompletionWriter::LogprobsJson(const ChatAnswer& answer) const {
  if (!answer.logprobs.has_value()) return nullptr;
  return shape_ == CompletionShape::kText ? TextLogprobsJson(*answer.logprobs) : ChatLogprobsJson(*answer.logprobs);
}

nlohmann::json ChatCompletionWriter::Envelope(bool chunk) const {
  const char* object = shape_ == CompletionShape::kText ? "text_completion"
                       : chunk                          ? "chat.completion.chunk"
                                                        : "chat.completion";
  return {{"id", id_}, {"object", object}, {"created", created_}, {"model", model_}, {"system_fingerprint", nullptr}};
}

void ChatCompletionWriter::OpenStreamLocked() {
  if (opened_) return;
  opened_ = true;
  responder_->StartStream(200, "text/event-stream", {{"X-Request-Id", id_}});
  if (shape_ != CompletionShape::kChat) return;
  for (int index = 0; index < static_cast<int>(answers_.size()); ++index) {
    responder_->Write(Chunk(index, "", "", R"({"role":"assistant","content":""})"));
  }
}

void ChatCompletionWriter::Content(std::string_view delta, int index) {
  std::lock_guard lock(mutex_);
  if (done_ || delta.empty() || answers_.at(static_cast<size_t>(index)).has_value()) return;
  if (!stream_) {
    content_[static_cast<size_t>(index)].append(delta);
    return;
  }
  OpenStreamLocked();
  responder_->Write(Chunk(index, delta, ""));
}

nlohmann::json ChatCompletionWriter::WholeChoice(int index, const ChatAnswer& answer) const {
  const std::string& content = content_[static_cast<size_t>(index)];
  Json choice = {{"index", index}};
  if (shape_ == CompletionShape::kText) {
    choice["text"] = content;
  } else {
    Json message = {{"role", "assistant"},
                    {"content", content.empty() && !answer.tool_calls.empty() ? Json(nullptr) : Json(content)},
                    {"refusal", nullptr}};
    if (!answer.tool_calls.empty()) message["tool_calls"] = ToolCallsJson(answer.tool_calls, false);
    choice["message"] = std::move(message);
  }
  choice["logprobs"] = LogprobsJson(answer);
  choice["finish_reason"] = FinishReason(answer.finish_reason);
  return choice;
}

void ChatCompletionWriter::Complete(ChatAnswer answer, int index) {
  std::lock_guard lock(mutex_);
  std::optional<ChatAnswer>& slot = answers_.at(static_cast<size_t>(index));
  if (done_ || slot.has_value()) return;
  usage_.prompt_tokens = std::max(usage_.prompt_tokens, answer.usage.prompt_tokens);
  usage_.cached_prompt_tokens = std::max(usage_.cached_prompt_tokens, answer.usage.cached_prompt_tokens);
  usage_.completion_tokens += answer.usage.completion_tokens;
  if (!stream_) {
    content_[static_cast<size_t>(index)] += answer.content;
    slot = std::move(answer);
    if (!AllCompleteLocked()) return;
    done_ = true;
    Json body = Envelope(/*chunk=*/false);
    body["choices"] = Json::array();
    for (int i = 0; i < static_cast<int>(answers_.size()); ++i) body["choices"].push_back(WholeChoice(i, *answers_[i]));
    body["usage"] = UsageJson(usage_);
    responder_->Send({.content_type = "application/json", .body = Dump(body), .headers = {{"X-Request-Id", id_}}});
    return;
  }
  OpenStreamLocked();
  if (!answer.content.empty()) responder_->Write(Chunk(index, answer.content, ""));
  if (!answer.tool_calls.empty()) {
    responder_->Write(Chunk(index, "", "", Dump(Json{{"tool_calls", ToolCallsJson(answer.tool_calls, true)}})));
  }
  const Json logprobs = LogprobsJson(answer);
  responder_->Write(
      Chunk(index, "", FinishReason(answer.finish_reason), shape_ == CompletionShape::kChat ? "{}" : "", &logprobs));
  slot = std::move(answer);
  if (!AllCompleteLocked()) return;
  done_ = true;
  if (include_usage_) {
    Json usage = Envelope(/*chunk=*/true);
    usage["choices"] = Json::array();
    usage["usage"] = UsageJson(usage_);
    responder_->Write(Event(Dump(usage)));
  }
  responder_->Write("data: [DONE]\n\n");
  responder_->Finish();
}

bool ChatCompletionWriter::AllCompleteLocked() const {
  return std::all_of(answers_.begin(), answers_.end(), [](const auto& answer) { return answer.has_value(); });
}

bool ChatCompletionWriter::ended() {
  std::lock_guard lock(mutex_);
  return done_;
}

void ChatCompletionWriter::Fail(const OpenAiError& error) {
  std::lock_guard lock(mutex_);
  if (done_) return;
  done_ = true;
  if (!opened_) {
    responder_->Send(ErrorResponse(error));
    return;
  }
  responder_->Write(Event(ErrorJson(error)));
  responder_->Write("data: [DONE]\n\n");
  responder_->Finish();
}

}  // namespace catena::server
