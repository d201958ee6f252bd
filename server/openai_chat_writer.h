// ChatCompletionWriter: writes one completion answer in the OpenAI shape, whole or streamed as Server-Sent Events,
// with one or more choices (a request's `n`). A chat answer is a "chat.completion" JSON, or
// "chat.completion.chunk" objects: the role in each choice's first delta, content deltas, tool_calls deltas, the
// finish_reason, an optional usage chunk, then "data: [DONE]". A text completion (POST /v1/completions) is a
// "text_completion" JSON whose choices have `text`, or "text_completion" chunks of text, the finish_reason, the
// optional usage chunk and [DONE]. Chunks of different choices interleave, each naming its `index`. Used by the
// model and pipeline chat paths of the gateway. Thread-safe; the answer ends when every choice is complete or at
// the first Fail (later calls are ignored).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chains/chat_model.h"
#include "nlohmann/json_fwd.hpp"
#include "server/http_server.h"
#include "server/openai_errors.h"

namespace catena::server {

struct ChatAnswer {
  std::string content;  // whole answers: the message content; streamed: text not yet sent as deltas
  std::vector<chains::ChatToolCall> tool_calls;
  std::string finish_reason = "stop";  // passed on when stop, length, tool_calls or content_filter; else "stop"
  chains::TokenUsage usage;
  // Set when the request asked for log-probabilities: one per generated token (whole and streamed answers alike
  // carry them in the choice that has the finish_reason).
  std::optional<std::vector<chains::ChatTokenLogprob>> logprobs;
};

enum class CompletionShape { kChat, kText };

class ChatCompletionWriter {
 public:
  ChatCompletionWriter(std::shared_ptr<HttpResponder> responder, std::string id, std::string model, bool stream,
                       bool include_usage, CompletionShape shape = CompletionShape::kChat, int choices = 1);

  // A piece of choice `index`'s content: streamed at once (the first piece opens the stream), or kept for the
  // whole answer.
  void Content(std::string_view delta, int index = 0);
  // Ends choice `index` (whole answers use answer.content after the pieces given to Content); the answer ends
  // with the last choice. Usage adds up the choices' completion tokens; the prompt counts once.
  void Complete(ChatAnswer answer, int index = 0);
  // Ends with an error: an HTTP error when nothing was sent yet, else an error event and [DONE].
  void Fail(const OpenAiError& error);

  HttpResponder& responder() { return *responder_; }
  // Whether the answer has ended (every choice complete, or failed).
  bool ended();

 private:
  // A streamed chunk of choice `index`'s `text` (chat: the delta object {"content": text}, or `delta_json` when
  // given), with `logprobs` (else null) in its choice.
  std::string Chunk(int index, std::string_view text, const std::string& finish_reason,
                    const std::string& delta_json = "", const nlohmann::json* logprobs = nullptr) const;
  // The whole answer's choice `index`.
  nlohmann::json WholeChoice(int index, const ChatAnswer& answer) const;
  // The choice's logprobs for `answer` in this writer's shape (null when not asked for).
  nlohmann::json LogprobsJson(const ChatAnswer& answer) const;
  // id, object, created, model and system_fingerprint of a whole answer or of a streamed chunk.
  nlohmann::json Envelope(bool chunk) const;
  void OpenStreamLocked();
  // Whether every choice is complete.
  bool AllCompleteLocked() const;

  const std::shared_ptr<HttpResponder> responder_;
  const std::string id_;
  const std::string model_;
  const bool stream_;
  const bool include_usage_;
  const CompletionShape shape_;
  const int64_t created_;
  std::mutex mutex_;
  bool opened_ = false;
  bool done_ = false;
  std::vector<std::string> content_;                // per choice, whole answers
  std::vector<std::optional<ChatAnswer>> answers_;  // per choice, once complete
  chains::TokenUsage usage_;
};

// A fresh id of the form "<prefix>-<24 random hex digits>".
std::string NewCompletionId(std::string_view prefix);

}  // namespace catena::server
