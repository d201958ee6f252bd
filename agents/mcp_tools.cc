#include "agents/mcp_tools.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "spdlog/spdlog.h"

namespace catena::agents {
namespace {

using json = nlohmann::ordered_json;

constexpr size_t kMaxToolNameLength = 64;

bool ValidNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

// One MCP tool as a chains::Tool.
class McpChainTool : public chains::Tool {
 public:
  McpChainTool(std::shared_ptr<connectors::McpClient> client, chains::ToolDefinition definition,
               std::string remote_name, absl::Duration timeout)
      : client_(std::move(client)),
        definition_(std::move(definition)),
        remote_name_(std::move(remote_name)),
        timeout_(timeout) {}

  const chains::ToolDefinition& definition() const override { return definition_; }

  absl::StatusOr<chains::ToolOutput> Invoke(const chains::ToolCallContext& context,
                                            std::string_view arguments_json) const override {
    CATENA_ASSIGN_OR_RETURN(json arguments, ParseArguments(arguments_json));
    connectors::McpCallOptions call;
    call.deadline = std::min(context.deadline, absl::Now() + timeout_);
    call.cancelled = context.cancelled;
    absl::StatusOr<connectors::McpToolResult> result = client_->CallTool(remote_name_, arguments, call);
    if (!result.ok()) return Annotate(result.status(), absl::StrCat("tool '", definition_.name, "'"));
    std::string text = result->Text();
    if (result->is_error) {
      return absl::UnknownError(absl::StrCat("tool '", definition_.name, "' failed: ", text));
    }
    if (text.empty() && !result->structured_content.is_null()) {
      return chains::ToolOutput{result->structured_content.dump(), true};
    }
    return chains::ToolOutput{std::move(text), false};
  }

 private:
  absl::StatusOr<json> ParseArguments(std::string_view arguments_json) const {
    if (arguments_json.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::object();
    json arguments = json::parse(arguments_json, nullptr, /*allow_exceptions=*/false);
    if (arguments.is_discarded() || !arguments.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat("tool '", definition_.name,
                                                     "': arguments must be a JSON object, got \"",
                                                     connectors::JsonRpcSnippet(arguments_json, 80), "\""));
    }
    return arguments;
  }

  std::shared_ptr<connectors::McpClient> client_;
  chains::ToolDefinition definition_;
  std::string remote_name_;
  absl::Duration timeout_;
};

absl::Status CheckConfig(const McpServerConfig& config) {
  if (config.name.empty() || !std::all_of(config.name.begin(), config.name.end(), ValidNameChar)) {
    return absl::InvalidArgumentError(
        absl::StrCat("MCP server config: name '", config.name, "' must be non-empty and use only [A-Za-z0-9_.-]"));
  }
  if (config.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("MCP server '", config.name, "': timeout must be positive"));
  }
  if (auto* stdio = std::get_if<connectors::McpStdioOptions>(&config.transport); stdio && stdio->command.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("MCP server '", config.name, "': stdio.command is empty"));
  }
  if (auto* http = std::get_if<connectors::McpHttpOptions>(&config.transport); http && http->url.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("MCP server '", config.name, "': http.url is empty"));
  }
  return absl::OkStatus();
}

chains::ToolDefinition MakeDefinition(const connectors::McpTool& tool, std::string name,
                                      const McpToolOptions& options) {
  chains::ToolDefinition definition;
  definition.name = std::move(name);
  definition.description = tool.description.empty() ? tool.title : tool.description;
  definition.parameters_json_schema = tool.input_schema.dump();
  definition.approval = options.approval;
  definition.source = absl::StrCat("mcp:", options.server_name);
  return definition;
}

}  // namespace

std::string McpToolName(const std::string& prefix, const std::string& tool) {
  std::string name = prefix + tool;
  if (name.empty() || name.size() > kMaxToolNameLength) return "";
  for (char& c : name) {
    if (!ValidNameChar(c)) c = '_';
  }
  return name;
}

absl::StatusOr<std::shared_ptr<connectors::McpClient>> ConnectMcpServer(const McpServerConfig& config) {
  CATENA_RETURN_IF_ERROR(CheckConfig(config));
  std::unique_ptr<connectors::McpTransport> transport;
  if (auto* stdio = std::get_if<connectors::McpStdioOptions>(&config.transport)) {
    transport = std::make_unique<connectors::McpStdioTransport>(*stdio);
  } else {
    transport = std::make_unique<connectors::McpHttpTransport>(std::get<connectors::McpHttpOptions>(config.transport));
  }
  connectors::McpClientOptions options;
  options.server_name = config.name;
  options.request_timeout = config.timeout;
  return connectors::McpClient::Connect(std::move(transport), options);
}

absl::StatusOr<std::vector<std::shared_ptr<const chains::Tool>>> ListMcpTools(
    std::shared_ptr<connectors::McpClient> client, const McpToolOptions& options) {
  if (client == nullptr) return absl::InvalidArgumentError("ListMcpTools: client is null");
  connectors::McpCallOptions call;
  call.deadline = absl::Now() + options.timeout;
  CATENA_ASSIGN_OR_RETURN(std::vector<connectors::McpTool> listed, client->ListTools(call));
  std::vector<std::shared_ptr<const chains::Tool>> tools;
  std::set<std::string> seen;
  for (const connectors::McpTool& tool : listed) {
    std::string name = McpToolName(options.prefix, tool.name);
    if (name.empty() || !seen.insert(name).second) {
      spdlog::warn("MCP server '{}': skipping tool '{}': {}", options.server_name, tool.name,
                   name.empty() ? "its prefixed name is longer than 64 characters" : "its name repeats another tool");
      continue;
    }
    tools.push_back(
        std::make_shared<McpChainTool>(client, MakeDefinition(tool, name, options), tool.name, options.timeout));
  }
  return tools;
}

absl::StatusOr<std::vector<std::shared_ptr<const chains::Tool>>> LoadMcpServerTools(const McpServerConfig& config) {
  CATENA_ASSIGN_OR_RETURN(std::shared_ptr<connectors::McpClient> client, ConnectMcpServer(config));
  McpToolOptions options;
  options.server_name = config.name;
  options.prefix = config.prefix.value_or(config.name + "_");
  options.timeout = config.timeout;
  options.approval = config.approval;
  return ListMcpTools(std::move(client), options);
}

absl::Status AddMcpServerTools(ToolRegistry& registry, const McpServerConfig& config, std::string tenant) {
  CATENA_ASSIGN_OR_RETURN(std::vector<std::shared_ptr<const chains::Tool>> tools, LoadMcpServerTools(config));
  for (std::shared_ptr<const chains::Tool>& tool : tools) {
    CATENA_RETURN_IF_ERROR(registry.Add(std::move(tool), tenant));
  }
  return absl::OkStatus();
}

}  // namespace catena::agents
