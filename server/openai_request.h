// Parsing and validation of the OpenAI gateway's request bodies (POST /v1/chat/completions, POST /v1/completions,
// POST /v1/embeddings) into typed requests. Every field is checked before any work starts; a bad one is an
// INVALID_ARGUMENT made with InvalidField naming it (e.g. "messages[1].content[0].type"). Fields the gateway does
// not act on but clients commonly send (user, metadata, store, ...) are type-checked and ignored. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "chains/chat_model.h"

namespace catena::server {

// A chat completion, or a text completion (POST /v1/completions): then `raw_prompt` is set and messages[0] holds
// the prompt, which reaches the model as is, without a chat template.
struct ChatCompletionRequest {
  std::string model;
  std::vector<chains::ChatMessage> messages;  // "developer" messages arrive as "system"
  bool raw_prompt = false;
  std::optional<double> temperature;           // [0, 2]
  std::optional<double> top_p;                 // [0, 1]
  std::optional<int> max_tokens;               // max_completion_tokens, else max_tokens; >= 1
  std::optional<double> frequency_penalty;     // [-2, 2]
  std::optional<double> presence_penalty;      // [-2, 2]
  std::vector<std::pair<int32_t, double>> logit_bias;  // token id -> [-100, 100] (the model checks the ids)
  // vLLM's extensions: top_k (-1 and 0 = off), min_p [0, 1], repetition_penalty (0, 2].
  std::optional<int> top_k;
  std::optional<double> min_p;
  std::optional<double> repetition_penalty;
  std::optional<int64_t> seed;
  std::vector<std::string> stop;  // at most 4
  int n = 1;                      // choices, 1-128
  // -1: none; else report each token's log-probability with this many alternatives (chat: logprobs: true and
  // top_logprobs 0-20; text completions: logprobs 0-5).
  int logprobs = -1;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  std::vector<chains::ChatTool> tools;
  std::string tool_choice;          // "" (unset), "none", "auto", "required" or a tool's name
  std::string response_format = "text";  // "text", "json_object" or "json_schema"
  std::string json_schema;          // the schema text for "json_schema"
};

struct EmbeddingsRequest {
  std::string model;
  std::vector<std::string> input;
  bool base64 = false;  // encoding_format "base64"
  std::optional<int> dimensions;
};

// Most inputs one embeddings request may carry.
inline constexpr size_t kMaxEmbeddingInputs = 2048;

// Parses a chat completion request body.
absl::StatusOr<ChatCompletionRequest> ParseChatCompletionRequest(std::string_view body);

// Tokens a text completion generates when the request gives no max_tokens (OpenAI's default for completions).
inline constexpr int kDefaultCompletionTokens = 16;

// Parses a text completion request body: one prompt (a string, or an array holding one string); echo, suffix
// and best_of > 1 are refused as unsupported, naming the field.
absl::StatusOr<ChatCompletionRequest> ParseCompletionRequest(std::string_view body);

// Parses an embeddings request body.
absl::StatusOr<EmbeddingsRequest> ParseEmbeddingsRequest(std::string_view body);

}  // namespace catena::server
