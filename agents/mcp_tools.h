// MCP tools: connects to an MCP server (stdio child process or streamable HTTP) and wraps each tool it lists as a
// chains::Tool named "<prefix><tool>" (prefix defaults to "<server>_"), with the tool's inputSchema as its
// argument schema. Invoking one runs tools/call; the result's text blocks joined become the tool output and an
// isError result becomes an error status. AddMcpServerTools puts them into a ToolRegistry (catenad). The returned
// tools are thread-safe and keep their server connection alive for as long as any of them lives.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agents/mcp_server_config.h"
#include "agents/tool_registry.h"
#include "chains/tool.h"
#include "connectors/mcp_client.h"

namespace catena::agents {

// How ListMcpTools names and runs the tools of one connected server.
struct McpToolOptions {
  std::string server_name = "mcp";
  std::string prefix;                          // prepended to every tool name
  absl::Duration timeout = absl::Seconds(30);  // per call
  chains::ApprovalPolicy approval;
};

// Checks `config` and connects (spawns the process / opens the HTTP session, then the initialize handshake).
// INVALID_ARGUMENT naming the field for a bad config; the connection errors of McpClient::Connect otherwise.
absl::StatusOr<std::shared_ptr<connectors::McpClient>> ConnectMcpServer(const McpServerConfig& config);

// Lists the tools of `client` and wraps each as a chains::Tool. Names are "<prefix><tool>" with characters
// outside [A-Za-z0-9_.-] replaced by '_'; tools whose name would exceed 64 characters or repeat an earlier one
// are skipped with a warning.
absl::StatusOr<std::vector<std::shared_ptr<const chains::Tool>>> ListMcpTools(
    std::shared_ptr<connectors::McpClient> client, const McpToolOptions& options);

// ConnectMcpServer + ListMcpTools with the config's prefix, timeout and approval.
absl::StatusOr<std::vector<std::shared_ptr<const chains::Tool>>> LoadMcpServerTools(const McpServerConfig& config);

// LoadMcpServerTools, then adds every tool to `registry` for `tenant` ("" = every tenant). Stops at the first
// tool the registry refuses (ALREADY_EXISTS naming both sources); tools added before it stay registered.
absl::Status AddMcpServerTools(ToolRegistry& registry, const McpServerConfig& config, std::string tenant = "");

// "<prefix><tool>" made a valid chains tool name (see ListMcpTools); "" when longer than 64 characters.
std::string McpToolName(const std::string& prefix, const std::string& tool);

}  // namespace catena::agents
