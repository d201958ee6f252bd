// catena: command-line client for a catenad, built on the C++ SDK. Subcommands: health, version, ping.
// Exit codes: 0 success, 1 the server is unhealthy or a call failed, 2 usage errors.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_join.h"
#include "catena/client.h"
#include "common/version.h"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

struct GlobalFlags {
  std::string address = "localhost:50051";
  std::string tenant;
  double timeout_seconds = 5;
};

int Fail(const absl::Status& status, const std::string& address) {
  std::fprintf(stderr, "catena: %s: %s (%s)\n", address.c_str(), std::string(status.message()).c_str(),
               absl::StatusCodeToString(status.code()).c_str());
  return kExitFailure;
}

int RunHealth(const catena::sdk::Client& client, const std::string& service) {
  auto status = client.Health(service);
  if (!status.ok()) return Fail(status.status(), client.options().address);
  std::printf("%s %s\n", service.empty() ? "server" : service.c_str(),
              std::string(catena::sdk::ServingStatusName(*status)).c_str());
  return *status == catena::sdk::ServingStatus::kServing ? 0 : kExitFailure;
}

int RunVersion(const catena::sdk::Client& client) {
  std::printf("catena %s\n", catena::kVersion);
  auto info = client.ServerInfo();
  if (!info.ok()) return Fail(info.status(), client.options().address);
  std::printf("catenad %s at %s (uptime %.0f s)\n  services: %s\n", info->version().c_str(),
              client.options().address.c_str(), info->uptime_seconds(), absl::StrJoin(info->services(), ", ").c_str());
  return 0;
}

int RunPing(const catena::sdk::Client& client, const std::string& payload) {
  const absl::Time start = absl::Now();
  auto echoed = client.Ping(payload);
  if (!echoed.ok()) return Fail(echoed.status(), client.options().address);
  std::printf("pong from %s in %.2f ms: %s\n", client.options().address.c_str(),
              absl::ToDoubleMilliseconds(absl::Now() - start), echoed->c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"catena: command-line client for Catena"};
  app.require_subcommand(1);
  GlobalFlags flags;
  if (const char* env = std::getenv("CATENA_ADDRESS"); env != nullptr && *env != '\0') flags.address = env;
  app.add_option("--address", flags.address, "catenad gRPC address host:port (env CATENA_ADDRESS)");
  app.add_option("--tenant", flags.tenant, "Tenant sent as x-catena-tenant");
  app.add_option("--timeout", flags.timeout_seconds, "Deadline of each call in seconds")->check(CLI::PositiveNumber);

  std::string service;
  CLI::App* health = app.add_subcommand("health", "Check the server's (or one service's) health");
  health->add_option("--service", service, "Fully qualified service name, e.g. catena.v1.RetrievalService");
  CLI::App* version = app.add_subcommand("version", "Print the client's and the server's version");
  std::string payload = "ping";
  CLI::App* ping = app.add_subcommand("ping", "Round-trip a payload to the server");
  ping->add_option("payload", payload, "Text to echo");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "catena: error: %s (see catena --help)\n", e.what());
    return kExitUsage;
  }

  auto client = catena::sdk::Client::Create(
      {.address = flags.address, .tenant = flags.tenant, .timeout = absl::Seconds(flags.timeout_seconds)});
  if (!client.ok()) return Fail(client.status(), flags.address);
  if (health->parsed()) return RunHealth(**client, service);
  if (version->parsed()) return RunVersion(**client);
  return RunPing(**client, payload);
}
