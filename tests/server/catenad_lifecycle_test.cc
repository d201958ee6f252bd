// Process lifecycle of catenad: SIGTERM/SIGINT drain in-flight calls and exit 0; usage and configuration errors
// (bad file, unknown flag, port in use) print one clear line and exit 2.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <future>
#include <thread>

#include "catena/client.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/server/catenad_fixture.h"

namespace catena::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using HealthResponse = grpc::health::v1::HealthCheckResponse;

// Lines of `text` that are not empty.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  std::istringstream stream(text);
  while (std::getline(stream, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::string WriteFile(const std::filesystem::path& dir, const std::string& name, const std::string& content) {
  const auto path = dir / name;
  std::ofstream(path) << content;
  return path.string();
}

// Runs catenad with `args` expecting a start-up failure; returns its stderr after checking exit code 2 and
// that it printed exactly one line.
std::string ExpectStartupError(std::vector<std::string> args, std::vector<std::string> env = {}) {
  args.insert(args.begin(), BuiltProgram("catenad"));
  RunResult result = RunToCompletion(args, seconds(30), env);
  INFO("stderr: " << result.err << "\nstdout: " << result.out);
  CHECK(result.exit_code == 2);
  CHECK(Lines(result.err).size() == 1);
  CHECK(result.out.empty());
  return result.err;
}

TEST_CASE("SIGTERM drains an in-flight call, reports NOT_SERVING, and exits 0", "[integration]") {
  CatenadProcess catenad;
  auto channel = grpc::CreateChannel(catenad.grpc_address(), grpc::InsecureChannelCredentials());

  // A health watch opened before the signal sees the switch to NOT_SERVING.
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext watch_context;
  watch_context.set_deadline(std::chrono::system_clock::now() + seconds(20));
  grpc::health::v1::HealthCheckRequest watch_request;
  watch_request.set_service("catena.v1.RetrievalService");
  auto watch = health->Watch(&watch_context, watch_request);
  HealthResponse update;
  REQUIRE(watch->Read(&update));
  REQUIRE(update.status() == HealthResponse::SERVING);

  auto client = sdk::Client::Create({.address = catenad.grpc_address()}).value();
  auto slow_ping = std::async(std::launch::async, [&] { return client->Ping("drained", absl::Milliseconds(1500)); });
  std::this_thread::sleep_for(milliseconds(300));  // the ping is now in flight
  const auto signalled = std::chrono::steady_clock::now();
  catenad.process().Signal(SIGTERM);

  bool saw_not_serving = false;
  while (watch->Read(&update)) {
    if (update.status() == HealthResponse::NOT_SERVING) {
      saw_not_serving = true;
      break;
    }
  }
  CHECK(saw_not_serving);
  // The server ends the watch itself, so an open watch does not hold the drain for its full timeout (10 s).
  CHECK_FALSE(watch->Read(&update));
  CHECK(watch->Finish().ok());
  absl::StatusOr<std::string> echoed = slow_ping.get();
  CHECK(echoed.status().ok());
  CHECK(echoed.value_or("") == "drained");
  CHECK(catenad.process().Wait(seconds(20)) == 0);
  CHECK(std::chrono::steady_clock::now() - signalled < seconds(6));
  CHECK(client->Ping("late").status().code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("SIGINT cancels calls that outlive the drain timeout and still exits 0", "[integration]") {
  CatenadProcess catenad({"--set", "server.drain_timeout_ms=200"});
  auto client = sdk::Client::Create({.address = catenad.grpc_address(), .timeout = absl::Seconds(30)}).value();
  auto slow_ping = std::async(std::launch::async, [&] { return client->Ping("x", absl::Seconds(8)); });
  std::this_thread::sleep_for(milliseconds(300));
  const auto signalled = std::chrono::steady_clock::now();
  catenad.process().Signal(SIGINT);
  CHECK(catenad.process().Wait(seconds(20)) == 0);
  absl::Status status = slow_ping.get().status();
  CHECK(!status.ok());
  CHECK(std::chrono::steady_clock::now() - signalled < seconds(6));
}

TEST_CASE("an unknown key in the config file is one error line naming file, line and key", "[integration]") {
  const auto dir = MakeTempDir("catenad-config");
  const std::string file = WriteFile(dir, "bad.yaml", "server:\n  grcp_port: 5\n");
  std::string error = ExpectStartupError({"--config", file});
  CHECK_THAT(error, Catch::Contains("bad.yaml:2:3"));
  CHECK_THAT(error, Catch::Contains("unknown key 'server.grcp_port'"));
  CHECK_THAT(error, Catch::Contains("server.grpc_port"));  // the suggestion
}

TEST_CASE("a wrongly typed config value is an error naming key and line", "[integration]") {
  const auto dir = MakeTempDir("catenad-config");
  const std::string file = WriteFile(dir, "typed.yaml", "# comment\nserver:\n  http_port: eighty\n");
  std::string error = ExpectStartupError({"--config", file});
  CHECK_THAT(error, Catch::Contains("typed.yaml:3:14"));
  CHECK_THAT(error, Catch::Contains("server.http_port"));
  CHECK_THAT(error, Catch::Contains("eighty"));
}

TEST_CASE("a missing config file, a bad flag value and a bad environment value are exit-2 errors", "[integration]") {
  CHECK_THAT(ExpectStartupError({"--config", "/nonexistent/catena.yaml"}), Catch::Contains("/nonexistent/catena.yaml"));
  CHECK_THAT(ExpectStartupError({"--grpc-port", "70000"}), Catch::Contains("--grpc-port"));
  CHECK_THAT(ExpectStartupError({"--service", "retrieval,teleport"}), Catch::Contains("unknown service 'teleport'"));
  CHECK_THAT(ExpectStartupError({}, {"CATENA_SERVER_GRPC_PORT=abc"}), Catch::Contains("CATENA_SERVER_GRPC_PORT"));
}

TEST_CASE("an unknown flag is one error line and exit code 2", "[integration]") {
  std::string error = ExpectStartupError({"--bogus-flag"});
  CHECK_THAT(error, Catch::Contains("--bogus-flag"));
}

TEST_CASE("a gRPC port already in use is one error line and exit code 2", "[integration]") {
  CatenadProcess first;
  const auto dir = MakeTempDir("catenad-second");
  std::string error = ExpectStartupError(
      {"--grpc-port", std::to_string(first.grpc_port()), "--http-port", "0", "--data-dir", dir.string()});
  CHECK_THAT(error, Catch::Contains("cannot listen for gRPC on 127.0.0.1:" + std::to_string(first.grpc_port())));
  CHECK_THAT(error, Catch::Contains("Address already in use"));
}

TEST_CASE("an HTTP port already in use is one error line and exit code 2", "[integration]") {
  CatenadProcess first;
  const std::string http_port = first.http_address().substr(first.http_address().rfind(':') + 1);
  const auto dir = MakeTempDir("catenad-second");
  std::string error = ExpectStartupError({"--grpc-port", "0", "--http-port", http_port, "--data-dir", dir.string()});
  CHECK_THAT(error, Catch::Contains("cannot listen for HTTP"));
  CHECK_THAT(error, Catch::Contains("in use"));
}

TEST_CASE("print-config shows the effective value and where it came from", "[integration]") {
  RunResult result = RunToCompletion({BuiltProgram("catenad"), "--print-config", "--grpc-port", "6000"}, seconds(30),
                                     {"CATENA_SERVER_HTTP_PORT=6001"});
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("6000"));
  CHECK_THAT(result.out, Catch::Contains("--grpc-port"));
  CHECK_THAT(result.out, Catch::Contains("6001"));
  CHECK_THAT(result.out, Catch::Contains("CATENA_SERVER_HTTP_PORT"));
}

}  // namespace
}  // namespace catena::testing
