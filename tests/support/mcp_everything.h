// Helpers for tests and benchmarks that talk to the reference MCP server (@modelcontextprotocol/server-everything
// from the npm asset dir, run with /usr/bin/node): where its script is, stdio options to spawn it, and an
// EverythingHttpServer that runs its streamable HTTP mode on a free port. Header-only; not thread-safe.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/asset_paths.h"
#include "connectors/mcp_stdio_transport.h"

extern char** environ;

namespace catena::testing {

inline constexpr const char kNodePath[] = "/usr/bin/node";

// The server's entry script (dist/index.js), or nullopt when the npm asset or node is missing.
inline std::optional<std::string> EverythingServerScript() {
  namespace fs = std::filesystem;
  fs::path bin = DefaultAssetDir() / "node_modules" / ".bin" / "mcp-server-everything";
  std::error_code error;
  fs::path script = fs::canonical(bin, error);
  if (error || !fs::exists(kNodePath)) return std::nullopt;
  return script.string();
}

// Options that spawn the server in stdio mode.
inline connectors::McpStdioOptions EverythingStdio(const std::string& script) {
  connectors::McpStdioOptions options;
  options.command = kNodePath;
  options.args = {script, "stdio"};
  return options;
}

// A TCP port that was free a moment ago on 127.0.0.1.
inline int FreeTcpPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

inline bool CanConnect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return ok;
}

// A node HTTP server listening on PORT from the environment (a free port), its output discarded; killed on
// destruction. By default server-everything in streamableHttp mode; `node_args` replaces its arguments.
class EverythingHttpServer {
 public:
  explicit EverythingHttpServer(const std::string& script, std::vector<std::string> node_args = {})
      : port_(FreeTcpPort()) {
    if (node_args.empty()) node_args = {script, "streamableHttp"};
    std::vector<std::string> args = {kNodePath};
    args.insert(args.end(), node_args.begin(), node_args.end());
    std::vector<std::string> env = {"PORT=" + std::to_string(port_)};
    for (char** entry = environ; *entry != nullptr; ++entry) {
      if (std::string_view(*entry).substr(0, 5) != "PORT=") env.emplace_back(*entry);
    }
    std::vector<char*> argv, envp;
    for (auto& arg : args) argv.push_back(arg.data());
    for (auto& var : env) envp.push_back(var.data());
    argv.push_back(nullptr);
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid_, kNodePath, &actions, nullptr, argv.data(), envp.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~EverythingHttpServer() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  // Waits until the port accepts connections; false after `timeout` or when the server exited.
  bool WaitReady(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
      if (CanConnect(port_)) return true;
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/mcp"; }
  int port() const { return port_; }

 private:
  int port_;
  pid_t pid_ = -1;
};

}  // namespace catena::testing
