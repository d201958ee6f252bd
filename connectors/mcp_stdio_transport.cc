#include "connectors/mcp_stdio_transport.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "spdlog/spdlog.h"

extern char** environ;

namespace catena::connectors {
namespace {

constexpr int kPollMs = 50;

std::string ErrnoText(int error) { return std::strerror(error); }

// The inherited environment with `overrides` applied, as "KEY=VALUE" strings.
std::vector<std::string> BuildEnvironment(const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    size_t eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    env[std::string(text.substr(0, eq))] = std::string(text.substr(eq + 1));
  }
  for (const auto& [key, value] : overrides) env[key] = value;
  std::vector<std::string> out;
  for (const auto& [key, value] : env) out.push_back(absl::StrCat(key, "=", value));
  return out;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Reads what is available on `fd` into `buffer`, waiting at most kPollMs; false on EOF or error.
bool ReadSome(int fd, std::string& buffer) {
  pollfd entry{fd, POLLIN, 0};
  int ready = poll(&entry, 1, kPollMs);
  if (ready < 0) return errno == EINTR;
  if (ready == 0) return true;
  char chunk[65536];
  ssize_t n = read(fd, chunk, sizeof chunk);
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) return false;
  buffer.append(chunk, static_cast<size_t>(n));
  return true;
}

struct SpawnFds {
  int stdin_child = -1, stdin_parent = -1;
  int stdout_child = -1, stdout_parent = -1;
  int stderr_child = -1, stderr_parent = -1;
  void CloseChildEnds() {
    for (int* fd : {&stdin_child, &stdout_child, &stderr_child}) {
      if (*fd >= 0) close(*fd);
      *fd = -1;
    }
  }
  void CloseAll() {
    CloseChildEnds();
    for (int* fd : {&stdin_parent, &stdout_parent, &stderr_parent}) {
      if (*fd >= 0) close(*fd);
      *fd = -1;
    }
  }
};

// stdin is a socket pair so that writes to a dead child fail with EPIPE instead of raising SIGPIPE.
absl::Status OpenFds(SpawnFds& fds) {
  int in[2], out[2], err[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0) {
    return absl::InternalError(absl::StrCat("socketpair: ", ErrnoText(errno)));
  }
  fds.stdin_parent = in[0];
  fds.stdin_child = in[1];
  if (pipe2(out, O_CLOEXEC) != 0) return absl::InternalError(absl::StrCat("pipe: ", ErrnoText(errno)));
  fds.stdout_parent = out[0];
  fds.stdout_child = out[1];
  if (pipe2(err, O_CLOEXEC) != 0) return absl::InternalError(absl::StrCat("pipe: ", ErrnoText(errno)));
  fds.stderr_parent = err[0];
  fds.stderr_child = err[1];
  return absl::OkStatus();
}

// Spawns argv in its own process group with the given fds as 0/1/2; returns the errno of posix_spawnp.
int SpawnChild(const McpStdioOptions& options, const SpawnFds& fds, pid_t& pid) {
  std::vector<std::string> argv_strings = {options.command};
  argv_strings.insert(argv_strings.end(), options.args.begin(), options.args.end());
  std::vector<std::string> env_strings = BuildEnvironment(options.env);
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<char*> envp = CStrings(env_strings);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds.stdin_child, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds.stdout_child, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds.stderr_child, STDERR_FILENO);
  if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t no_signals, default_signals;
  sigemptyset(&no_signals);
  sigemptyset(&default_signals);
  for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP}) sigaddset(&default_signals, s);
  posix_spawnattr_setsigmask(&attributes, &no_signals);
  posix_spawnattr_setsigdefault(&attributes, &default_signals);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  int rc = posix_spawnp(&pid, options.command.c_str(), &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  return rc;
}

}  // namespace

McpStdioTransport::McpStdioTransport(McpStdioOptions options) : options_(std::move(options)) {}

McpStdioTransport::~McpStdioTransport() {
  stopping_ = true;
  if (stdin_fd_ >= 0) shutdown(stdin_fd_, SHUT_RDWR);
  if (pid_ > 0 && !Reap(absl::ZeroDuration())) {
    KillGroup(SIGTERM);
    if (!Reap(options_.shutdown_grace)) {
      KillGroup(SIGKILL);
      Reap(absl::InfiniteDuration());
    }
  }
  if (stdout_thread_.joinable()) stdout_thread_.join();
  if (stderr_thread_.joinable()) stderr_thread_.join();
  for (int fd : {stdin_fd_, stdout_fd_, stderr_fd_}) {
    if (fd >= 0) close(fd);
  }
}

absl::Status McpStdioTransport::Start(MessageHandler on_message, ClosedHandler on_closed) {
  if (options_.command.empty()) return absl::InvalidArgumentError("MCP stdio transport: command is empty");
  if (pid_ > 0) return absl::FailedPreconditionError("MCP stdio transport: already started");
  on_message_ = std::move(on_message);
  on_closed_ = std::move(on_closed);
  SpawnFds fds;
  if (absl::Status opened = OpenFds(fds); !opened.ok()) {
    fds.CloseAll();
    return opened;
  }
  int rc = SpawnChild(options_, fds, pid_);
  fds.CloseChildEnds();
  if (rc != 0) {
    fds.CloseAll();
    pid_ = -1;
    std::string text = absl::StrCat("cannot start ", Describe(), ": ", ErrnoText(rc));
    if (rc == ENOENT) return absl::NotFoundError(text);
    if (rc == ENOTDIR || rc == EACCES) return absl::InvalidArgumentError(text);
    return absl::UnavailableError(text);
  }
  stdin_fd_ = fds.stdin_parent;
  stdout_fd_ = fds.stdout_parent;
  stderr_fd_ = fds.stderr_parent;
  stdout_thread_ = std::thread([this] { ReadStdout(); });
  stderr_thread_ = std::thread([this] { ReadStderr(); });
  return absl::OkStatus();
}

absl::Status McpStdioTransport::Send(const nlohmann::ordered_json& message, absl::Time deadline) {
  std::string line = message.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  line += '\n';
  std::lock_guard<std::mutex> write_lock(write_mu_);
  size_t sent = 0;
  while (sent < line.size()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return *closed_;
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(Describe(), " does not read its stdin"));
    }
    pollfd entry{stdin_fd_, POLLOUT, 0};
    if (poll(&entry, 1, kPollMs) <= 0) continue;
    ssize_t n = send(stdin_fd_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
    } else if (errno != EINTR && errno != EAGAIN) {
      // The child is gone: prefer the reader's status, which names the exit status.
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(2), [this] { return closed_.has_value(); });
      if (closed_) return *closed_;
      return absl::UnavailableError(absl::StrCat(Describe(), " closed its stdin"));
    }
  }
  return absl::OkStatus();
}

std::string McpStdioTransport::Describe() const {
  std::vector<std::string> words = {options_.command};
  words.insert(words.end(), options_.args.begin(), options_.args.end());
  return absl::StrCat("process '", absl::StrJoin(words, " "), "'");
}

void McpStdioTransport::ReadStdout() {
  std::string buffer;
  while (!stopping_) {
    bool open = ReadSome(stdout_fd_, buffer);
    size_t start = 0;
    for (size_t newline; (newline = buffer.find('\n', start)) != std::string::npos; start = newline + 1) {
      if (!HandleLine(std::string_view(buffer).substr(start, newline - start))) return;
    }
    buffer.erase(0, start);
    if (buffer.size() > options_.max_message_bytes) {
      Close(absl::ResourceExhaustedError(
          absl::StrCat(Describe(), " wrote a message over ", options_.max_message_bytes, " bytes on stdout")));
      return;
    }
    if (!open) break;
  }
  if (stopping_) return;
  std::optional<int> status = Reap(options_.shutdown_grace);
  Close(absl::UnavailableError(absl::StrCat(Describe(), " ", DescribeExit(status))));
}

bool McpStdioTransport::HandleLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.find_first_not_of(" \t") == std::string_view::npos) return true;
  absl::StatusOr<std::vector<JsonRpcMessage>> messages = ParseJsonRpcMessages(line);
  if (!messages.ok()) {
    Close(absl::UnavailableError(absl::StrCat(Describe(), " wrote a line on stdout that is not a JSON-RPC message (",
                                              messages.status().message(), ")")));
    return false;
  }
  for (JsonRpcMessage& message : *messages) on_message_(std::move(message));
  return true;
}

void McpStdioTransport::ReadStderr() {
  std::string buffer;
  bool open = true;
  while (open && !stopping_) {
    open = ReadSome(stderr_fd_, buffer);
    if (!open && !buffer.empty() && buffer.back() != '\n') buffer += '\n';
    size_t start = 0;
    for (size_t newline; (newline = buffer.find('\n', start)) != std::string::npos; start = newline + 1) {
      std::string line = buffer.substr(start, newline - start);
      spdlog::info("mcp {} stderr: {}", Describe(), line);
      std::lock_guard<std::mutex> lock(mu_);
      stderr_tail_.push_back(std::move(line));
      if (stderr_tail_.size() > options_.stderr_lines_kept) stderr_tail_.pop_front();
    }
    buffer.erase(0, start);
  }
  std::lock_guard<std::mutex> lock(mu_);
  stderr_done_ = true;
  cv_.notify_all();
}

void McpStdioTransport::Close(absl::Status why) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    closed_ = why;
    cv_.notify_all();
  }
  if (!Reap(absl::ZeroDuration())) KillGroup(SIGKILL);
  if (!stopping_ && on_closed_) on_closed_(std::move(why));
}

std::optional<int> McpStdioTransport::Reap(absl::Duration wait) {
  std::lock_guard<std::mutex> lock(reap_mu_);
  absl::Time deadline = absl::Now() + wait;
  while (!wait_status_) {
    int status = 0;
    pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      wait_status_ = status;
    } else if (done < 0 && errno != EINTR) {
      break;
    } else if (absl::Now() >= deadline) {
      break;
    } else {
      absl::SleepFor(absl::Milliseconds(5));
    }
  }
  return wait_status_;
}

std::string McpStdioTransport::DescribeExit(std::optional<int> wait_status) {
  std::string what = "closed its stdout";
  if (wait_status && WIFEXITED(*wait_status)) {
    what = absl::StrCat("exited with status ", WEXITSTATUS(*wait_status));
  } else if (wait_status && WIFSIGNALED(*wait_status)) {
    what = absl::StrCat("was killed by signal ", WTERMSIG(*wait_status), " (", strsignal(WTERMSIG(*wait_status)), ")");
  }
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stderr_done_; });
  if (stderr_tail_.empty()) return absl::StrCat(what, " (no stderr output)");
  return absl::StrCat(what, "; last stderr: ", JsonRpcSnippet(absl::StrJoin(stderr_tail_, "\n"), 600));
}

void McpStdioTransport::KillGroup(int signal_number) {
  std::lock_guard<std::mutex> lock(reap_mu_);
  if (pid_ > 0 && !wait_status_) kill(-pid_, signal_number);
}

}  // namespace catena::connectors
