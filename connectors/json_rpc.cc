#include "connectors/json_rpc.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace catena::connectors {
namespace {

using json = nlohmann::ordered_json;

absl::Status NotJsonRpc(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("not a JSON-RPC 2.0 message: ", std::string(what)));
}

bool ValidId(const json& id) { return id.is_number_integer() || id.is_string(); }

absl::StatusOr<JsonRpcError> ReadError(const json& error) {
  if (!error.is_object()) return NotJsonRpc("\"error\" is not an object");
  auto code = error.find("code");
  if (code == error.end() || !code->is_number_integer()) return NotJsonRpc("\"error.code\" is not an integer");
  JsonRpcError out;
  out.code = code->get<int>();
  if (auto message = error.find("message"); message != error.end() && message->is_string()) {
    out.message = message->get<std::string>();
  }
  if (auto data = error.find("data"); data != error.end()) out.data = *data;
  return out;
}

absl::StatusOr<JsonRpcMessage> ReadResponse(const json& value) {
  JsonRpcMessage message;
  message.kind = JsonRpcMessage::Kind::kResponse;
  if (auto id = value.find("id"); id != value.end()) message.id = *id;
  // A reply to a message the peer could not parse carries a null id; otherwise a number or a string.
  if (!message.id.is_null() && !ValidId(message.id)) return NotJsonRpc("\"id\" is neither a number nor a string");
  if (auto error = value.find("error"); error != value.end()) {
    CATENA_ASSIGN_OR_RETURN(message.error, ReadError(*error));
    return message;
  }
  message.result = value.at("result");
  return message;
}

}  // namespace

json MakeJsonRpcRequest(int64_t id, std::string_view method, const json& params) {
  json message = {{"jsonrpc", "2.0"}, {"id", id}, {"method", std::string(method)}};
  if (!params.is_null()) message["params"] = params;
  return message;
}

json MakeJsonRpcNotification(std::string_view method, const json& params) {
  json message = {{"jsonrpc", "2.0"}, {"method", std::string(method)}};
  if (!params.is_null()) message["params"] = params;
  return message;
}

json MakeJsonRpcResult(const json& id, const json& result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", result}};
}

json MakeJsonRpcErrorResponse(const json& id, int code, std::string_view message) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", std::string(message)}}}};
}

absl::StatusOr<JsonRpcMessage> ToJsonRpcMessage(const json& value) {
  if (!value.is_object()) return NotJsonRpc(absl::StrCat("expected an object, got ", value.type_name()));
  auto version = value.find("jsonrpc");
  if (version == value.end() || *version != "2.0") return NotJsonRpc("\"jsonrpc\" is not \"2.0\"");
  auto method = value.find("method");
  if (method == value.end()) {
    if (!value.contains("result") && !value.contains("error")) {
      return NotJsonRpc("it has neither \"method\" nor \"result\" nor \"error\"");
    }
    return ReadResponse(value);
  }
  if (!method->is_string()) return NotJsonRpc("\"method\" is not a string");
  JsonRpcMessage message;
  message.method = method->get<std::string>();
  if (auto params = value.find("params"); params != value.end()) message.params = *params;
  auto id = value.find("id");
  if (id == value.end()) {
    message.kind = JsonRpcMessage::Kind::kNotification;
    return message;
  }
  if (!ValidId(*id)) return NotJsonRpc("\"id\" is neither a number nor a string");
  message.kind = JsonRpcMessage::Kind::kRequest;
  message.id = *id;
  return message;
}

absl::StatusOr<std::vector<JsonRpcMessage>> ParseJsonRpcMessages(std::string_view text) {
  json value;
  try {
    value = json::parse(text);
  } catch (const json::parse_error& error) {
    return absl::InvalidArgumentError(
        absl::StrCat("not JSON (parse error at byte ", error.byte, "): \"", JsonRpcSnippet(text), "\""));
  }
  std::vector<JsonRpcMessage> messages;
  if (!value.is_array()) {
    CATENA_ASSIGN_OR_RETURN(messages.emplace_back(), ToJsonRpcMessage(value));
    return messages;
  }
  if (value.empty()) return NotJsonRpc("empty batch");
  for (const json& item : value) {
    CATENA_ASSIGN_OR_RETURN(messages.emplace_back(), ToJsonRpcMessage(item));
  }
  return messages;
}

absl::Status JsonRpcErrorToStatus(const JsonRpcError& error, std::string_view method) {
  std::string text =
      absl::StrCat(std::string(method), " failed: ", error.message, " (JSON-RPC error ", error.code, ")");
  switch (error.code) {
    case kJsonRpcMethodNotFound:
      return absl::UnimplementedError(text);
    case kJsonRpcInvalidParams:
    case kJsonRpcInvalidRequest:
      return absl::InvalidArgumentError(text);
    default:
      return absl::UnknownError(text);
  }
}

std::string JsonRpcSnippet(std::string_view text, size_t max_chars) {
  std::string out;
  for (char c : text) {
    if (out.size() >= max_chars) {
      out += "...";
      break;
    }
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += '?';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace catena::connectors
