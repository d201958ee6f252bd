// The `catena` CLI against a live catenad: health, version and ping output and exit codes.
#include <catch2/catch.hpp>

#include "common/version.h"
#include "tests/server/catenad_fixture.h"

namespace catena::testing {
namespace {

using std::chrono::seconds;

RunResult Catena(std::vector<std::string> args) {
  args.insert(args.begin(), BuiltProgram("catena"));
  return RunToCompletion(args, seconds(30));
}

TEST_CASE("catena health prints SERVING and exits 0 for a running server", "[integration]") {
  CatenadProcess catenad;
  RunResult result = Catena({"--address", catenad.grpc_address(), "health"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "server SERVING\n");
  RunResult service = Catena({"--address", catenad.grpc_address(), "health", "--service", "catena.v1.MemoryService"});
  CHECK(service.out == "catena.v1.MemoryService SERVING\n");
}

TEST_CASE("catena version prints the client and server versions", "[integration]") {
  CatenadProcess catenad({"--service", "pipeline"});
  RunResult result = Catena({"--address", catenad.grpc_address(), "version"});
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::StartsWith(std::string("catena ") + kVersion + "\ncatenad " + kVersion + " at "));
  CHECK_THAT(result.out, Catch::Contains("services: catena.v1.ServerService, catena.v1.PipelineService\n"));
}

TEST_CASE("catena ping round-trips its payload", "[integration]") {
  CatenadProcess catenad;
  RunResult result = Catena({"--address", catenad.grpc_address(), "ping", "hello-bank"});
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::EndsWith(": hello-bank\n"));
}

TEST_CASE("catena against an unreachable address fails with exit code 1 and says why", "[integration]") {
  RunResult result = Catena({"--address", "127.0.0.1:1", "--timeout", "2", "health"});
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Catch::Contains("127.0.0.1:1"));
  CHECK_THAT(result.err, Catch::Contains("UNAVAILABLE") || Catch::Contains("DEADLINE_EXCEEDED"));
}

TEST_CASE("catena with an unknown subcommand or flag exits 2", "[integration]") {
  CHECK(Catena({"teleport"}).exit_code == 2);
  CHECK(Catena({"--bogus", "health"}).exit_code == 2);
}

}  // namespace
}  // namespace catena::testing
