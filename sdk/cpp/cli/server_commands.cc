// `catena health|version|ping`: liveness and identity of a catenad.
#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cli/cli_command.h"
#include "common/version.h"

namespace catena::cli {
namespace {

int RunHealth(const sdk::Client& client, const std::string& service) {
  auto status = client.Health(service);
  if (!status.ok()) return Fail(status.status(), client.options().address);
  std::printf("%s %s\n", service.empty() ? "server" : service.c_str(),
              std::string(sdk::ServingStatusName(*status)).c_str());
  return *status == sdk::ServingStatus::kServing ? 0 : kExitFailure;
}

int RunVersion(const sdk::Client& client) {
  std::printf("catena %s\n", kVersion);
  auto info = client.ServerInfo();
  if (!info.ok()) return Fail(info.status(), client.options().address);
  std::printf("catenad %s at %s (uptime %.0f s)\n  services: %s\n", info->version().c_str(),
              client.options().address.c_str(), info->uptime_seconds(), absl::StrJoin(info->services(), ", ").c_str());
  return 0;
}

int RunPing(const sdk::Client& client, const std::string& payload) {
  const absl::Time start = absl::Now();
  auto echoed = client.Ping(payload);
  if (!echoed.ok()) return Fail(echoed.status(), client.options().address);
  std::printf("pong from %s in %.2f ms: %s\n", client.options().address.c_str(),
              absl::ToDoubleMilliseconds(absl::Now() - start), echoed->c_str());
  return 0;
}

}  // namespace

int Fail(const absl::Status& status, const std::string& address) {
  std::fprintf(stderr, "catena: %s: %s (%s)\n", address.c_str(), std::string(status.message()).c_str(),
               absl::StatusCodeToString(status.code()).c_str());
  return kExitFailure;
}

void AddServerCommands(CLI::App& app, CommandRunner& runner) {
  auto service = std::make_shared<std::string>();
  CLI::App* health = app.add_subcommand("health", "Check the server's (or one service's) health");
  health->add_option("--service", *service, "Fully qualified service name, e.g. catena.v1.RetrievalService");
  health->callback([&runner, service] { runner = [service](const sdk::Client& c) { return RunHealth(c, *service); }; });

  CLI::App* version = app.add_subcommand("version", "Print the client's and the server's version");
  version->callback([&runner] { runner = RunVersion; });

  auto payload = std::make_shared<std::string>("ping");
  CLI::App* ping = app.add_subcommand("ping", "Round-trip a payload to the server");
  ping->add_option("payload", *payload, "Text to echo");
  ping->callback([&runner, payload] { runner = [payload](const sdk::Client& c) { return RunPing(c, *payload); }; });
}

}  // namespace catena::cli
