// Chat completions wire format: request JSON, response parsing and the streaming chunk accumulator.
#include <map>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "connectors/openai_chat_client.h"

namespace catena::connectors {
namespace {

using nlohmann::json;

absl::StatusOr<json> ParseJsonText(const std::string& text, std::string_view where) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(where), " is not valid JSON (at byte ", e.byte, ")"));
  }
}

std::string Str(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump(-1, ' ', false, json::error_handler_t::replace);  // e.g. arguments sent as an object
}

json MessageJson(const OpenAiMessage& m) {
  json out = {{"role", m.role}};
  if (m.tool_calls.empty() || !m.content.empty()) out["content"] = m.content; else out["content"] = nullptr;
  if (!m.tool_calls.empty()) {
    json calls = json::array();
    for (const OpenAiToolCall& c : m.tool_calls) {
      calls.push_back({{"id", c.id}, {"type", "function"}, {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
    }
    out["tool_calls"] = std::move(calls);
  }
  if (!m.tool_call_id.empty()) out["tool_call_id"] = m.tool_call_id;
  return out;
}

absl::StatusOr<json> ToolsJson(const std::vector<OpenAiTool>& tools) {
  json out = json::array();
  for (size_t i = 0; i < tools.size(); ++i) {
    const OpenAiTool& t = tools[i];
    json parameters = json{{"type", "object"}};
    if (!t.parameters_json.empty()) {
      CATENA_ASSIGN_OR_RETURN(parameters, ParseJsonText(t.parameters_json,
                                                        absl::StrCat("tools[", i, "] '", t.name, "' parameters")));
    }
    json function = {{"name", t.name}, {"parameters", std::move(parameters)}};
    if (!t.description.empty()) function["description"] = t.description;
    out.push_back({{"type", "function"}, {"function", std::move(function)}});
  }
  return out;
}

absl::Status AddResponseFormat(const OpenAiChatRequest& r, json& body) {
  if (r.response_format == OpenAiResponseFormat::kJsonObject) {
    body["response_format"] = {{"type", "json_object"}};
  } else if (r.response_format == OpenAiResponseFormat::kJsonSchema) {
    CATENA_ASSIGN_OR_RETURN(json schema, ParseJsonText(r.json_schema, "json_schema"));
    body["response_format"] = {
        {"type", "json_schema"},
        {"json_schema", {{"name", r.json_schema_name}, {"schema", std::move(schema)}, {"strict", true}}}};
  }
  return absl::OkStatus();
}

void AddToolChoice(const std::string& choice, json& body) {
  if (choice.empty()) return;
  if (choice == "auto" || choice == "none" || choice == "required") {
    body["tool_choice"] = choice;
  } else {
    body["tool_choice"] = {{"type", "function"}, {"function", {{"name", choice}}}};
  }
}

OpenAiUsage UsageFrom(const json& usage) {
  OpenAiUsage out;
  if (!usage.is_object()) return out;
  auto num = [&](const char* key) { return usage.contains(key) && usage[key].is_number() ? usage[key].get<int64_t>() : 0; };
  out.prompt_tokens = num("prompt_tokens");
  out.completion_tokens = num("completion_tokens");
  out.total_tokens = num("total_tokens");
  return out;
}

// The server's message when `body` is an error object, else "".
std::string ErrorMessage(const json& body) {
  if (!body.is_object() || !body.contains("error")) return "";
  const json& error = body["error"];
  if (error.is_string()) return error.get<std::string>();
  std::string message = Str(error, "message");
  return message.empty() ? error.dump(-1, ' ', false, json::error_handler_t::replace) : message;
}

}  // namespace

absl::StatusOr<std::string> BuildChatRequestJson(const OpenAiChatRequest& r, bool stream) {
  json body = {{"model", r.model}};
  json messages = json::array();
  for (const OpenAiMessage& m : r.messages) messages.push_back(MessageJson(m));
  body["messages"] = std::move(messages);
  if (!r.tools.empty()) {
    CATENA_ASSIGN_OR_RETURN(body["tools"], ToolsJson(r.tools));
  }
  AddToolChoice(r.tool_choice, body);
  CATENA_RETURN_IF_ERROR(AddResponseFormat(r, body));
  if (r.temperature) body["temperature"] = *r.temperature;
  if (r.top_p) body["top_p"] = *r.top_p;
  if (r.max_tokens) body["max_tokens"] = *r.max_tokens;
  if (r.seed) body["seed"] = *r.seed;
  if (!r.stop.empty()) body["stop"] = r.stop;
  if (r.frequency_penalty) body["frequency_penalty"] = *r.frequency_penalty;
  if (r.presence_penalty) body["presence_penalty"] = *r.presence_penalty;
  for (const auto& [token, bias] : r.logit_bias) {
    json& entry = body["logit_bias"][std::to_string(token)];
    entry = (entry.is_number() ? entry.get<double>() : 0.0) + bias;
  }
  if (r.top_k) body["top_k"] = *r.top_k;
  if (r.min_p) body["min_p"] = *r.min_p;
  if (r.repetition_penalty) body["repetition_penalty"] = *r.repetition_penalty;
  if (stream) {
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
  }
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

absl::StatusOr<OpenAiChatResponse> ParseChatResponseJson(std::string_view text) {
  json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return absl::InternalError(absl::StrCat("chat completion response is not valid JSON (", text.size(), " bytes: '",
                                            std::string(text.substr(0, 80)), "')"));
  }
  if (std::string error = ErrorMessage(body); !error.empty()) {
    return absl::UnavailableError(absl::StrCat("chat completion failed: ", error));
  }
  if (!body.is_object() || !body.contains("choices") || !body["choices"].is_array() || body["choices"].empty() ||
      !body["choices"][0].is_object()) {
    return absl::InternalError("chat completion response has no choices[0]");
  }
  const json& choice = body["choices"][0];
  OpenAiChatResponse out;
  out.id = Str(body, "id");
  out.model = Str(body, "model");
  out.finish_reason = Str(choice, "finish_reason");
  const json message = choice.contains("message") ? choice["message"] : json::object();
  out.content = Str(message, "content");
  if (message.is_object() && message.contains("tool_calls") && message["tool_calls"].is_array()) {
    for (const json& call : message["tool_calls"]) {
      const json function = call.is_object() && call.contains("function") ? call["function"] : json::object();
      out.tool_calls.push_back({Str(call, "id"), Str(function, "name"), Str(function, "arguments")});
    }
  }
  if (body.contains("usage")) out.usage = UsageFrom(body["usage"]);
  return out;
}

absl::Status ChatStreamAccumulator::Feed(std::string_view data) {
  std::string payload(absl::StripAsciiWhitespace(absl::string_view(data.data(), data.size())));
  if (payload == "[DONE]") {
    done_ = true;
    return absl::OkStatus();
  }
  json chunk = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (chunk.is_discarded() || !chunk.is_object()) {
    return absl::InternalError(absl::StrCat("chat completion stream chunk is not a JSON object: '",
                                            payload.substr(0, 80), "'"));
  }
  if (std::string error = ErrorMessage(chunk); !error.empty()) {
    return absl::UnavailableError(absl::StrCat("chat completion stream failed: ", error));
  }
  if (response_.id.empty()) response_.id = Str(chunk, "id");
  if (response_.model.empty()) response_.model = Str(chunk, "model");
  if (chunk.contains("usage") && chunk["usage"].is_object()) response_.usage = UsageFrom(chunk["usage"]);
  if (!chunk.contains("choices") || !chunk["choices"].is_array()) return absl::OkStatus();
  for (const json& choice : chunk["choices"]) {
    if (!choice.is_object() || (choice.contains("index") && choice["index"] != 0)) continue;
    if (std::string reason = Str(choice, "finish_reason"); !reason.empty()) response_.finish_reason = reason;
    if (!choice.contains("delta") || !choice["delta"].is_object()) continue;
    const json& delta = choice["delta"];
    if (std::string content = Str(delta, "content"); !content.empty()) {
      response_.content += content;
      delivered_ = true;
      if (on_delta_ && !on_delta_(content)) return absl::CancelledError("chat completion stream cancelled");
    }
    if (delta.contains("tool_calls") && delta["tool_calls"].is_array()) {
      for (const json& call : delta["tool_calls"]) {
        int index = call.is_object() && call.contains("index") && call["index"].is_number_integer()
                        ? call["index"].get<int>() : static_cast<int>(tool_calls_.size());
        OpenAiToolCall& merged = tool_calls_[index];
        if (std::string id = Str(call, "id"); !id.empty()) merged.id = id;
        const json function = call.is_object() && call.contains("function") ? call["function"] : json::object();
        merged.name += Str(function, "name");
        merged.arguments += Str(function, "arguments");
        delivered_ = true;
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<OpenAiChatResponse> ChatStreamAccumulator::Finish(bool partial_event) {
  if (!done_) {
    return absl::UnavailableError(partial_event
        ? "chat completion stream was cut off in the middle of an event (no [DONE])"
        : "chat completion stream ended without [DONE]");
  }
  response_.tool_calls.clear();
  for (auto& [index, call] : tool_calls_) response_.tool_calls.push_back(call);
  return response_;
}

}  // namespace catena::connectors
