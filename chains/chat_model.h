// ChatModel: what llm.chat / llm.generate nodes call. Asynchronous and streaming so that a run waiting for a
// model holds no thread: Chat returns at once and calls `on_delta` for each piece of text, then `on_done`
// exactly once (possibly inline, possibly on another thread). Implementations: the in-process inference
// engine (chains/engine_chat_model.cc), the deterministic test model (chains/test_chat_model.h) and, later,
// OpenAI-compatible connectors. Implementations are thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "chains/run_event.h"

namespace catena::chains {

struct ChatToolCall {
  std::string id;
  std::string name;
  std::string arguments_json;
};

struct ChatMessage {
  std::string role;  // "system", "user", "assistant", "tool"
  std::string content;
  std::vector<ChatToolCall> tool_calls;  // assistant messages that call tools
  std::string tool_call_id;              // tool messages
};

struct ChatTool {
  std::string name;
  std::string description;
  std::string parameters_json_schema;
};

struct ChatRequest {
  std::string model;  // name as configured; "" = the default model
  std::vector<ChatMessage> messages;
  bool raw_prompt = false;  // llm.generate: messages[0].content is the whole prompt, no chat template
  int max_tokens = 256;
  double temperature = 0;
  double top_p = 1;
  // The rest of the sampler, each "off" by default, with the meanings and ranges of inference::SamplingParams
  // (OpenAI's frequency/presence penalties and logit bias; vLLM's and llama.cpp's top_k, min_p and repetition
  // penalty). Models without a sampler (the test and extractive models) ignore them.
  int top_k = 0;
  double min_p = 0;
  double repetition_penalty = 1;
  double frequency_penalty = 0;
  double presence_penalty = 0;
  std::vector<std::pair<int32_t, double>> logit_bias;  // (token id, bias in [-100, 100])
  int64_t seed = 0;
  std::vector<std::string> stop;
  // >= 0: ChatResult::logprobs reports every generated token's log-probability with this many most likely
  // alternatives (at most 20). Only providers whose ReportsLogprobs says so honour it.
  int logprobs = -1;
  std::string json_schema;  // non-empty: the reply must be valid JSON for this schema
  std::vector<ChatTool> tools;
  absl::Time deadline = absl::InfiniteFuture();
};

// A generated token's log-probability (natural log) under the model's distribution; `bytes` is its text, which
// may be part of a UTF-8 character.
struct ChatTokenLogprob {
  std::string bytes;
  double logprob = 0;
  std::vector<ChatTokenLogprob> top;  // the most likely alternatives, most likely first (none nested deeper)
};

struct ChatResult {
  std::string text;
  std::vector<ChatToolCall> tool_calls;
  std::string finish_reason;  // "stop", "length", "tool_calls", ...
  TokenUsage usage;
  std::vector<ChatTokenLogprob> logprobs;  // with ChatRequest::logprobs >= 0: one per generated token
};

// Cancels an in-flight call; safe to call from any thread, any number of times, also after completion.
class ChatCancel {
 public:
  virtual ~ChatCancel() = default;
  virtual void Cancel() = 0;
};

class ChatModel {
 public:
  virtual ~ChatModel() = default;
  // Starts the call. NOT_FOUND for an unknown model is reported through on_done. The returned handle may be
  // null when the call finished inline.
  virtual std::unique_ptr<ChatCancel> Chat(ChatRequest request, std::function<void(std::string_view delta)> on_delta,
                                           std::function<void(absl::StatusOr<ChatResult>)> on_done) = 0;
  // Whether `model` names a model this provider serves (used by validation when models are known).
  virtual bool HasModel(std::string_view model) const = 0;
  // Whether calls to `model` honour ChatRequest::logprobs.
  virtual bool ReportsLogprobs(std::string_view model) const { return false; }
};

}  // namespace catena::chains
