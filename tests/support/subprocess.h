// Subprocess: starts a program for integration tests (catenad, clients), reads its output line by line with
// timeouts, sends signals and collects the exit status. Never blocks forever: every wait has a deadline, and
// the destructor kills a process that is still running. One thread per Subprocess.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace catena::testing {

class Subprocess {
 public:
  // Starts `argv[0]` with `argv`; stdout and stderr are captured separately. Extra `env` entries
  // ("KEY=VALUE") are added to the inherited environment.
  explicit Subprocess(std::vector<std::string> argv, std::vector<std::string> env = {});
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // The next stdout line (without '\n'), or nullopt on EOF or timeout.
  std::optional<std::string> ReadStdoutLine(std::chrono::milliseconds timeout);
  // Sends `signal_number` to the process.
  void Signal(int signal_number);
  // Waits for exit; returns the exit code (128 + signal when killed), or nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // Everything the process wrote to stderr so far (after Wait: all of it).
  std::string Stderr();
  // Everything read from stdout so far, including lines not yet returned by ReadStdoutLine.
  std::string Stdout();

  pid_t pid() const { return pid_; }

 private:
  // Moves available bytes from `fd` into `buffer`; false on EOF.
  static bool Drain(int fd, std::string& buffer);
  void DrainAll(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::string stdout_;
  size_t stdout_read_ = 0;
  std::string stderr_;
  std::optional<int> exit_code_;
};

// Runs a program to completion (at most `timeout`) and returns {exit code, stdout, stderr}.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
RunResult RunToCompletion(std::vector<std::string> argv, std::chrono::milliseconds timeout,
                          std::vector<std::string> env = {});

// Absolute path of a built program in the build tree's bin/ (e.g. "catenad").
std::string BuiltProgram(const std::string& name);

}  // namespace catena::testing
