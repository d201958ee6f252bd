#include "tests/support/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace catena::testing {
namespace {

using Clock = std::chrono::steady_clock;

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

}  // namespace

Subprocess::Subprocess(std::vector<std::string> argv, std::vector<std::string> env) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t no_signals;
  sigemptyset(&no_signals);
  posix_spawnattr_setsigmask(&attributes, &no_signals);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> args;
  for (std::string& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) environment.emplace_back(*entry);
  environment.insert(environment.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (std::string& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);

  const int rc = posix_spawn(&pid_, args[0], &actions, &attributes, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(out_pipe[1]);
  close(err_pipe[1]);
  stdout_fd_ = out_pipe[0];
  stderr_fd_ = err_pipe[0];
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  fcntl(stdout_fd_, F_SETFL, O_NONBLOCK);
  fcntl(stderr_fd_, F_SETFL, O_NONBLOCK);
}

Subprocess::~Subprocess() {
  if (!exit_code_) {
    kill(pid_, SIGKILL);
    Wait(std::chrono::seconds(10));
  }
  close(stdout_fd_);
  close(stderr_fd_);
}

bool Subprocess::Drain(int fd, std::string& buffer) {
  char chunk[4096];
  while (true) {
    const ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n > 0) {
      buffer.append(chunk, static_cast<size_t>(n));
    } else {
      return !(n == 0);  // n < 0: EAGAIN (still open)
    }
  }
}

void Subprocess::DrainAll(std::chrono::milliseconds timeout) {
  pollfd fds[2] = {{stdout_fd_, POLLIN, 0}, {stderr_fd_, POLLIN, 0}};
  poll(fds, 2, static_cast<int>(timeout.count()));
  Drain(stdout_fd_, stdout_);
  Drain(stderr_fd_, stderr_);
}

std::optional<std::string> Subprocess::ReadStdoutLine(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (size_t newline = stdout_.find('\n', stdout_read_); newline != std::string::npos) {
      std::string line = stdout_.substr(stdout_read_, newline - stdout_read_);
      stdout_read_ = newline + 1;
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd fds[2] = {{stdout_fd_, POLLIN, 0}, {stderr_fd_, POLLIN, 0}};
    poll(fds, 2, static_cast<int>(std::min<int64_t>(left.count(), 100)));
    const bool open = Drain(stdout_fd_, stdout_);
    Drain(stderr_fd_, stderr_);
    if (!open && stdout_.find('\n', stdout_read_) == std::string::npos) return std::nullopt;
  }
}

void Subprocess::Signal(int signal_number) {
  if (!exit_code_) kill(pid_, signal_number);
}

std::optional<int> Subprocess::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!exit_code_) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = ExitCodeOf(status);
      break;
    }
    if (Clock::now() >= deadline) return std::nullopt;
    DrainAll(std::chrono::milliseconds(20));
  }
  DrainAll(std::chrono::milliseconds(0));
  return exit_code_;
}

std::string Subprocess::Stderr() {
  Drain(stderr_fd_, stderr_);
  return stderr_;
}

std::string Subprocess::Stdout() {
  Drain(stdout_fd_, stdout_);
  return stdout_;
}

RunResult RunToCompletion(std::vector<std::string> argv, std::chrono::milliseconds timeout,
                          std::vector<std::string> env) {
  Subprocess process(std::move(argv), std::move(env));
  RunResult result;
  std::optional<int> code = process.Wait(timeout);
  result.exit_code = code.value_or(-1);
  result.out = process.Stdout();
  result.err = process.Stderr();
  return result;
}

std::string BuiltProgram(const std::string& name) { return std::string(CATENA_BINARY_DIR) + "/bin/" + name; }

}  // namespace catena::testing
