// JSON-RPC 2.0 messages as the MCP client sends and receives them: building requests, notifications and
// responses, parsing one message of text into a classified JsonRpcMessage, and turning an error object into an
// absl::Status. Pure functions; used by connectors/mcp_client and its transports. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace catena::connectors {

// Standard JSON-RPC error codes.
inline constexpr int kJsonRpcParseError = -32700;
inline constexpr int kJsonRpcInvalidRequest = -32600;
inline constexpr int kJsonRpcMethodNotFound = -32601;
inline constexpr int kJsonRpcInvalidParams = -32602;
inline constexpr int kJsonRpcInternalError = -32603;

struct JsonRpcError {
  int code = 0;
  std::string message;
  nlohmann::ordered_json data;  // null when absent
};

// One received message. A request has an id and a method, a notification a method only, a response an id and
// either `result` or `error`.
struct JsonRpcMessage {
  enum class Kind { kRequest, kNotification, kResponse };
  Kind kind = Kind::kNotification;
  nlohmann::ordered_json id;  // number or string; null for notifications
  std::string method;
  nlohmann::ordered_json params;  // null when absent
  nlohmann::ordered_json result;  // responses without error
  std::optional<JsonRpcError> error;
};

// {"jsonrpc":"2.0","id":id,"method":method[,"params":params]} (params omitted when null).
nlohmann::ordered_json MakeJsonRpcRequest(int64_t id, std::string_view method, const nlohmann::ordered_json& params);

// {"jsonrpc":"2.0","method":method[,"params":params]}.
nlohmann::ordered_json MakeJsonRpcNotification(std::string_view method, const nlohmann::ordered_json& params);

// A successful response to request `id`.
nlohmann::ordered_json MakeJsonRpcResult(const nlohmann::ordered_json& id, const nlohmann::ordered_json& result);

// An error response to request `id`.
nlohmann::ordered_json MakeJsonRpcErrorResponse(const nlohmann::ordered_json& id, int code, std::string_view message);

// Classifies an already parsed JSON value. INVALID_ARGUMENT naming the offending member when it is not a
// JSON-RPC 2.0 message (missing "jsonrpc":"2.0", neither method nor result/error, bad id type, ...).
absl::StatusOr<JsonRpcMessage> ToJsonRpcMessage(const nlohmann::ordered_json& value);

// Parses `text` (one message; a JSON array is a batch) into messages. INVALID_ARGUMENT with the byte offset
// when it is not JSON, or naming the member when it is not JSON-RPC.
absl::StatusOr<std::vector<JsonRpcMessage>> ParseJsonRpcMessages(std::string_view text);

// The status for an error response to `method`: -32601 -> UNIMPLEMENTED, -32602/-32600 -> INVALID_ARGUMENT,
// everything else -> UNKNOWN; the message names the method, the code and the server's message.
absl::Status JsonRpcErrorToStatus(const JsonRpcError& error, std::string_view method);

// At most `max_chars` of `text` with control characters escaped, for error messages quoting peer output.
std::string JsonRpcSnippet(std::string_view text, size_t max_chars = 120);

}  // namespace catena::connectors
