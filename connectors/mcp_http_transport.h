// McpHttpTransport: the MCP streamable HTTP transport. Every message is POSTed to one endpoint URL with
// Accept: application/json, text/event-stream; the reply is either a JSON body or an SSE stream carrying
// JSON-RPC messages, which are handed to the MessageHandler once the exchange ends (or as soon as the reply to
// the posted request arrived). The Mcp-Session-Id the server assigns at initialize is sent on every later
// request with MCP-Protocol-Version, and the session is DELETEd on destruction. Thread-safe (HttpClient is).
// Not done: the optional GET stream for server-initiated messages and resuming with Last-Event-ID.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "connectors/http_client.h"
#include "connectors/mcp_transport.h"

namespace catena::connectors {

struct McpHttpOptions {
  std::string url;                                           // the MCP endpoint, e.g. http://127.0.0.1:3001/mcp
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Authorization, ...)
  absl::Duration connect_timeout = absl::Seconds(5);
  size_t max_response_bytes = 16 << 20;
  std::shared_ptr<HttpClient> http;  // null: the transport creates its own client
};

class McpHttpTransport : public McpTransport {
 public:
  explicit McpHttpTransport(McpHttpOptions options);
  ~McpHttpTransport() override;

  // Checks the URL scheme; the first connection is made by the first Send.
  absl::Status Start(MessageHandler on_message, ClosedHandler on_closed) override;
  // POSTs `message`. HTTP 202 accepts a notification or response; 200 carries replies (JSON or SSE). Errors:
  // UNAVAILABLE (connection, 5xx, expired session: 404), UNAUTHENTICATED/PERMISSION_DENIED (401/403),
  // FAILED_PRECONDITION (other 4xx, with a snippet of the body), DEADLINE_EXCEEDED.
  absl::Status Send(const nlohmann::ordered_json& message, absl::Time deadline) override;
  void SetProtocolVersion(const std::string& version) override;
  std::string Describe() const override { return options_.url; }

  // The session id the server assigned ("" when none); for tests.
  std::string session_id() const;

 private:
  HttpRequest BuildPost(const nlohmann::ordered_json& message, absl::Time deadline) const;
  absl::Status CheckStatus(const HttpResponse& response) const;

  McpHttpOptions options_;
  MessageHandler on_message_;
  ClosedHandler on_closed_;

  mutable std::mutex mu_;  // guards the fields below
  std::string session_id_;
  std::string protocol_version_;
};

}  // namespace catena::connectors
