#include "server/openai_request.h"

#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "nlohmann/json.hpp"
#include "server/openai_errors.h"

namespace catena::server {
namespace {

using Json = nlohmann::ordered_json;

const char* TypeName(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    default:
      return "a number";
  }
}

absl::Status WrongType(std::string_view param, std::string_view expected, const Json& got) {
  return InvalidField(param, absl::StrCat("'", std::string(param), "' must be ", std::string(expected), ", got ",
                                          TypeName(got)));
}

absl::StatusOr<Json> ParseBody(std::string_view body) {
  Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    try {
      json = Json::parse(body);
    } catch (const Json::parse_error& error) {
      return InvalidField("", absl::StrCat("the request body is not valid JSON: ", error.what()));
    }
  }
  if (!json.is_object()) return InvalidField("", "the request body must be a JSON object");
  return json;
}

// The member `key` of `object`, or nullptr when absent or null (OpenAI treats null as absent).
const Json* Member(const Json& object, std::string_view key) {
  auto it = object.find(std::string(key));
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

absl::StatusOr<std::string> RequiredString(const Json& object, std::string_view key, std::string_view param) {
  const Json* value = Member(object, key);
  if (value == nullptr) return InvalidField(param, absl::StrCat("'", std::string(param), "' is required"));
  if (!value->is_string()) return WrongType(param, "a string", *value);
  return value->get<std::string>();
}

absl::StatusOr<std::optional<double>> OptionalNumber(const Json& object, std::string_view key, double low,
                                                     double high) {
  const Json* value = Member(object, key);
  if (value == nullptr) return std::optional<double>();
  if (!value->is_number()) return WrongType(key, "a number", *value);
  const double number = value->get<double>();
  if (!std::isfinite(number) || number < low || number > high) {
    return InvalidField(key, absl::StrCat("'", std::string(key), "' must be between ", low, " and ", high, ", got ",
                                          number));
  }
  return std::optional<double>(number);
}

absl::StatusOr<std::optional<int64_t>> OptionalInteger(const Json& object, std::string_view key, int64_t low,
                                                       int64_t high) {
  const Json* value = Member(object, key);
  if (value == nullptr) return std::optional<int64_t>();
  if (!value->is_number_integer()) return WrongType(key, "an integer", *value);
  const int64_t number = value->is_number_unsigned() && value->get<uint64_t>() > INT64_MAX
                             ? INT64_MAX
                             : value->get<int64_t>();
  if (number < low || number > high) {
    return InvalidField(key, absl::StrCat("'", std::string(key), "' must be between ", low, " and ", high, ", got ",
                                          number));
  }
  return std::optional<int64_t>(number);
}

absl::StatusOr<bool> OptionalBool(const Json& object, std::string_view key) {
  const Json* value = Member(object, key);
  if (value == nullptr) return false;
  if (!value->is_boolean()) return WrongType(key, "a boolean", *value);
  return value->get<bool>();
}

// The request's `model`: a required, non-empty string.
absl::StatusOr<std::string> RequiredModel(const Json& body) {
  CATENA_ASSIGN_OR_RETURN(std::string model, RequiredString(body, "model", "model"));
  if (model.empty()) return InvalidField("model", "'model' must not be empty");
  return model;
}

// Message content: a string, or an array of {type: "text", text} parts joined; null only where `nullable`.
absl::StatusOr<std::string> MessageContent(const Json& message, const std::string& param, bool nullable) {
  const Json* content = Member(message, "content");
  if (content == nullptr) {
    if (nullable) return std::string();
    return InvalidField(param + ".content", absl::StrCat("'", param, ".content' is required"));
  }
  if (content->is_string()) return content->get<std::string>();
  if (!content->is_array()) return WrongType(param + ".content", "a string or an array of content parts", *content);
  std::string text;
  for (size_t i = 0; i < content->size(); ++i) {
    const Json& part = (*content)[i];
    const std::string part_param = absl::StrCat(param, ".content[", i, "]");
    if (!part.is_object()) return WrongType(part_param, "an object", part);
    CATENA_ASSIGN_OR_RETURN(std::string type, RequiredString(part, "type", part_param + ".type"));
    if (type != "text") {
      return InvalidField(part_param + ".type", absl::StrCat("content part type '", type,
                                                             "' is not supported; only 'text' parts are"));
    }
    CATENA_ASSIGN_OR_RETURN(std::string part_text, RequiredString(part, "text", part_param + ".text"));
    text += part_text;
  }
  return text;
}

absl::StatusOr<std::vector<chains::ChatToolCall>> AssistantToolCalls(const Json& message, const std::string& param) {
  std::vector<chains::ChatToolCall> calls;
  const Json* list = Member(message, "tool_calls");
  if (list == nullptr) return calls;
  if (!list->is_array()) return WrongType(param + ".tool_calls", "an array", *list);
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& call = (*list)[i];
    const std::string call_param = absl::StrCat(param, ".tool_calls[", i, "]");
    if (!call.is_object()) return WrongType(call_param, "an object", call);
    CATENA_ASSIGN_OR_RETURN(std::string id, RequiredString(call, "id", call_param + ".id"));
    const Json* function = Member(call, "function");
    if (function == nullptr || !function->is_object()) {
      return InvalidField(call_param + ".function", absl::StrCat("'", call_param, ".function' must be an object"));
    }
    CATENA_ASSIGN_OR_RETURN(std::string name, RequiredString(*function, "name", call_param + ".function.name"));
    CATENA_ASSIGN_OR_RETURN(std::string arguments,
                            RequiredString(*function, "arguments", call_param + ".function.arguments"));
    calls.push_back({.id = std::move(id), .name = std::move(name), .arguments_json = std::move(arguments)});
  }
  return calls;
}

absl::StatusOr<chains::ChatMessage> ParseMessage(const Json& message, size_t index) {
  const std::string param = absl::StrCat("messages[", index, "]");
  if (!message.is_object()) return WrongType(param, "an object", message);
  CATENA_ASSIGN_OR_RETURN(std::string role, RequiredString(message, "role", param + ".role"));
  if (role == "developer") role = "system";
  if (role != "system" && role != "user" && role != "assistant" && role != "tool") {
    return InvalidField(param + ".role", absl::StrCat("role '", role,
                                                      "' is not one of system, developer, user, assistant, tool"));
  }
  chains::ChatMessage out{.role = role};
  CATENA_ASSIGN_OR_RETURN(out.tool_calls, AssistantToolCalls(message, param));
  if (!out.tool_calls.empty() && role != "assistant") {
    return InvalidField(param + ".tool_calls", "only assistant messages may carry tool_calls");
  }
  CATENA_ASSIGN_OR_RETURN(out.content, MessageContent(message, param, role == "assistant"));
  if (role == "tool") {
    CATENA_ASSIGN_OR_RETURN(out.tool_call_id, RequiredString(message, "tool_call_id", param + ".tool_call_id"));
  }
  return out;
}

absl::Status ParseMessages(const Json& body, ChatCompletionRequest& request) {
  const Json* messages = Member(body, "messages");
  if (messages == nullptr) return InvalidField("messages", "'messages' is required");
  if (!messages->is_array()) return WrongType("messages", "an array", *messages);
  if (messages->empty()) return InvalidField("messages", "'messages' must contain at least one message");
  for (size_t i = 0; i < messages->size(); ++i) {
    CATENA_ASSIGN_OR_RETURN(chains::ChatMessage message, ParseMessage((*messages)[i], i));
    request.messages.push_back(std::move(message));
  }
  return absl::OkStatus();
}

absl::Status ParseStop(const Json& body, ChatCompletionRequest& request) {
  const Json* stop = Member(body, "stop");
  if (stop == nullptr) return absl::OkStatus();
  if (stop->is_string()) {
    request.stop.push_back(stop->get<std::string>());
    return absl::OkStatus();
  }
  if (!stop->is_array()) return WrongType("stop", "a string or an array of strings", *stop);
  if (stop->size() > 4) return InvalidField("stop", "'stop' may list at most 4 sequences");
  for (size_t i = 0; i < stop->size(); ++i) {
    if (!(*stop)[i].is_string()) return WrongType(absl::StrCat("stop[", i, "]"), "a string", (*stop)[i]);
    request.stop.push_back((*stop)[i].get<std::string>());
  }
  return absl::OkStatus();
}

absl::StatusOr<chains::ChatTool> ParseTool(const Json& tool, size_t index) {
  const std::string param = absl::StrCat("tools[", index, "]");
  if (!tool.is_object()) return WrongType(param, "an object", tool);
  CATENA_ASSIGN_OR_RETURN(std::string type, RequiredString(tool, "type", param + ".type"));
  if (type != "function") {
    return InvalidField(param + ".type", absl::StrCat("tool type '", type, "' is not supported; use 'function'"));
  }
  const Json* function = Member(tool, "function");
  if (function == nullptr || !function->is_object()) {
    return InvalidField(param + ".function", absl::StrCat("'", param, ".function' must be an object"));
  }
  chains::ChatTool out;
  CATENA_ASSIGN_OR_RETURN(out.name, RequiredString(*function, "name", param + ".function.name"));
  if (const Json* description = Member(*function, "description")) {
    if (!description->is_string()) return WrongType(param + ".function.description", "a string", *description);
    out.description = description->get<std::string>();
  }
  if (const Json* parameters = Member(*function, "parameters")) {
    if (!parameters->is_object()) return WrongType(param + ".function.parameters", "an object", *parameters);
    out.parameters_json_schema = parameters->dump();
  }
  return out;
}

absl::Status ParseToolChoice(const Json& body, ChatCompletionRequest& request);

absl::Status ParseTools(const Json& body, ChatCompletionRequest& request) {
  if (const Json* tools = Member(body, "tools")) {
    if (!tools->is_array()) return WrongType("tools", "an array", *tools);
    for (size_t i = 0; i < tools->size(); ++i) {
      CATENA_ASSIGN_OR_RETURN(chains::ChatTool tool, ParseTool((*tools)[i], i));
      for (const chains::ChatTool& other : request.tools) {
        if (other.name == tool.name) {
          return InvalidField(absl::StrCat("tools[", i, "].function.name"),
                              absl::StrCat("tool name '", tool.name, "' is declared twice"));
        }
      }
      request.tools.push_back(std::move(tool));
    }
  }
  return ParseToolChoice(body, request);
}

absl::Status ParseToolChoice(const Json& body, ChatCompletionRequest& request) {
  const Json* choice = Member(body, "tool_choice");
  if (choice == nullptr) return absl::OkStatus();
  if (choice->is_string()) {
    request.tool_choice = choice->get<std::string>();
    if (request.tool_choice != "none" && request.tool_choice != "auto" && request.tool_choice != "required") {
      return InvalidField("tool_choice", "'tool_choice' must be none, auto, required or {type: function, ...}");
    }
  } else if (choice->is_object()) {
    const Json* function = Member(*choice, "function");
    if (function == nullptr || !function->is_object()) {
      return InvalidField("tool_choice.function", "'tool_choice.function' must be an object with a name");
    }
    CATENA_ASSIGN_OR_RETURN(request.tool_choice, RequiredString(*function, "name", "tool_choice.function.name"));
  } else {
    return WrongType("tool_choice", "a string or an object", *choice);
  }
  if (request.tool_choice != "none" && request.tool_choice != "auto" && request.tools.empty()) {
    return InvalidField("tool_choice", "'tool_choice' needs 'tools'");
  }
  if (request.tool_choice == "none" || request.tool_choice == "auto" || request.tool_choice == "required" ||
      request.tool_choice.empty()) {
    return absl::OkStatus();
  }
  for (const chains::ChatTool& tool : request.tools) {
    if (tool.name == request.tool_choice) return absl::OkStatus();
  }
  return InvalidField("tool_choice.function.name",
                      absl::StrCat("'tool_choice' names '", request.tool_choice, "', which is not in 'tools'"));
}

absl::Status ParseResponseFormat(const Json& body, ChatCompletionRequest& request) {
  const Json* format = Member(body, "response_format");
  if (format == nullptr) return absl::OkStatus();
  if (!format->is_object()) return WrongType("response_format", "an object", *format);
  CATENA_ASSIGN_OR_RETURN(request.response_format, RequiredString(*format, "type", "response_format.type"));
  if (request.response_format == "text") return absl::OkStatus();
  if (request.response_format == "json_object") {
    request.json_schema = R"({"type":"object"})";
    return absl::OkStatus();
  }
  if (request.response_format != "json_schema") {
    return InvalidField("response_format.type", absl::StrCat("response_format type '", request.response_format,
                                                             "' is not one of text, json_object, json_schema"));
  }
  const Json* spec = Member(*format, "json_schema");
  if (spec == nullptr || !spec->is_object()) {
    return InvalidField("response_format.json_schema", "'response_format.json_schema' must be an object");
  }
  CATENA_RETURN_IF_ERROR(RequiredString(*spec, "name", "response_format.json_schema.name").status());
  const Json* schema = Member(*spec, "schema");
  if (schema == nullptr || !schema->is_object()) {
    return InvalidField("response_format.json_schema.schema",
                        "'response_format.json_schema.schema' must be a JSON Schema object");
  }
  request.json_schema = schema->dump();
  return absl::OkStatus();
}

// logit_bias: {"<token id>": bias in [-100, 100], ...}.
absl::Status ParseLogitBias(const Json& body, ChatCompletionRequest& request) {
  const Json* bias = Member(body, "logit_bias");
  if (bias == nullptr) return absl::OkStatus();
  if (!bias->is_object()) return WrongType("logit_bias", "an object of token ids to numbers", *bias);
  for (const auto& [key, value] : bias->items()) {
    const std::string field = absl::StrCat("logit_bias.", key);
    int32_t token = 0;
    if (key.empty() || key.find_first_not_of("0123456789") != std::string::npos || !absl::SimpleAtoi(key, &token)) {
      return InvalidField(field, absl::StrCat("'logit_bias' keys must be token ids (non-negative integers), got '",
                                              key, "'"));
    }
    if (!value.is_number()) return WrongType(field, "a number", value);
    const double number = value.get<double>();
    if (!std::isfinite(number) || number < -100 || number > 100) {
      return InvalidField(field, absl::StrCat("'", field, "' must be between -100 and 100, got ", number));
    }
    request.logit_bias.emplace_back(token, number);
  }
  return absl::OkStatus();
}

// vLLM's sampler extensions (top_k, min_p, repetition_penalty), which llama.cpp's server also takes.
absl::Status ParseSamplerExtensions(const Json& body, ChatCompletionRequest& request) {
  CATENA_ASSIGN_OR_RETURN(std::optional<int64_t> top_k, OptionalInteger(body, "top_k", -1, 1 << 30));
  if (top_k && *top_k > 0) request.top_k = static_cast<int>(*top_k);  // -1 and 0: off
  CATENA_ASSIGN_OR_RETURN(request.min_p, OptionalNumber(body, "min_p", 0, 1));
  CATENA_ASSIGN_OR_RETURN(request.repetition_penalty, OptionalNumber(body, "repetition_penalty", 0, 2));
  if (request.repetition_penalty && *request.repetition_penalty == 0) {
    return InvalidField("repetition_penalty", "'repetition_penalty' must be above 0 (1 = off), got 0");
  }
  return absl::OkStatus();
}

absl::Status ParseSampling(const Json& body, ChatCompletionRequest& request) {
  CATENA_ASSIGN_OR_RETURN(request.temperature, OptionalNumber(body, "temperature", 0, 2));
  CATENA_ASSIGN_OR_RETURN(request.top_p, OptionalNumber(body, "top_p", 0, 1));
  CATENA_ASSIGN_OR_RETURN(request.presence_penalty, OptionalNumber(body, "presence_penalty", -2, 2));
  CATENA_ASSIGN_OR_RETURN(request.frequency_penalty, OptionalNumber(body, "frequency_penalty", -2, 2));
  CATENA_RETURN_IF_ERROR(ParseLogitBias(body, request));
  CATENA_RETURN_IF_ERROR(ParseSamplerExtensions(body, request));
  CATENA_ASSIGN_OR_RETURN(std::optional<int64_t> max_tokens, OptionalInteger(body, "max_tokens", 1, 1 << 20));
  CATENA_ASSIGN_OR_RETURN(std::optional<int64_t> max_completion,
                          OptionalInteger(body, "max_completion_tokens", 1, 1 << 20));
  if (max_completion) max_tokens = max_completion;
  if (max_tokens) request.max_tokens = static_cast<int>(*max_tokens);
  CATENA_ASSIGN_OR_RETURN(request.seed, OptionalInteger(body, "seed", INT64_MIN, INT64_MAX));
  CATENA_ASSIGN_OR_RETURN(std::optional<int64_t> n, OptionalInteger(body, "n", 1, 128));
  request.n = static_cast<int>(n.value_or(1));
  return ParseStop(body, request);
}

// A text completion's prompt: a string, or an array holding one string.
absl::Status ParsePrompt(const Json& body, ChatCompletionRequest& request) {
  const Json* prompt = Member(body, "prompt");
  if (prompt == nullptr) return InvalidField("prompt", "'prompt' is required");
  const Json* text = prompt;
  if (prompt->is_array()) {
    if (prompt->size() != 1) {
      return InvalidField("prompt", absl::StrCat("'prompt' must hold one prompt (send one request per prompt), got ",
                                                 prompt->size()));
    }
    text = &(*prompt)[0];
    if (!text->is_string()) {
      return InvalidField("prompt[0]", absl::StrCat("'prompt[0]' must be a string (token arrays are not supported), "
                                                    "got ", TypeName(*text)));
    }
  } else if (!prompt->is_string()) {
    return WrongType("prompt", "a string or an array of one string", *prompt);
  }
  if (text->get_ref<const std::string&>().empty()) return InvalidField("prompt", "'prompt' must not be empty");
  request.messages.push_back({.role = "user", .content = text->get<std::string>()});
  request.raw_prompt = true;
  return absl::OkStatus();
}

// Text completion options the gateway does not implement, refused when asked for.
absl::Status RefuseUnsupportedCompletionOptions(const Json& body) {
  CATENA_ASSIGN_OR_RETURN(bool echo, OptionalBool(body, "echo"));
  if (echo) return InvalidField("echo", "'echo' is not supported");
  if (const Json* suffix = Member(body, "suffix")) {
    if (!suffix->is_string()) return WrongType("suffix", "a string", *suffix);
    if (!suffix->get_ref<const std::string&>().empty()) return InvalidField("suffix", "'suffix' is not supported");
  }
  CATENA_ASSIGN_OR_RETURN(std::optional<int64_t> best_of, OptionalInteger(body, "best_of", 1, 20));
  if (best_of && *best_of != 1) return InvalidField("best_of", "'best_of' must be 1");
  return absl::OkStatus();
}

// Chat: logprobs (a boolean) and top_logprobs (0-20 alternatives, only with logprobs: true).
absl::Status ParseChatLogprobs(const Json& body, ChatCompletionRequest& request) {
  CATENA_ASSIGN_OR_RETURN(bool logprobs, OptionalBool(body, "logprobs"));
  CATENA_ASSIGN_OR_RETURN(std::optional<int64_t> top, OptionalInteger(body, "top_logprobs", 0, 20));
  if (top && !logprobs) return InvalidField("top_logprobs", "'top_logprobs' needs 'logprobs': true");
  if (logprobs) request.logprobs = static_cast<int>(top.value_or(0));
  return absl::OkStatus();
}

// Text completions: logprobs is the number of alternatives (0-5) reported with each token's log-probability.
absl::Status ParseCompletionLogprobs(const Json& body, ChatCompletionRequest& request) {
  CATENA_ASSIGN_OR_RETURN(std::optional<int64_t> logprobs, OptionalInteger(body, "logprobs", 0, 5));
  if (logprobs) request.logprobs = static_cast<int>(*logprobs);
  return absl::OkStatus();
}

absl::Status ParseStreaming(const Json& body, ChatCompletionRequest& request) {
  CATENA_ASSIGN_OR_RETURN(request.stream, OptionalBool(body, "stream"));
  const Json* options = Member(body, "stream_options");
  if (options == nullptr) return absl::OkStatus();
  if (!request.stream) return InvalidField("stream_options", "'stream_options' is only allowed with stream: true");
  if (!options->is_object()) return WrongType("stream_options", "an object", *options);
  const Json* usage = Member(*options, "include_usage");
  if (usage == nullptr) return absl::OkStatus();
  if (!usage->is_boolean()) return WrongType("stream_options.include_usage", "a boolean", *usage);
  request.include_usage = usage->get<bool>();
  return absl::OkStatus();
}

absl::Status ParseEmbeddingInput(const Json& body, EmbeddingsRequest& request) {
  const Json* input = Member(body, "input");
  if (input == nullptr) return InvalidField("input", "'input' is required");
  if (input->is_string()) {
    request.input.push_back(input->get<std::string>());
  } else if (input->is_array()) {
    if (input->empty()) return InvalidField("input", "'input' must not be empty");
    if (input->size() > kMaxEmbeddingInputs) {
      return InvalidField("input", absl::StrCat("'input' may hold at most ", kMaxEmbeddingInputs, " items, got ",
                                                input->size()));
    }
    for (size_t i = 0; i < input->size(); ++i) {
      const Json& item = (*input)[i];
      if (!item.is_string()) {
        return InvalidField(absl::StrCat("input[", i, "]"),
                            absl::StrCat("'input[", i, "]' must be a string (token arrays are not supported), got ",
                                         TypeName(item)));
      }
      request.input.push_back(item.get<std::string>());
    }
  } else {
    return WrongType("input", "a string or an array of strings", *input);
  }
  for (size_t i = 0; i < request.input.size(); ++i) {
    if (request.input[i].empty()) {
      return InvalidField(input->is_string() ? "input" : absl::StrCat("input[", i, "]"), "input text is empty");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ChatCompletionRequest> ParseChatCompletionRequest(std::string_view body) {
  CATENA_ASSIGN_OR_RETURN(Json json, ParseBody(body));
  ChatCompletionRequest request;
  CATENA_ASSIGN_OR_RETURN(request.model, RequiredModel(json));
  CATENA_RETURN_IF_ERROR(ParseMessages(json, request));
  CATENA_RETURN_IF_ERROR(ParseSampling(json, request));
  CATENA_RETURN_IF_ERROR(ParseChatLogprobs(json, request));
  CATENA_RETURN_IF_ERROR(ParseStreaming(json, request));
  CATENA_RETURN_IF_ERROR(ParseTools(json, request));
  CATENA_RETURN_IF_ERROR(ParseResponseFormat(json, request));
  if (request.response_format != "text" && !request.tool_choice.empty() && request.tool_choice != "none" &&
      request.tool_choice != "auto") {
    return InvalidField("response_format", "'response_format' cannot be combined with a tool_choice that forces a call");
  }
  CATENA_RETURN_IF_ERROR(OptionalBool(json, "parallel_tool_calls").status());
  return request;
}

absl::StatusOr<ChatCompletionRequest> ParseCompletionRequest(std::string_view body) {
  CATENA_ASSIGN_OR_RETURN(Json json, ParseBody(body));
  ChatCompletionRequest request{.max_tokens = kDefaultCompletionTokens};
  CATENA_ASSIGN_OR_RETURN(request.model, RequiredModel(json));
  CATENA_RETURN_IF_ERROR(ParsePrompt(json, request));
  CATENA_RETURN_IF_ERROR(ParseSampling(json, request));
  CATENA_RETURN_IF_ERROR(RefuseUnsupportedCompletionOptions(json));
  CATENA_RETURN_IF_ERROR(ParseCompletionLogprobs(json, request));
  CATENA_RETURN_IF_ERROR(ParseStreaming(json, request));
  return request;
}

absl::StatusOr<EmbeddingsRequest> ParseEmbeddingsRequest(std::string_view body) {
  CATENA_ASSIGN_OR_RETURN(Json json, ParseBody(body));
  EmbeddingsRequest request;
  CATENA_ASSIGN_OR_RETURN(request.model, RequiredModel(json));
  CATENA_RETURN_IF_ERROR(ParseEmbeddingInput(json, request));
  if (const Json* format = Member(json, "encoding_format")) {
    if (!format->is_string() || (*format != "float" && *format != "base64")) {
      return InvalidField("encoding_format", "'encoding_format' must be float or base64");
    }
    request.base64 = *format == "base64";
  }
  CATENA_ASSIGN_OR_RETURN(std::optional<int64_t> dimensions, OptionalInteger(json, "dimensions", 1, 1 << 16));
  if (dimensions) request.dimensions = static_cast<int>(*dimensions);
  return request;
}

}  // namespace catena::server
