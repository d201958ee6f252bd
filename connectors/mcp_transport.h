// McpTransport: how McpClient exchanges JSON-RPC messages with one MCP server (stdio child process or streamable
// HTTP). The client owns the transport; Start is called once, then Send from any thread (implementations are
// thread-safe). Received messages go to the MessageHandler, from a transport thread (stdio) or from inside Send
// (HTTP, where replies arrive in the POST's response); the handler must not call Send re-entrantly.
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "connectors/json_rpc.h"
#include "nlohmann/json.hpp"

namespace catena::connectors {

class McpTransport {
 public:
  using MessageHandler = std::function<void(JsonRpcMessage message)>;
  // Called at most once when the connection ends for good (child exited, protocol broken); `why` is the status
  // every pending and later request fails with.
  using ClosedHandler = std::function<void(absl::Status why)>;

  virtual ~McpTransport() = default;

  // Connects (spawns the server process; nothing for HTTP). Handlers must stay valid until destruction.
  virtual absl::Status Start(MessageHandler on_message, ClosedHandler on_closed) = 0;

  // Sends one message; `deadline` bounds the exchange. HTTP delivers the replies carried by the response to the
  // MessageHandler before returning. Errors: UNAVAILABLE (connection gone), DEADLINE_EXCEEDED.
  virtual absl::Status Send(const nlohmann::ordered_json& message, absl::Time deadline) = 0;

  // Tells the transport the protocol version agreed by initialize (HTTP sends it as MCP-Protocol-Version).
  virtual void SetProtocolVersion(const std::string& version) {}

  // Names the peer for error messages ("process '/usr/bin/node server.js'", "http://127.0.0.1:3001/mcp").
  virtual std::string Describe() const = 0;
};

}  // namespace catena::connectors
