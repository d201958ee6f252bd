// McpServerConfig: one MCP server a deployment uses (name, stdio or streamable HTTP transport, tool name prefix,
// timeout, approval), and ParseMcpServerConfig, which reads it from the JSON form of a config entry (YAML tool
// files and catenad config convert to JSON first). Used by agents/mcp_tools and catenad. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "chains/tool.h"
#include "connectors/mcp_http_transport.h"
#include "connectors/mcp_stdio_transport.h"
#include "nlohmann/json.hpp"

namespace catena::agents {

struct McpServerConfig {
  std::string name;  // [A-Za-z0-9_.-]+; names the server in errors, tool sources ("mcp:<name>") and the prefix
  std::variant<connectors::McpStdioOptions, connectors::McpHttpOptions> transport;
  std::optional<std::string> prefix;           // tool name prefix; default "<name>_"
  absl::Duration timeout = absl::Seconds(30);  // per request (connecting included); a run's deadline may cut it
  chains::ApprovalPolicy approval;             // default approval policy of every tool of this server
};

// Reads one server entry:
//   {"name": "docs", "stdio": {"command": "node", "args": [...], "env": {"K": "env:K"}, "cwd": "/srv"},
//    "prefix": "docs_", "timeout": "30s", "approval": "never" | "always" | {"when": "args.amount > 1000"}}
// or with "http": {"url": "http://127.0.0.1:3001/mcp", "headers": {"Authorization": "env:DOCS_TOKEN"}} instead of
// "stdio". env and header values are secret references (connectors/secrets.h: "env:NAME", "file:/path" or a
// literal) resolved here. INVALID_ARGUMENT naming `where` and the field ("tools.yaml mcp_servers[0].stdio.args:
// expected a list of strings") for a bad entry; the secret's error (naming the reference) when one is missing.
absl::StatusOr<McpServerConfig> ParseMcpServerConfig(const nlohmann::json& entry, std::string_view where);

}  // namespace catena::agents
