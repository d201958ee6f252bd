// CatenadProcess: starts the real catenad binary on free ports (port 0) with a fresh data directory, waits for
// its ready line and exposes the bound addresses. Used by the server integration tests; the destructor stops
// the process.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"

namespace catena::testing {

class CatenadProcess {
 public:
  // Starts catenad with `extra_args` after the port and data-dir flags, on `data_dir` (empty = a fresh temp
  // dir). Fails the current test (REQUIRE) when no ready line arrives within 30 s.
  explicit CatenadProcess(std::vector<std::string> extra_args = {}, std::vector<std::string> env = {},
                          std::filesystem::path data_dir = {});

  const std::string& grpc_address() const { return grpc_address_; }
  const std::string& http_address() const { return http_address_; }
  int grpc_port() const { return grpc_port_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  Subprocess& process() { return *process_; }

 private:
  std::filesystem::path data_dir_;
  std::unique_ptr<Subprocess> process_;
  std::string grpc_address_;
  std::string http_address_;
  int grpc_port_ = 0;
};

// A fresh empty directory under the system temp dir, removed when the test process exits.
std::filesystem::path MakeTempDir(const std::string& prefix);

// A minimal HTTP/1.1 GET (or other method) against host:port; returns {status, body}; status 0 if unreachable.
struct HttpResult {
  int status = 0;
  std::string body;
};
HttpResult HttpRequestTo(const std::string& address, const std::string& method, const std::string& target);

}  // namespace catena::testing
