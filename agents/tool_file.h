// Tool files: YAML files declaring HTTP tools, SQL tools over SQLite files and MCP servers (docs/agents.md
// "Tools"). catenad loads the files named in its config (tools.files) at startup and adds the tools to its
// ToolRegistry; MCP servers are connected, and missing SQLite databases created from their init scripts, while
// the file loads. Every error names
// file:line:column and the field; unknown keys get a "did you mean" hint. Pure loading; thread-compatible.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "agents/http_tool.h"
#include "chains/tool.h"

namespace catena::agents {

struct ToolFileOptions {
  std::shared_ptr<connectors::HttpClient> http_client;  // shared by the file's HTTP tools; null = one created
  SecretResolver resolve_secret;                        // empty = connectors::ResolveSecret
  // Where relative `databases` paths resolve (catenad's data_dir); "" = the tool file's folder.
  std::filesystem::path data_dir;
};

// Reads and builds every tool of the file at `path`. NOT_FOUND when it cannot be read; INVALID_ARGUMENT listing
// each problem on its own line as "path:line:column: field: what".
absl::StatusOr<std::vector<std::shared_ptr<const chains::Tool>>> LoadToolFile(const std::filesystem::path& path,
                                                                             const ToolFileOptions& options = {});

// Same, from YAML text; `file_name` prefixes messages and tool sources ("tools.yaml:12").
absl::StatusOr<std::vector<std::shared_ptr<const chains::Tool>>> ParseToolFile(std::string_view yaml,
                                                                              std::string_view file_name,
                                                                              const ToolFileOptions& options = {});

}  // namespace catena::agents
