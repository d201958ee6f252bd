// McpStdioTransport: runs an MCP server as a child process and speaks newline-delimited JSON-RPC on its stdin
// and stdout (the MCP stdio transport). Its stderr is drained to the log and the last lines are kept for error
// messages. When the child exits, closes stdout or writes something that is not JSON-RPC, the transport closes
// with UNAVAILABLE naming the exit status and the last stderr lines. The destructor terminates the child's
// process group (SIGTERM, then SIGKILL after shutdown_grace). Thread-safe; two internal reader threads.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "connectors/mcp_transport.h"

namespace catena::connectors {

struct McpStdioOptions {
  std::string command;  // an absolute path, or a program name looked up on PATH
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // added to (or replacing) the inherited environment
  std::string cwd;                                       // "" = this process's working directory
  absl::Duration shutdown_grace = absl::Seconds(2);      // SIGTERM -> SIGKILL
  size_t max_message_bytes = 16 << 20;                   // a longer stdout line closes the transport
  size_t stderr_lines_kept = 10;                         // quoted in error messages
};

class McpStdioTransport : public McpTransport {
 public:
  explicit McpStdioTransport(McpStdioOptions options);
  ~McpStdioTransport() override;
  McpStdioTransport(const McpStdioTransport&) = delete;
  McpStdioTransport& operator=(const McpStdioTransport&) = delete;

  // Spawns the command. NOT_FOUND when it does not exist, INVALID_ARGUMENT for an empty command or a bad cwd.
  absl::Status Start(MessageHandler on_message, ClosedHandler on_closed) override;
  // Writes one line to the child's stdin; UNAVAILABLE (with the exit status) once the child is gone.
  absl::Status Send(const nlohmann::ordered_json& message, absl::Time deadline) override;
  std::string Describe() const override;

  // The child's process id (-1 before Start); for tests.
  pid_t pid() const { return pid_; }

 private:
  void ReadStdout();
  void ReadStderr();
  // Handles one complete stdout line; false when the transport was closed because of it.
  bool HandleLine(std::string_view line);
  // Closes the transport once: records `why`, kills the child, calls on_closed_ (unless shutting down).
  void Close(absl::Status why);
  // Waits up to `wait` for the child to exit; returns its wait status when it did.
  std::optional<int> Reap(absl::Duration wait);
  // "exited with status 3" / "was killed by signal 9" / "closed its stdout", plus the last stderr lines.
  std::string DescribeExit(std::optional<int> wait_status);
  void KillGroup(int signal_number);

  const McpStdioOptions options_;
  MessageHandler on_message_;
  ClosedHandler on_closed_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread stdout_thread_;
  std::thread stderr_thread_;

  std::mutex write_mu_;  // serializes Send

  std::mutex reap_mu_;  // guards the fields below and waitpid
  std::optional<int> wait_status_;

  std::mutex mu_;  // guards the fields below
  std::condition_variable cv_;
  std::optional<absl::Status> closed_;
  std::deque<std::string> stderr_tail_;
  bool stderr_done_ = false;
};

}  // namespace catena::connectors
