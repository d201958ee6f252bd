// ChatTemplate turns a conversation (plus optional tool definitions) into the prompt text a model was trained
// on, by rendering the Hugging Face chat template stored in its GGUF file (`tokenizer.chat_template`) with the
// common template engine, or a built-in format picked from the vocabulary when the file has none. Used by the
// inference Chat RPC and by LanguageModel implementations. Immutable after creation; Render is thread-safe.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/template/template.h"
#include "inference/gguf.h"
#include "inference/language_model.h"

namespace catena::inference {

// A tool call made by an assistant message (mirrors catena.v1.ToolCall).
struct ChatToolCall {
  std::string id;
  std::string name;
  std::string arguments_json;  // A JSON object as text; "" means {}.
};

// One chat message (mirrors catena.v1.ChatMessage, with the role as its lower-case name).
struct ChatMessage {
  std::string role;  // "system", "user", "assistant" or "tool" (templates may accept others, e.g. "ipython").
  std::string content;
  std::string name;                     // Optional participant or tool name; "" = absent.
  std::vector<ChatToolCall> tool_calls;  // Calls made by an assistant message.
  std::string tool_call_id;             // For tool messages: the id of the call answered; "" = absent.
};

// Messages with role and content only, from LanguageModel turns.
std::vector<ChatMessage> ToChatMessages(std::span<const ChatTurn> turns);

// A tool the model may call (mirrors catena.v1.ToolSpec).
struct ToolDefinition {
  std::string name;
  std::string description;
  std::string parameters_json_schema;  // A JSON Schema object as text; "" means {"type": "object"}.
};

// OpenAI tool definitions ([{"type": "function", "function": {name, description, parameters}}]);
// INVALID_ARGUMENT naming the tool when a schema is not a JSON object.
absl::StatusOr<nlohmann::ordered_json> ToolsToJson(std::span<const ToolDefinition> tools);
// Parses a JSON array of OpenAI tool definitions; INVALID_ARGUMENT when it is not an array of objects.
absl::StatusOr<nlohmann::ordered_json> ParseToolsJson(std::string_view text);

// Per-render settings.
struct ChatTemplateOptions {
  bool add_generation_prompt = true;  // End with the header of the assistant's turn.
  // null = no tools (templates see `tools` as none), else an array of OpenAI tool definitions.
  nlohmann::ordered_json tools = nullptr;
  // For templates that never read `tools`: write the tools, calls and results into the messages (see Render).
  // false renders exactly what transformers' apply_chat_template does (tools and calls dropped).
  bool tools_in_text = true;
  // More template variables (an object), applied last so they override the standard ones.
  nlohmann::ordered_json extra_variables = nlohmann::ordered_json::object();
  // Clock of `strftime_now` and `date_string` (local time); unset = now.
  std::optional<std::chrono::system_clock::time_point> now;
};

// Prompt formats used when a model file carries no chat template.
enum class BuiltinChatFormat {
  kChatMl,  // <|im_start|>role\n...<|im_end|> (Qwen2, many fine-tunes); the general fallback.
  kLlama3,  // <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>
  kLlama2,  // <s>[INST] <<SYS>>...<</SYS>> ... [/INST] answer </s> (Llama-2-chat, Mistral-instruct)
};

// A compiled chat template with its special-token texts.
class ChatTemplate {
 public:
  // The model's template (`tokenizer.chat_template`) or, when absent, the built-in format its vocabulary
  // suggests; bos/eos texts come from tokenizer.ggml.tokens. INVALID_ARGUMENT for a malformed template or
  // metadata (wrong key types, token ids out of range).
  static absl::StatusOr<ChatTemplate> FromGguf(const GgufMetadata& metadata);
  // Compiles `source`; INVALID_ARGUMENT "chat_template:line:column: ..." on syntax errors.
  static absl::StatusOr<ChatTemplate> FromSource(std::string source, std::string bos_token, std::string eos_token);
  // A built-in format.
  static absl::StatusOr<ChatTemplate> FromBuiltin(BuiltinChatFormat format, std::string bos_token,
                                                  std::string eos_token);
  // The built-in format a vocabulary calls for: Llama-3 header tokens, `[INST]`, else ChatML.
  static BuiltinChatFormat GuessFormat(std::span<const std::string> tokens);
  // Jinja source of a built-in format.
  static std::string_view BuiltinSource(BuiltinChatFormat format);

  // The prompt for `messages`. INVALID_ARGUMENT for bad input (tool-call arguments that are not a JSON object,
  // tools that are not an array) and for template errors, with the template's message (e.g. from
  // raise_exception("Conversation roles must alternate ...")); RESOURCE_EXHAUSTED when limits are hit.
  // A template that never reads `tools` still gets them, as text: the tools are described in the system turn
  // with the Hermes call markup (<tool_call>{"name": ..., "arguments": ...}</tool_call>), an assistant's calls
  // are written in that markup and tool results become user turns of <tool_response> blocks.
  absl::StatusOr<std::string> Render(std::span<const ChatMessage> messages,
                                     const ChatTemplateOptions& options = {}) const;

  const std::string& source() const { return source_; }
  const std::string& bos_token() const { return bos_token_; }
  const std::string& eos_token() const { return eos_token_; }
  // The built-in format in use, or nullopt for a template from the model file or FromSource.
  std::optional<BuiltinChatFormat> builtin_format() const { return builtin_format_; }
  // Whether the template reads the `tools` variable (else Render writes the tools into the messages).
  bool supports_tools() const { return supports_tools_; }

 private:
  ChatTemplate() = default;
  // Render without the rewriting for templates that do not read `tools`.
  absl::StatusOr<std::string> RenderMessages(std::span<const ChatMessage> messages,
                                             const ChatTemplateOptions& options) const;

  std::string source_;
  std::string bos_token_;
  std::string eos_token_;
  std::optional<BuiltinChatFormat> builtin_format_;
  bool supports_tools_ = false;
  tmpl::Template compiled_;
};

}  // namespace catena::inference
