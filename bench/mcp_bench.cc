// MCP tool call round trip (issue 8, metric mcp_call_ms): tools/call of server-everything's echo tool through
// Catena's McpClient over stdio and streamable HTTP, p50 and p99, side by side with the official MCP TypeScript
// SDK client making the same calls (bench/mcp_sdk_reference.mjs), with the p50 ratios. Needs /usr/bin/node and the
// npm asset @modelcontextprotocol/server-everything; prints nothing (and says why on stderr) without them.
// CATENA_BENCH_SCALE (default 1) scales the number of calls (1000 at scale 1).
#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "connectors/mcp_client.h"
#include "connectors/mcp_http_transport.h"
#include "connectors/mcp_stdio_transport.h"
#include "spdlog/spdlog.h"
#include "tests/support/mcp_everything.h"

namespace {

using catena::bench::Emit;
using catena::bench::Quantile;
using namespace catena::connectors;

constexpr int kWarmup = 20;

// Latencies in ms of `calls` echo round trips after a warm-up; empty when a call failed.
std::vector<double> TimeEcho(McpClient& client, int calls) {
  std::vector<double> latencies;
  for (int i = 0; i < calls + kWarmup; ++i) {
    std::string message = "ping " + std::to_string(i);
    auto started = std::chrono::steady_clock::now();
    absl::StatusOr<McpToolResult> result = client.CallTool("echo", {{"message", message}});
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    if (!result.ok() || result->Text() != "Echo: " + message) {
      std::fprintf(stderr, "mcp_bench: echo failed: %s\n",
                   result.ok() ? result->Text().c_str() : result.status().ToString().c_str());
      return {};
    }
    if (i >= kWarmup) latencies.push_back(ms);
  }
  return latencies;
}

std::vector<double> TimeClient(std::unique_ptr<McpTransport> transport, int calls) {
  McpClientOptions options;
  options.server_name = "everything";
  absl::StatusOr<std::shared_ptr<McpClient>> client = McpClient::Connect(std::move(transport), options);
  if (!client.ok()) {
    std::fprintf(stderr, "mcp_bench: %s\n", client.status().ToString().c_str());
    return {};
  }
  return TimeEcho(**client, calls);
}

// Runs the SDK reference; returns {stdio latencies, http latencies} (empty on failure).
std::array<std::vector<double>, 2> RunReference(const std::string& script, int calls, const std::string& url) {
  std::string command = std::string(catena::testing::kNodePath) + " '" + CATENA_SOURCE_DIR +
                        "/bench/mcp_sdk_reference.mjs' '" + catena::DefaultAssetDir().string() + "' '" + script + "' " +
                        std::to_string(calls) + " '" + url + "'";
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  for (char buffer[65536]; pipe != nullptr && std::fgets(buffer, sizeof buffer, pipe) != nullptr;) out += buffer;
  if (pipe == nullptr || pclose(pipe) != 0) return {};
  nlohmann::json parsed = nlohmann::json::parse(out, nullptr, false);
  if (parsed.is_discarded()) return {};
  return {parsed["stdio"].get<std::vector<double>>(), parsed["http"].get<std::vector<double>>()};
}

void Report(const std::string& name, std::vector<double> ours, std::vector<double> reference) {
  if (ours.empty()) return;
  double p50 = Quantile(ours, 0.5);
  Emit("agents", name + "_p50", "mcp_call_ms", p50, "ms");
  Emit("agents", name + "_p99", "mcp_call_ms", Quantile(ours, 0.99), "ms");
  if (reference.empty()) return;
  double reference_p50 = Quantile(reference, 0.5);
  Emit("agents", name + "_p50_sdk_reference", "mcp_call_ms", reference_p50, "ms");
  Emit("agents", name + "_p99_sdk_reference", "mcp_call_ms", Quantile(reference, 0.99), "ms");
  Emit("agents", name + "_p50_vs_sdk", "ratio", p50 / reference_p50, "x");
}

}  // namespace

int main() {
  std::optional<std::string> script = catena::testing::EverythingServerScript();
  if (!script) {
    std::fprintf(stderr, "mcp_bench: skipped: /usr/bin/node or @modelcontextprotocol/server-everything is missing\n");
    return 0;
  }
  double scale = std::max(0.01, std::stod(catena::bench::EnvOr("CATENA_BENCH_SCALE", "1")));
  int calls = std::max(50, static_cast<int>(1000 * scale));
  spdlog::set_level(spdlog::level::warn);  // the server's stderr banner is logged at info

  std::vector<double> stdio =
      TimeClient(std::make_unique<McpStdioTransport>(catena::testing::EverythingStdio(*script)), calls);
  catena::testing::EverythingHttpServer server(*script);
  std::vector<double> http;
  if (server.WaitReady(std::chrono::seconds(20))) {
    McpHttpOptions options;
    options.url = server.url();
    http = TimeClient(std::make_unique<McpHttpTransport>(options), calls);
  } else {
    std::fprintf(stderr, "mcp_bench: the streamable HTTP server did not start\n");
  }
  std::array<std::vector<double>, 2> reference = RunReference(*script, calls, http.empty() ? "" : server.url());
  if (reference[0].empty()) std::fprintf(stderr, "mcp_bench: the SDK reference failed; no comparison\n");
  Report("mcp_stdio_echo", std::move(stdio), std::move(reference[0]));
  Report("mcp_http_echo", std::move(http), std::move(reference[1]));
  return 0;
}
