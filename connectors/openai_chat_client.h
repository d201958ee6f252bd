// OpenAiChatClient: POST {base_url}/chat/completions against any OpenAI-compatible server (OpenAI, vLLM, llama.cpp
// server, Ollama, Catena's gateway): messages with tool calls, tools, tool_choice, response_format, sampling
// options; non-streaming and streaming (SSE chunks, [DONE], tool-call deltas merged by index, usage). Retries and
// the circuit breaker cover each request until the stream has delivered text. chains/remote_chat_model.h adapts it
// to chains::ChatModel. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "connectors/openai_common.h"

namespace catena::connectors {

struct OpenAiToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text as the model produced it
};

struct OpenAiMessage {
  std::string role;  // "system", "user", "assistant", "tool"
  std::string content;
  std::vector<OpenAiToolCall> tool_calls;  // assistant messages that called tools
  std::string tool_call_id;                // tool messages: the call answered
};

struct OpenAiTool {
  std::string name;
  std::string description;
  std::string parameters_json;  // JSON Schema of the arguments; "" = {"type":"object"}
};

enum class OpenAiResponseFormat { kText, kJsonObject, kJsonSchema };

struct OpenAiChatRequest {
  std::string model;
  std::vector<OpenAiMessage> messages;
  std::vector<OpenAiTool> tools;
  std::string tool_choice;  // "" = server default; "auto", "none", "required", or a tool name to force
  OpenAiResponseFormat response_format = OpenAiResponseFormat::kText;
  std::string json_schema;                   // kJsonSchema: the schema (JSON text)
  std::string json_schema_name = "response";
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int> max_tokens;
  std::optional<int64_t> seed;
  std::vector<std::string> stop;
  std::optional<double> frequency_penalty;
  std::optional<double> presence_penalty;
  std::vector<std::pair<int32_t, double>> logit_bias;  // sent as {"<token id>": bias}
  // Sampler extensions of vLLM and llama.cpp's server (OpenAI's API refuses them): set them only for such servers.
  std::optional<int> top_k;
  std::optional<double> min_p;
  std::optional<double> repetition_penalty;
  absl::Time deadline = absl::InfiniteFuture();
  const std::atomic<bool>* cancel = nullptr;  // optional: true -> CANCELLED
};

struct OpenAiUsage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t total_tokens = 0;
};

struct OpenAiChatResponse {
  std::string id;
  std::string model;
  std::string content;
  std::vector<OpenAiToolCall> tool_calls;
  std::string finish_reason;  // "stop", "length", "tool_calls", "content_filter", ...
  OpenAiUsage usage;
};

// The request body for `request` (stream adds stream_options.include_usage). INVALID_ARGUMENT when a tool's
// parameters or the json_schema is not valid JSON, naming the tool or field.
absl::StatusOr<std::string> BuildChatRequestJson(const OpenAiChatRequest& request, bool stream);
// Parses a non-streaming chat completion body. INTERNAL for malformed JSON or a body without choices.
absl::StatusOr<OpenAiChatResponse> ParseChatResponseJson(std::string_view body);

// Folds the SSE chunks of one streamed completion into a response. Not thread-safe.
class ChatStreamAccumulator {
 public:
  // `on_delta` receives each content delta; returning false makes Feed return CANCELLED.
  explicit ChatStreamAccumulator(std::function<bool(std::string_view)> on_delta) : on_delta_(std::move(on_delta)) {}
  // Applies one SSE `data:` payload: "[DONE]", a chunk, or an error object (-> the server's message).
  absl::Status Feed(std::string_view data);
  // After the body ended: OK with the response when [DONE] was seen, else UNAVAILABLE (truncated stream).
  absl::StatusOr<OpenAiChatResponse> Finish(bool partial_event);
  // True once a content or tool-call delta reached the caller (the request may no longer be retried).
  bool delivered() const { return delivered_; }

 private:
  std::function<bool(std::string_view)> on_delta_;
  OpenAiChatResponse response_;
  std::map<int, OpenAiToolCall> tool_calls_;  // merged by the deltas' index
  bool done_ = false;
  bool delivered_ = false;
};

class OpenAiChatClient {
 public:
  // Resolves the API key and validates options (see OpenAiTransport::Create).
  static absl::StatusOr<std::unique_ptr<OpenAiChatClient>> Create(OpenAiClientOptions options);
  explicit OpenAiChatClient(std::shared_ptr<OpenAiTransport> transport) : transport_(std::move(transport)) {}

  // One non-streaming completion.
  absl::StatusOr<OpenAiChatResponse> Complete(const OpenAiChatRequest& request);
  // A streaming completion: on_delta gets content pieces as they arrive (false cancels -> CANCELLED); the result
  // has the whole content, tool calls, finish_reason and usage.
  absl::StatusOr<OpenAiChatResponse> Stream(const OpenAiChatRequest& request,
                                            const std::function<bool(std::string_view)>& on_delta);

  OpenAiTransport& transport() { return *transport_; }

 private:
  std::shared_ptr<OpenAiTransport> transport_;
};

}  // namespace catena::connectors
