// McpClient against the real reference server (server-everything over stdio and streamable HTTP) and against
// scripted misbehaving servers (dies mid-call, never answers, writes garbage on stdout).
#include "connectors/mcp_client.h"

#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "connectors/json_rpc.h"
#include "connectors/mcp_http_transport.h"
#include "connectors/mcp_stdio_transport.h"
#include "tests/support/mcp_everything.h"

namespace catena::connectors {
namespace {

using json = nlohmann::ordered_json;
using catena::testing::EverythingHttpServer;
using catena::testing::EverythingServerScript;
using catena::testing::EverythingStdio;

constexpr const char kInitReply[] =
    R"({"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},)"
    R"("serverInfo":{"name":"scripted","version":"0.0.1"}}})";

// A /bin/sh "server" that answers initialize and then runs `rest`.
McpStdioOptions ScriptedServer(const std::string& rest) {
  McpStdioOptions options;
  options.command = "/bin/sh";
  options.args = {"-c", std::string("read init; echo '") + kInitReply + "'; read initialized; " + rest};
  return options;
}

absl::StatusOr<std::shared_ptr<McpClient>> ConnectStdio(McpStdioOptions stdio, absl::Duration timeout) {
  McpClientOptions options;
  options.server_name = "test";
  options.request_timeout = timeout;
  return McpClient::Connect(std::make_unique<McpStdioTransport>(std::move(stdio)), options);
}

const McpTool* FindTool(const std::vector<McpTool>& tools, const std::string& name) {
  for (const McpTool& tool : tools) {
    if (tool.name == name) return &tool;
  }
  return nullptr;
}

// The checks both transports must pass against server-everything.
void CheckEverythingServer(McpClient& client) {
  CHECK(client.server().protocol_version == kMcpLatestProtocolVersion);
  CHECK(!client.server().name.empty());
  CHECK(client.server().capabilities.contains("tools"));

  absl::StatusOr<std::vector<McpTool>> tools = client.ListTools();
  REQUIRE(tools.ok());
  const McpTool* echo = FindTool(*tools, "echo");
  const McpTool* sum = FindTool(*tools, "get-sum");
  REQUIRE(echo != nullptr);
  REQUIRE(sum != nullptr);
  CHECK(echo->description == "Echoes back the input string");
  CHECK(echo->input_schema["properties"]["message"]["type"] == "string");
  CHECK(sum->input_schema["properties"]["a"]["type"] == "number");

  absl::StatusOr<McpToolResult> echoed = client.CallTool("echo", {{"message", "hello catena"}});
  REQUIRE(echoed.ok());
  CHECK_FALSE(echoed->is_error);
  CHECK(echoed->Text() == "Echo: hello catena");

  absl::StatusOr<McpToolResult> added = client.CallTool("get-sum", {{"a", 2.5}, {"b", 4}});
  REQUIRE(added.ok());
  CHECK(added->Text() == "The sum of 2.5 and 4 is 6.5.");

  absl::StatusOr<McpToolResult> bad = client.CallTool("get-sum", {{"a", "two"}, {"b", 4}});
  REQUIRE(bad.ok());
  CHECK(bad->is_error);
  CHECK_THAT(bad->Text(), Catch::Contains("Invalid arguments for tool get-sum"));

  absl::StatusOr<McpToolResult> unknown = client.CallTool("no-such-tool", json::object());
  REQUIRE(unknown.ok());
  CHECK(unknown->is_error);
  CHECK_THAT(unknown->Text(), Catch::Contains("Tool no-such-tool not found"));

  absl::StatusOr<json> method = client.Request("no/such/method", nullptr);
  CHECK(absl::IsUnimplemented(method.status()));
  CHECK_THAT(std::string(method.status().message()), Catch::Contains("no/such/method") && Catch::Contains("-32601"));
}

TEST_CASE("an MCP client lists and calls the tools of server-everything over stdio", "[integration]") {
  std::optional<std::string> script = EverythingServerScript();
  if (!script) {
    WARN("skipped: @modelcontextprotocol/server-everything is missing from the asset dir (scripts/fetch-assets.sh)");
    return;
  }
  absl::StatusOr<std::shared_ptr<McpClient>> client = ConnectStdio(EverythingStdio(*script), absl::Seconds(10));
  REQUIRE(client.ok());
  CheckEverythingServer(**client);
}

TEST_CASE("an MCP client matches concurrent calls to their replies", "[integration]") {
  std::optional<std::string> script = EverythingServerScript();
  if (!script) {
    WARN("skipped: @modelcontextprotocol/server-everything is missing from the asset dir");
    return;
  }
  absl::StatusOr<std::shared_ptr<McpClient>> client = ConnectStdio(EverythingStdio(*script), absl::Seconds(10));
  REQUIRE(client.ok());
  std::atomic<int> matched{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        std::string message = "thread " + std::to_string(t) + " call " + std::to_string(i);
        absl::StatusOr<McpToolResult> result = (*client)->CallTool("echo", {{"message", message}});
        if (result.ok() && result->Text() == "Echo: " + message) ++matched;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(matched == 40);
}

TEST_CASE("an MCP client speaks streamable HTTP with server-everything", "[integration]") {
  std::optional<std::string> script = EverythingServerScript();
  if (!script) {
    WARN("skipped: @modelcontextprotocol/server-everything is missing from the asset dir");
    return;
  }
  EverythingHttpServer server(*script);
  REQUIRE(server.WaitReady(std::chrono::seconds(15)));
  McpHttpOptions http;
  http.url = server.url();
  auto transport = std::make_unique<McpHttpTransport>(http);
  McpHttpTransport* raw = transport.get();
  McpClientOptions options;
  options.server_name = "everything-http";
  options.request_timeout = absl::Seconds(10);
  absl::StatusOr<std::shared_ptr<McpClient>> client = McpClient::Connect(std::move(transport), options);
  REQUIRE(client.ok());
  CHECK(raw->session_id().size() >= 16);  // assigned at initialize and sent on every later request
  CheckEverythingServer(**client);
}

// A scripted streamable HTTP server answering with plain JSON bodies: it assigns session "s-1" at initialize,
// reports the headers it got through the "headers" tool, never answers the "slow" tool, and fails tools/list.
constexpr const char kJsonServer[] = R"JS(
const http = require("http");
http.createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    const msg = JSON.parse(body);
    const reply = (result, headers = {}) => {
      res.writeHead(200, { "Content-Type": "application/json", ...headers });
      res.end(JSON.stringify({ jsonrpc: "2.0", id: msg.id, result }));
    };
    if (msg.id === undefined) { res.writeHead(202); res.end(); return; }
    if (msg.method === "initialize") {
      return reply({ protocolVersion: "2025-03-26", capabilities: { tools: {} }, serverInfo: { name: "json", version: "1" } },
                   { "Mcp-Session-Id": "s-1" });
    }
    if (msg.method === "tools/list") { res.writeHead(500); res.end("database on fire"); return; }
    if (msg.params.name === "slow") return;
    const h = req.headers;
    reply({ content: [{ type: "text", text: `${h["mcp-session-id"]} ${h["mcp-protocol-version"]} ${h["authorization"]} ${h["accept"]}` }] });
  });
}).listen(Number(process.env.PORT), "127.0.0.1");
)JS";

TEST_CASE("the MCP HTTP transport handles JSON replies, session headers and HTTP errors", "[integration]") {
  if (!std::filesystem::exists(catena::testing::kNodePath)) {
    WARN("skipped: /usr/bin/node is missing");
    return;
  }
  EverythingHttpServer server("", {"-e", kJsonServer});
  REQUIRE(server.WaitReady(std::chrono::seconds(15)));
  McpHttpOptions http;
  http.url = server.url();
  http.headers = {{"Authorization", "Bearer t0ken"}};
  McpClientOptions options;
  options.server_name = "json";
  options.request_timeout = absl::Seconds(1);
  absl::StatusOr<std::shared_ptr<McpClient>> client =
      McpClient::Connect(std::make_unique<McpHttpTransport>(http), options);
  REQUIRE(client.ok());
  CHECK((*client)->server().protocol_version == "2025-03-26");
  absl::StatusOr<McpToolResult> headers = (*client)->CallTool("headers", json::object());
  REQUIRE(headers.ok());
  CHECK(headers->Text() == "s-1 2025-03-26 Bearer t0ken application/json, text/event-stream");

  absl::StatusOr<std::vector<McpTool>> listed = (*client)->ListTools();
  CHECK(absl::IsUnavailable(listed.status()));
  CHECK_THAT(std::string(listed.status().message()),
             Catch::Contains("HTTP 500") && Catch::Contains("database on fire"));

  auto started = std::chrono::steady_clock::now();
  CHECK(absl::IsDeadlineExceeded((*client)->CallTool("slow", json::object()).status()));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
}

TEST_CASE("an MCP HTTP server that is not listening is UNAVAILABLE", "[unit]") {
  McpHttpOptions http;
  http.url = "http://127.0.0.1:" + std::to_string(catena::testing::FreeTcpPort()) + "/mcp";
  absl::StatusOr<std::shared_ptr<McpClient>> client =
      McpClient::Connect(std::make_unique<McpHttpTransport>(http), McpClientOptions{});
  CHECK(absl::IsUnavailable(client.status()));
  CHECK_THAT(std::string(client.status().message()), Catch::Contains("initialize"));
}

TEST_CASE("a stdio MCP server that dies mid-call fails the call with its exit status", "[unit]") {
  absl::StatusOr<std::shared_ptr<McpClient>> client =
      ConnectStdio(ScriptedServer("read call; echo 'out of cheese' >&2; exit 3"), absl::Seconds(10));
  REQUIRE(client.ok());
  CHECK((*client)->server().name == "scripted");
  auto started = std::chrono::steady_clock::now();
  absl::StatusOr<McpToolResult> result = (*client)->CallTool("echo", {{"message", "hi"}});
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  REQUIRE(absl::IsUnavailable(result.status()));
  std::string message(result.status().message());
  CHECK_THAT(message, Catch::Contains("MCP server 'test'") && Catch::Contains("exited with status 3") &&
                          Catch::Contains("out of cheese"));
  // Later calls fail at once with the same reason.
  CHECK(absl::IsUnavailable((*client)->ListTools().status()));
}

TEST_CASE("a tool's inputSchema keeps the server's property order", "[unit]") {
  // The order is the one constrained decoding writes the arguments in.
  absl::StatusOr<std::shared_ptr<McpClient>> client = ConnectStdio(
      ScriptedServer(R"(read list; echo '{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"ship",)"
                     R"("inputSchema":{"type":"object","properties":{"zip":{"type":"string"},"city":{}},)"
                     R"("required":["zip"]}}]}}'; cat > /dev/null)"),
      absl::Seconds(10));
  REQUIRE(client.ok());
  absl::StatusOr<std::vector<McpTool>> tools = (*client)->ListTools();
  REQUIRE(tools.ok());
  REQUIRE(tools->size() == 1);
  CHECK((*tools)[0].input_schema.dump() ==
        R"({"type":"object","properties":{"zip":{"type":"string"},"city":{}},"required":["zip"]})");
}

TEST_CASE("a stdio MCP server that never answers hits the deadline", "[unit]") {
  absl::StatusOr<std::shared_ptr<McpClient>> client = ConnectStdio(ScriptedServer("cat > /dev/null"), absl::Seconds(1));
  REQUIRE(client.ok());
  auto started = std::chrono::steady_clock::now();
  absl::StatusOr<McpToolResult> result = (*client)->CallTool("echo", {{"message", "hi"}});
  auto elapsed = std::chrono::steady_clock::now() - started;
  CHECK(absl::IsDeadlineExceeded(result.status()));
  CHECK_THAT(std::string(result.status().message()), Catch::Contains("tools/call"));
  CHECK(elapsed >= std::chrono::milliseconds(900));
  CHECK(elapsed < std::chrono::seconds(3));
  // A caller deadline shorter than the timeout wins.
  McpCallOptions call;
  call.deadline = absl::Now() + absl::Milliseconds(200);
  started = std::chrono::steady_clock::now();
  CHECK(absl::IsDeadlineExceeded((*client)->ListTools(call).status()));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(800));
}

TEST_CASE("a stdio MCP call can be cancelled while it waits", "[unit]") {
  absl::StatusOr<std::shared_ptr<McpClient>> client =
      ConnectStdio(ScriptedServer("cat > /dev/null"), absl::Seconds(10));
  REQUIRE(client.ok());
  auto started = std::chrono::steady_clock::now();
  McpCallOptions call;
  call.cancelled = [&] { return std::chrono::steady_clock::now() - started > std::chrono::milliseconds(200); };
  CHECK(absl::IsCancelled((*client)->CallTool("echo", {{"message", "hi"}}, call).status()));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
}

TEST_CASE("a stdio MCP server that never answers initialize fails Connect with DEADLINE_EXCEEDED", "[unit]") {
  McpStdioOptions stdio;
  stdio.command = "/bin/sh";
  stdio.args = {"-c", "cat > /dev/null"};
  absl::StatusOr<std::shared_ptr<McpClient>> client = ConnectStdio(stdio, absl::Milliseconds(500));
  CHECK(absl::IsDeadlineExceeded(client.status()));
  CHECK_THAT(std::string(client.status().message()), Catch::Contains("initialize"));
}

TEST_CASE("garbage on a stdio MCP server's stdout is a clear error, not a hang", "[unit]") {
  McpStdioOptions stdio;
  stdio.command = "/bin/sh";
  stdio.args = {"-c", "read x; echo 'Server listening, have a nice day'; sleep 30"};
  auto started = std::chrono::steady_clock::now();
  absl::StatusOr<std::shared_ptr<McpClient>> client = ConnectStdio(stdio, absl::Seconds(10));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
  REQUIRE(absl::IsUnavailable(client.status()));
  CHECK_THAT(std::string(client.status().message()),
             Catch::Contains("not a JSON-RPC message") && Catch::Contains("Server listening, have a nice day"));
}

TEST_CASE("a stdio MCP server whose command does not exist is NOT_FOUND", "[unit]") {
  McpStdioOptions stdio;
  stdio.command = "/nonexistent/mcp-server";
  absl::StatusOr<std::shared_ptr<McpClient>> client = ConnectStdio(stdio, absl::Seconds(1));
  CHECK(absl::IsNotFound(client.status()));
  CHECK_THAT(std::string(client.status().message()), Catch::Contains("/nonexistent/mcp-server"));
}

TEST_CASE("a stdio MCP server gets its environment and working directory", "[unit]") {
  McpStdioOptions stdio = ScriptedServer(
      "read call; printf '{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"%s "
      "%s\"}]}}\\n' \"$MCP_TEST_VALUE\" \"$(pwd)\"; cat > /dev/null");
  stdio.env = {{"MCP_TEST_VALUE", "forty-two"}};
  stdio.cwd = "/tmp";
  auto transport = std::make_unique<McpStdioTransport>(stdio);
  McpStdioTransport* raw = transport.get();
  McpClientOptions options;
  options.request_timeout = absl::Seconds(5);
  absl::StatusOr<std::shared_ptr<McpClient>> client = McpClient::Connect(std::move(transport), options);
  REQUIRE(client.ok());
  absl::StatusOr<McpToolResult> result = (*client)->CallTool("anything", json::object());
  REQUIRE(result.ok());
  CHECK(result->Text() == "forty-two /tmp");
  // Dropping the client terminates the server (and the `cat` it started) and reaps it.
  pid_t pid = raw->pid();
  REQUIRE(pid > 0);
  auto started = std::chrono::steady_clock::now();
  client->reset();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
  CHECK(kill(pid, 0) == -1);
  // The orphaned `cat` is reaped by init a moment after it died.
  for (int i = 0; i < 200 && kill(-pid, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(kill(-pid, 0) == -1);
}

TEST_CASE("JSON-RPC messages are classified and bad ones are named", "[unit]") {
  auto response = ParseJsonRpcMessages(R"({"jsonrpc":"2.0","id":7,"result":{"ok":true}})");
  REQUIRE(response.ok());
  CHECK((*response)[0].kind == JsonRpcMessage::Kind::kResponse);
  CHECK((*response)[0].id == 7);
  auto request = ParseJsonRpcMessages(R"([{"jsonrpc":"2.0","id":"a","method":"ping"},{"jsonrpc":"2.0","method":"n"}])");
  REQUIRE(request.ok());
  CHECK((*request)[0].kind == JsonRpcMessage::Kind::kRequest);
  CHECK((*request)[1].kind == JsonRpcMessage::Kind::kNotification);
  auto error = ParseJsonRpcMessages(R"({"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"bad a"}})");
  REQUIRE(error.ok());
  absl::Status status = JsonRpcErrorToStatus(*(*error)[0].error, "tools/call");
  CHECK(absl::IsInvalidArgument(status));
  CHECK(status.message() == "tools/call failed: bad a (JSON-RPC error -32602)");

  auto not_json = ParseJsonRpcMessages("{\"jsonrpc\": oops}");
  CHECK(absl::IsInvalidArgument(not_json.status()));
  CHECK_THAT(std::string(not_json.status().message()), Catch::Contains("byte 13"));
  auto wrong_version = ParseJsonRpcMessages(R"({"jsonrpc":"1.0","id":1,"result":1})");
  CHECK_THAT(std::string(wrong_version.status().message()), Catch::Contains("\"jsonrpc\" is not \"2.0\""));
  auto bad_id = ParseJsonRpcMessages(R"({"jsonrpc":"2.0","id":[1],"method":"x"})");
  CHECK_THAT(std::string(bad_id.status().message()), Catch::Contains("\"id\""));
}

}  // namespace
}  // namespace catena::connectors
