// McpClient: a Model Context Protocol client over one McpTransport (stdio or streamable HTTP). Connect performs
// the initialize handshake (protocolVersion, capabilities, clientInfo, then notifications/initialized); ListTools
// follows tools/list cursors; CallTool runs tools/call. Used by agents/mcp_tools to expose MCP tools as
// chains::Tool. Thread-safe: concurrent requests are matched to replies by id. Every request has a deadline
// (the caller's, capped by request_timeout); a closed transport fails pending and later requests at once.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "connectors/json_rpc.h"
#include "connectors/mcp_transport.h"
#include "nlohmann/json.hpp"

namespace catena::connectors {

// The protocol revision the client asks for and the ones it accepts in the server's answer.
inline constexpr const char kMcpLatestProtocolVersion[] = "2025-11-25";
inline constexpr const char* kMcpSupportedProtocolVersions[] = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};

struct McpClientOptions {
  std::string server_name = "mcp";                     // names the server in errors and logs
  absl::Duration request_timeout = absl::Seconds(30);  // cap on every request, initialize included
  std::string protocol_version = kMcpLatestProtocolVersion;
  std::string client_name = "catena";
  int max_list_pages = 100;  // tools/list pages followed before giving up
};

// What the server said about itself in the initialize result.
struct McpServerInfo {
  std::string name;
  std::string version;
  std::string protocol_version;  // the agreed revision
  std::string instructions;
  nlohmann::ordered_json capabilities = nlohmann::ordered_json::object();
};

// One entry of tools/list.
struct McpTool {
  std::string name;
  std::string title;
  std::string description;
  nlohmann::ordered_json input_schema = nlohmann::ordered_json::object();  // JSON Schema of the arguments
  nlohmann::ordered_json output_schema;                                    // null when absent
  nlohmann::ordered_json annotations;                                      // null when absent
};

// A tools/call result. is_error means the tool ran and failed (the content says why).
struct McpToolResult {
  nlohmann::ordered_json content = nlohmann::ordered_json::array();  // content blocks
  nlohmann::ordered_json structured_content;                         // null when absent
  bool is_error = false;
  // The text blocks joined with "\n"; other blocks are summarized ("[image image/png, 1234 base64 chars]").
  std::string Text() const;
};

struct McpCallOptions {
  absl::Time deadline = absl::InfiniteFuture();  // further capped by request_timeout
  std::function<bool()> cancelled;               // polled while waiting; true -> CANCELLED
};

class McpClient {
 public:
  // Starts `transport` and performs the initialize handshake. UNAVAILABLE / DEADLINE_EXCEEDED when the server
  // cannot be reached or does not answer; FAILED_PRECONDITION when it answers an unsupported protocolVersion.
  static absl::StatusOr<std::shared_ptr<McpClient>> Connect(std::unique_ptr<McpTransport> transport,
                                                            McpClientOptions options);
  ~McpClient();
  McpClient(const McpClient&) = delete;
  McpClient& operator=(const McpClient&) = delete;

  const McpServerInfo& server() const { return server_; }
  const McpClientOptions& options() const { return options_; }

  // Every tool the server lists, following nextCursor. INVALID_ARGUMENT naming the entry when one is malformed.
  absl::StatusOr<std::vector<McpTool>> ListTools(const McpCallOptions& call = {});

  // Calls tool `name` with `arguments` (a JSON object; null means {}). A tool failure is a result with
  // is_error set; protocol errors (unknown method, bad params) are statuses.
  absl::StatusOr<McpToolResult> CallTool(std::string_view name, const nlohmann::ordered_json& arguments,
                                         const McpCallOptions& call = {});

  // Sends request `method` and waits for its result. JSON-RPC errors map as JsonRpcErrorToStatus;
  // DEADLINE_EXCEEDED after the deadline (the server is sent notifications/cancelled); CANCELLED when
  // call.cancelled() turns true; the transport's status when it closed.
  absl::StatusOr<nlohmann::ordered_json> Request(std::string_view method, const nlohmann::ordered_json& params,
                                         const McpCallOptions& call = {});

  // Sends notification `method`.
  absl::Status Notify(std::string_view method, const nlohmann::ordered_json& params);

  // True once the server sent notifications/tools/list_changed.
  bool tools_changed() const;

 private:
  struct Pending {
    std::string method;
    std::optional<absl::StatusOr<nlohmann::ordered_json>> result;
  };

  McpClient(std::unique_ptr<McpTransport> transport, McpClientOptions options);
  absl::Status Initialize();
  void OnMessage(JsonRpcMessage message);
  void OnServerRequest(const JsonRpcMessage& message);
  void OnClosed(absl::Status why);
  // Waits for request `id` until `deadline`; removes it from pending_ in every case.
  absl::StatusOr<nlohmann::ordered_json> Await(int64_t id, absl::Time deadline, const McpCallOptions& call);
  absl::Status Prefixed(const absl::Status& status) const;

  const McpClientOptions options_;
  std::unique_ptr<McpTransport> transport_;
  McpServerInfo server_;

  mutable std::mutex mu_;  // guards the fields below
  std::condition_variable cv_;
  int64_t next_id_ = 1;
  std::map<int64_t, Pending> pending_;
  std::optional<absl::Status> closed_;
  bool tools_changed_ = false;
};

}  // namespace catena::connectors
