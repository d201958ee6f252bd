// ChatTemplate: compiles chat templates once and renders conversations with the variables Hugging Face
// transformers gives them (messages, tools, add_generation_prompt, bos_token, eos_token, raise_exception,
// strftime_now) plus date_string, which some Llama-3.1 templates read.
#include "inference/chat_template.h"

#include <algorithm>
#include <ctime>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace catena::inference {
namespace {

using OrderedJson = nlohmann::ordered_json;

constexpr char kChatTemplateKey[] = "tokenizer.chat_template";
constexpr size_t kMaxStrftimeFormat = 256;

// Parses JSON text, turning nlohmann's exception into INVALID_ARGUMENT naming `what`.
absl::StatusOr<OrderedJson> ParseJson(std::string_view text, const std::string& what) {
  try {
    return OrderedJson::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is not valid JSON: ", e.what()));
  }
}

// Parses a JSON object; "" is {}.
absl::StatusOr<OrderedJson> ParseObject(std::string_view text, const std::string& what) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return OrderedJson::object();
  CATENA_ASSIGN_OR_RETURN(OrderedJson value, ParseJson(text, what));
  if (!value.is_object()) return absl::InvalidArgumentError(absl::StrCat(what, " must be a JSON object"));
  return value;
}

// One message in the shape HF templates expect; optional fields are left out when empty, and tool calls
// become {id, type: "function", function: {name, arguments: <parsed object>}}.
absl::StatusOr<OrderedJson> MessageToJson(const ChatMessage& message, size_t index) {
  OrderedJson out = {{"role", message.role}, {"content", message.content}};
  if (!message.name.empty()) out["name"] = message.name;
  if (!message.tool_calls.empty()) {
    OrderedJson calls = OrderedJson::array();
    for (size_t i = 0; i < message.tool_calls.size(); ++i) {
      const ChatToolCall& call = message.tool_calls[i];
      CATENA_ASSIGN_OR_RETURN(
          OrderedJson arguments,
          ParseObject(call.arguments_json, absl::StrCat("messages[", index, "].tool_calls[", i, "].arguments")));
      calls.push_back({{"id", call.id},
                       {"type", "function"},
                       {"function", {{"name", call.name}, {"arguments", std::move(arguments)}}}});
    }
    out["tool_calls"] = std::move(calls);
  }
  if (!message.tool_call_id.empty()) out["tool_call_id"] = message.tool_call_id;
  return out;
}

// strftime of `when` in local time, as Python's datetime.now().strftime(format).
std::string FormatTime(std::chrono::system_clock::time_point when, const std::string& format) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm local{};
  localtime_r(&seconds, &local);
  std::string buffer(format.size() * 8 + 64, '\0');
  const size_t n = std::strftime(buffer.data(), buffer.size(), format.c_str(), &local);
  buffer.resize(n);
  return buffer;
}

// The strftime_now(format) global bound to one clock reading.
tmpl::Value StrftimeNow(std::chrono::system_clock::time_point now) {
  return tmpl::Value::Function("strftime_now", [now](const tmpl::CallArgs& args) -> absl::StatusOr<tmpl::Value> {
    if (args.positional.size() != 1 || !args.positional[0].is_string() || !args.keyword.empty()) {
      return absl::InvalidArgumentError("strftime_now() takes one string argument (a strftime format)");
    }
    const std::string& format = args.positional[0].string_value();
    if (format.size() > kMaxStrftimeFormat || format.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError("strftime_now(): format longer than 256 bytes or with a NUL byte");
    }
    return tmpl::Value(FormatTime(now, format));
  });
}

// The text of token `id_key` in `tokens`, "" when the id key is absent.
absl::StatusOr<std::string> SpecialToken(const GgufMetadata& metadata, std::span<const std::string> tokens,
                                         const char* id_key) {
  if (metadata.Find(id_key) == nullptr) return std::string();
  CATENA_ASSIGN_OR_RETURN(uint32_t id, metadata.GetUint32(id_key));
  if (id >= tokens.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(id_key, " = ", id, " is outside tokenizer.ggml.tokens (", tokens.size(), " tokens)"));
  }
  return tokens[id];
}

bool HasToolTurns(std::span<const ChatMessage> messages) {
  return std::any_of(messages.begin(), messages.end(),
                     [](const ChatMessage& m) { return m.role == "tool" || !m.tool_calls.empty(); });
}

// The system text that describes `tools` to a model whose template cannot, and asks for calls in the Hermes
// markup (the format ParseToolCalls and the "auto" call grammar read for such templates).
std::string ToolsPreamble(const OrderedJson& tools) {
  std::string text =
      "# Tools\n\nYou can call the functions below to help with the request. Each is described by a JSON object "
      "whose \"parameters\" is the JSON Schema of its arguments:\n<tools>\n";
  for (const OrderedJson& tool : tools) absl::StrAppend(&text, tool.dump(), "\n");
  absl::StrAppend(&text,
                  "</tools>\n\nTo call functions, answer with one block per call, each holding a JSON object with "
                  "the function's name and its arguments:\n<tool_call>\n{\"name\": \"<function name>\", "
                  "\"arguments\": {<arguments>}}\n</tool_call>");
  return text;
}

// The conversation as a template that never reads `tools` can render it: the tools described in a system turn
// (or, with `system_turn` false, at the start of the first user turn), an assistant's calls as <tool_call> blocks
// after its text, and tool results as a user turn of <tool_response> blocks (one turn for consecutive results).
absl::StatusOr<std::vector<ChatMessage>> ToolsInText(std::span<const ChatMessage> messages, const OrderedJson& tools,
                                                     bool system_turn) {
  std::vector<ChatMessage> out;
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& message = messages[i];
    if (message.role == "tool") {
      const std::string block = absl::StrCat("<tool_response>\n", message.content, "\n</tool_response>");
      if (i > 0 && messages[i - 1].role == "tool") {
        absl::StrAppend(&out.back().content, "\n", block);
      } else {
        out.push_back({.role = "user", .content = block});
      }
      continue;
    }
    ChatMessage copy{.role = message.role, .content = message.content, .name = message.name};
    for (size_t c = 0; c < message.tool_calls.size(); ++c) {
      const ChatToolCall& call = message.tool_calls[c];
      CATENA_ASSIGN_OR_RETURN(
          OrderedJson arguments,
          ParseObject(call.arguments_json, absl::StrCat("messages[", i, "].tool_calls[", c, "].arguments")));
      const OrderedJson object = {{"name", call.name}, {"arguments", std::move(arguments)}};
      absl::StrAppend(&copy.content, copy.content.empty() ? "" : "\n", "<tool_call>\n", object.dump(),
                      "\n</tool_call>");
    }
    out.push_back(std::move(copy));
  }
  if (!tools.is_array() || tools.empty()) return out;
  const std::string preamble = ToolsPreamble(tools);
  if (!out.empty() && out.front().role == "system") {
    absl::StrAppend(&out.front().content, "\n\n", preamble);
  } else if (system_turn) {
    out.insert(out.begin(), ChatMessage{.role = "system", .content = preamble});
  } else {
    auto user = std::find_if(out.begin(), out.end(), [](const ChatMessage& m) { return m.role == "user"; });
    if (user == out.end()) return absl::InvalidArgumentError("tools need a user message to describe them in");
    user->content = absl::StrCat(preamble, "\n\n", user->content);
  }
  return out;
}

}  // namespace

std::vector<ChatMessage> ToChatMessages(std::span<const ChatTurn> turns) {
  std::vector<ChatMessage> out;
  out.reserve(turns.size());
  for (const ChatTurn& turn : turns) out.push_back(ChatMessage{.role = turn.role, .content = turn.content});
  return out;
}

absl::StatusOr<nlohmann::ordered_json> ToolsToJson(std::span<const ToolDefinition> tools) {
  OrderedJson out = OrderedJson::array();
  for (const ToolDefinition& tool : tools) {
    OrderedJson parameters = {{"type", "object"}};
    if (!tool.parameters_json_schema.empty()) {
      CATENA_ASSIGN_OR_RETURN(parameters, ParseObject(tool.parameters_json_schema,
                                                      absl::StrCat("parameters of tool '", tool.name, "'")));
    }
    OrderedJson function = {{"name", tool.name}};
    if (!tool.description.empty()) function["description"] = tool.description;
    function["parameters"] = std::move(parameters);
    out.push_back({{"type", "function"}, {"function", std::move(function)}});
  }
  return out;
}

absl::StatusOr<nlohmann::ordered_json> ParseToolsJson(std::string_view text) {
  CATENA_ASSIGN_OR_RETURN(OrderedJson tools, ParseJson(text, "tools"));
  if (!tools.is_array()) return absl::InvalidArgumentError("tools must be a JSON array of tool definitions");
  for (size_t i = 0; i < tools.size(); ++i) {
    if (!tools[i].is_object()) return absl::InvalidArgumentError(absl::StrCat("tools[", i, "] must be a JSON object"));
  }
  return tools;
}

absl::StatusOr<ChatTemplate> ChatTemplate::FromSource(std::string source, std::string bos_token,
                                                      std::string eos_token) {
  CATENA_ASSIGN_OR_RETURN(tmpl::Template compiled, tmpl::Template::Parse(source, tmpl::ChatTemplateOptions()));
  ChatTemplate out;
  const std::vector<std::string> names = compiled.ReferencedVariables();
  out.supports_tools_ = std::find(names.begin(), names.end(), "tools") != names.end();
  out.source_ = std::move(source);
  out.bos_token_ = std::move(bos_token);
  out.eos_token_ = std::move(eos_token);
  out.compiled_ = std::move(compiled);
  return out;
}

absl::StatusOr<ChatTemplate> ChatTemplate::FromBuiltin(BuiltinChatFormat format, std::string bos_token,
                                                       std::string eos_token) {
  CATENA_ASSIGN_OR_RETURN(ChatTemplate out, FromSource(std::string(BuiltinSource(format)), std::move(bos_token),
                                                       std::move(eos_token)));
  out.builtin_format_ = format;
  return out;
}

absl::StatusOr<ChatTemplate> ChatTemplate::FromGguf(const GgufMetadata& metadata) {
  std::vector<std::string> tokens;
  if (metadata.Find("tokenizer.ggml.tokens") != nullptr) {
    CATENA_ASSIGN_OR_RETURN(tokens, metadata.GetStringArray("tokenizer.ggml.tokens"));
  }
  CATENA_ASSIGN_OR_RETURN(std::string bos, SpecialToken(metadata, tokens, "tokenizer.ggml.bos_token_id"));
  CATENA_ASSIGN_OR_RETURN(std::string eos, SpecialToken(metadata, tokens, "tokenizer.ggml.eos_token_id"));
  if (metadata.Find(kChatTemplateKey) == nullptr) {
    return FromBuiltin(GuessFormat(tokens), std::move(bos), std::move(eos));
  }
  CATENA_ASSIGN_OR_RETURN(std::string source, metadata.GetString(kChatTemplateKey));
  return FromSource(std::move(source), std::move(bos), std::move(eos));
}

absl::StatusOr<std::string> ChatTemplate::Render(std::span<const ChatMessage> messages,
                                                 const ChatTemplateOptions& options) const {
  if (!options.tools.is_null() && !options.tools.is_array()) {
    return absl::InvalidArgumentError("tools must be null or a JSON array of tool definitions");
  }
  const bool has_tools = options.tools.is_array() && !options.tools.empty();
  if (options.tools_in_text && !supports_tools_ && (has_tools || HasToolTurns(messages))) {
    // The template would drop the tools and the calls; they go into the text instead. A template that refuses
    // a system turn (e.g. raise_exception("System role not supported")) gets them in the first user turn.
    ChatTemplateOptions plain = options;
    plain.tools = nullptr;
    CATENA_ASSIGN_OR_RETURN(std::vector<ChatMessage> rewritten, ToolsInText(messages, options.tools, true));
    absl::StatusOr<std::string> rendered = RenderMessages(rewritten, plain);
    const bool added_system = has_tools && (messages.empty() || messages.front().role != "system");
    if (rendered.ok() || !added_system) return rendered;
    CATENA_ASSIGN_OR_RETURN(rewritten, ToolsInText(messages, options.tools, false));
    return RenderMessages(rewritten, plain);
  }
  return RenderMessages(messages, options);
}

absl::StatusOr<std::string> ChatTemplate::RenderMessages(std::span<const ChatMessage> messages,
                                                         const ChatTemplateOptions& options) const {
  if (!options.extra_variables.is_object()) return absl::InvalidArgumentError("extra_variables must be a JSON object");
  OrderedJson json_messages = OrderedJson::array();
  for (size_t i = 0; i < messages.size(); ++i) {
    CATENA_ASSIGN_OR_RETURN(OrderedJson message, MessageToJson(messages[i], i));
    json_messages.push_back(std::move(message));
  }
  const auto now = options.now.value_or(std::chrono::system_clock::now());
  OrderedJson context = {{"messages", std::move(json_messages)},
                         {"tools", options.tools},
                         {"add_generation_prompt", options.add_generation_prompt},
                         {"bos_token", bos_token_},
                         {"eos_token", eos_token_},
                         {"date_string", FormatTime(now, "%d %b %Y")}};
  for (const auto& [key, value] : options.extra_variables.items()) context[key] = value;
  tmpl::Value variables = tmpl::Value::FromJson(context);
  if (!options.extra_variables.contains("strftime_now")) variables.map().Set("strftime_now", StrftimeNow(now));
  return compiled_.Render(variables);
}

}  // namespace catena::inference
