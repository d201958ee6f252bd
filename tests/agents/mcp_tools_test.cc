// MCP tools as chains::Tool: server-everything's tools over stdio and streamable HTTP, named with the prefix,
// invoked with JSON arguments, errors and deadlines carried into statuses.
#include "agents/mcp_tools.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>

#include "agents/tool_file.h"
#include "agents/tool_invoke.h"
#include "agents/tool_registry.h"
#include "tests/support/mcp_everything.h"

namespace catena::agents {
namespace {

using catena::testing::EverythingServerScript;
using ToolList = std::vector<std::shared_ptr<const chains::Tool>>;

std::shared_ptr<const chains::Tool> Find(const ToolList& tools, const std::string& name) {
  for (const auto& tool : tools) {
    if (tool->definition().name == name) return tool;
  }
  return nullptr;
}

absl::StatusOr<chains::ToolOutput> Call(const chains::Tool& tool, std::string_view arguments) {
  return tool.Invoke(chains::ToolCallContext{}, arguments);
}

void CheckEverythingTools(const ToolList& tools, const std::string& prefix, const std::string& server) {
  std::shared_ptr<const chains::Tool> echo = Find(tools, prefix + "echo");
  std::shared_ptr<const chains::Tool> sum = Find(tools, prefix + "get-sum");
  REQUIRE(echo != nullptr);
  REQUIRE(sum != nullptr);
  CHECK(echo->definition().source == "mcp:" + server);
  CHECK(echo->definition().description == "Echoes back the input string");
  nlohmann::ordered_json schema = nlohmann::ordered_json::parse(sum->definition().parameters_json_schema);
  CHECK(schema["type"] == "object");
  CHECK(schema["properties"]["b"]["type"] == "number");
  for (const auto& tool : tools) CHECK(tool->definition().name.rfind(prefix, 0) == 0);

  absl::StatusOr<chains::ToolOutput> echoed = Call(*echo, R"({"message":"approve the refund"})");
  REQUIRE(echoed.ok());
  CHECK(echoed->content == "Echo: approve the refund");
  CHECK_FALSE(echoed->is_json);

  absl::StatusOr<chains::ToolOutput> added = Call(*sum, R"({"a": 19, "b": 23})");
  REQUIRE(added.ok());
  CHECK(added->content == "The sum of 19 and 23 is 42.");

  absl::StatusOr<chains::ToolOutput> failed = Call(*sum, R"({"a": "nineteen"})");
  REQUIRE_FALSE(failed.ok());
  CHECK_THAT(std::string(failed.status().message()),
             Catch::Contains("tool '" + prefix + "get-sum' failed") && Catch::Contains("Invalid arguments"));

  absl::StatusOr<chains::ToolOutput> not_json = Call(*echo, "{message: hi}");
  CHECK(absl::IsInvalidArgument(not_json.status()));
  CHECK_THAT(std::string(not_json.status().message()), Catch::Contains("must be a JSON object"));
}

TEST_CASE("MCP tools from server-everything over stdio run as chains tools", "[integration]") {
  std::optional<std::string> script = EverythingServerScript();
  if (!script) {
    WARN("skipped: @modelcontextprotocol/server-everything is missing from the asset dir (scripts/fetch-assets.sh)");
    return;
  }
  McpServerConfig config;
  config.name = "everything";
  config.transport = catena::testing::EverythingStdio(*script);
  config.timeout = absl::Seconds(10);
  config.approval.mode = chains::ApprovalPolicy::Mode::kAlways;
  absl::StatusOr<ToolList> tools = LoadMcpServerTools(config);
  REQUIRE(tools.ok());
  CHECK(tools->size() >= 5);
  CheckEverythingTools(*tools, "everything_", "everything");
  CHECK(Find(*tools, "everything_echo")->definition().approval.mode == chains::ApprovalPolicy::Mode::kAlways);

  // A run whose deadline already passed does not wait for the server.
  chains::ToolCallContext expired;
  expired.deadline = absl::Now() - absl::Seconds(1);
  auto started = std::chrono::steady_clock::now();
  absl::Status late = Find(*tools, "everything_echo")->Invoke(expired, R"({"message":"x"})").status();
  CHECK(absl::IsDeadlineExceeded(late));
  CHECK_THAT(std::string(late.message()), Catch::Contains("deadline passed before tools/call"));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(1));
}

TEST_CASE("MCP server tools go into a ToolRegistry and run through InvokeTool", "[integration]") {
  std::optional<std::string> script = EverythingServerScript();
  if (!script) {
    WARN("skipped: @modelcontextprotocol/server-everything is missing from the asset dir");
    return;
  }
  McpServerConfig config;
  config.name = "everything";
  config.transport = catena::testing::EverythingStdio(*script);
  config.timeout = absl::Seconds(10);
  ToolRegistry registry;
  REQUIRE(AddMcpServerTools(registry, config, "bank").ok());
  CHECK(registry.Find("bank", "everything_echo") != nullptr);
  CHECK(registry.Find("marketing", "everything_echo") == nullptr);  // registered for one tenant only
  std::shared_ptr<const chains::Tool> sum = registry.Find("bank", "everything_get-sum");
  REQUIRE(sum != nullptr);

  absl::StatusOr<chains::ToolOutput> added = InvokeTool(*sum, chains::ToolCallContext{}, R"({"a": 0.5, "b": -2})");
  REQUIRE(added.ok());
  CHECK(added->content == "The sum of 0.5 and -2 is -1.5.");
  // The MCP inputSchema is checked before the server is asked.
  absl::StatusOr<chains::ToolOutput> rejected = InvokeTool(*sum, chains::ToolCallContext{}, R"({"a": "x", "b": 1})");
  CHECK(absl::IsInvalidArgument(rejected.status()));
  CHECK_THAT(std::string(rejected.status().message()), Catch::StartsWith("tool 'everything_get-sum': $.a"));

  // The same server again for the same tenant collides.
  absl::Status again = AddMcpServerTools(registry, config, "bank");
  CHECK(absl::IsAlreadyExists(again));
  CHECK_THAT(std::string(again.message()), Catch::Contains("mcp:everything"));
}

TEST_CASE("MCP tools from server-everything over streamable HTTP use the configured prefix", "[integration]") {
  std::optional<std::string> script = EverythingServerScript();
  if (!script) {
    WARN("skipped: @modelcontextprotocol/server-everything is missing from the asset dir");
    return;
  }
  catena::testing::EverythingHttpServer server(*script);
  REQUIRE(server.WaitReady(std::chrono::seconds(15)));
  McpServerConfig config;
  config.name = "ev-http";
  connectors::McpHttpOptions http;
  http.url = server.url();
  config.transport = http;
  config.prefix = "ev.";
  config.timeout = absl::Seconds(10);
  absl::StatusOr<ToolList> tools = LoadMcpServerTools(config);
  REQUIRE(tools.ok());
  CheckEverythingTools(*tools, "ev.", "ev-http");
}

TEST_CASE("an MCP tool whose server dies reports UNAVAILABLE with the exit status", "[unit]") {
  McpServerConfig config;
  config.name = "fragile";
  connectors::McpStdioOptions stdio;
  stdio.command = "/bin/sh";
  stdio.args = {"-c",
                "read init; echo '{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"protocolVersion\":\"2025-03-26\","
                "\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"f\",\"version\":\"1\"}}}'; read n; "
                "read list; echo '{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"tools\":[{\"name\":\"open ticket\","
                "\"inputSchema\":{\"type\":\"object\"}}]}}'; read call; exit 7"};
  config.transport = stdio;
  config.timeout = absl::Seconds(5);
  absl::StatusOr<ToolList> tools = LoadMcpServerTools(config);
  REQUIRE(tools.ok());
  REQUIRE(tools->size() == 1);
  CHECK((*tools)[0]->definition().name == "fragile_open_ticket");  // the space is not allowed in tool names
  absl::StatusOr<chains::ToolOutput> result = Call(*(*tools)[0], "");
  CHECK(absl::IsUnavailable(result.status()));
  CHECK_THAT(std::string(result.status().message()),
             Catch::Contains("tool 'fragile_open_ticket'") && Catch::Contains("exited with status 7"));
}

TEST_CASE("MCP server configs are checked before connecting", "[unit]") {
  McpServerConfig config;
  config.name = "bad name";
  config.transport = connectors::McpStdioOptions{.command = "/bin/true"};
  CHECK_THAT(std::string(ConnectMcpServer(config).status().message()), Catch::Contains("name 'bad name'"));
  config.name = "web";
  config.transport = connectors::McpHttpOptions{};
  CHECK_THAT(std::string(ConnectMcpServer(config).status().message()), Catch::Contains("http.url is empty"));
  config.transport = connectors::McpHttpOptions{.url = "ftp://example.invalid/mcp"};
  CHECK(absl::IsInvalidArgument(ConnectMcpServer(config).status()));
  CHECK(McpToolName("srv_", "a/b c") == "srv_a_b_c");
  CHECK(McpToolName("srv_", std::string(70, 'x')).empty());
}

TEST_CASE("MCP server entries are read from config JSON with secrets resolved", "[unit]") {
  setenv("MCP_TOOLS_TEST_TOKEN", "s3cret", 1);
  absl::StatusOr<McpServerConfig> http =
      ParseMcpServerConfig(nlohmann::json::parse(R"({"name": "tickets", "http": {"url": "http://127.0.0.1:9/mcp",
        "headers": {"Authorization": "env:MCP_TOOLS_TEST_TOKEN"}}, "prefix": "t_", "timeout": "1500ms",
        "approval": {"when": "args.priority == 'high'"}})"),
                           "tools.yaml mcp_servers[0]");
  REQUIRE(http.ok());
  CHECK(http->name == "tickets");
  CHECK(http->prefix == "t_");
  CHECK(http->timeout == absl::Milliseconds(1500));
  CHECK(http->approval.mode == chains::ApprovalPolicy::Mode::kWhen);
  CHECK(http->approval.condition == "args.priority == 'high'");
  const auto& options = std::get<connectors::McpHttpOptions>(http->transport);
  CHECK(options.url == "http://127.0.0.1:9/mcp");
  REQUIRE(options.headers.size() == 1);
  CHECK(options.headers[0] == std::make_pair(std::string("Authorization"), std::string("s3cret")));

  absl::StatusOr<McpServerConfig> stdio = ParseMcpServerConfig(
      nlohmann::ordered_json::parse(R"({"name": "fs", "stdio": {"command": "node", "args": ["server.js", "stdio"],
        "env": {"LEVEL": "debug"}, "cwd": "/srv"}, "approval": "always"})"),
      "catena.yaml mcp.servers[1]");
  REQUIRE(stdio.ok());
  const auto& process = std::get<connectors::McpStdioOptions>(stdio->transport);
  CHECK(process.args == std::vector<std::string>{"server.js", "stdio"});
  CHECK(process.env == std::vector<std::pair<std::string, std::string>>{{"LEVEL", "debug"}});
  CHECK(process.cwd == "/srv");
  CHECK(stdio->approval.mode == chains::ApprovalPolicy::Mode::kAlways);
  CHECK_FALSE(stdio->prefix.has_value());

  auto error = [](const char* text) {
    return std::string(ParseMcpServerConfig(nlohmann::json::parse(text), "s[2]").status().message());
  };
  CHECK(error(R"({"name": "x", "stdio": {"command": "a", "args": "b"}})") ==
        "s[2].stdio.args: expected a list of strings");
  CHECK(error(R"({"name": "x"})") == "s[2]: give exactly one of stdio or http");
  CHECK(error(R"({"name": "x", "http": {"url": "ftp://h"}})") ==
        "s[2].http.url: 'ftp://h' must start with http:// or https://");
  CHECK(error(R"({"name": "x", "http": {"url": "http://h"}, "timeout": "soon"})") ==
        "s[2].timeout: 'soon' is not a positive duration such as 30s or 500ms");
  CHECK_THAT(error(R"({"name": "x", "http": {"url": "http://h"}, "retries": 3})"),
             Catch::StartsWith("s[2].retries: unknown field"));
  CHECK_THAT(error(R"({"name": "x", "http": {"url": "http://h", "headers": {"A": "env:MCP_TOOLS_TEST_UNSET_VAR"}}})"),
             Catch::Contains("MCP_TOOLS_TEST_UNSET_VAR"));
}

TEST_CASE("a tool file's mcp_servers entries add the server's tools next to its HTTP tools", "[integration]") {
  std::optional<std::string> script = EverythingServerScript();
  if (!script) {
    WARN("skipped: @modelcontextprotocol/server-everything is missing from the asset dir");
    return;
  }
  const std::string yaml = "mcp_servers:\n  - name: everything\n    stdio: {command: /usr/bin/node, args: ['" +
                           *script + "', stdio]}\n    prefix: ev_\n    approval: always\n";
  absl::StatusOr<ToolList> tools = ParseToolFile(yaml, "mcp.yaml");
  REQUIRE(tools.ok());
  CheckEverythingTools(*tools, "ev_", "everything");
  CHECK(Find(*tools, "ev_echo")->definition().approval.mode == chains::ApprovalPolicy::Mode::kAlways);

  absl::StatusOr<ToolList> broken =
      ParseToolFile("tools: []\nmcp_servers:\n  - name: gone\n    stdio: {command: /bin/false}\n", "mcp.yaml");
  REQUIRE_FALSE(broken.ok());
  CHECK_THAT(std::string(broken.status().message()), Catch::StartsWith("mcp.yaml:3:5: mcp_servers[0]: "));
}

}  // namespace
}  // namespace catena::agents
