// catena: command-line client for a catenad, built on the C++ SDK. Each command group registers itself from
// its own file (see cli_command.h). Exit codes: 0 success, 1 a call failed, 2 usage errors.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/cli_command.h"

namespace {

struct GlobalFlags {
  std::string address = "localhost:50051";
  std::string tenant;
  double timeout_seconds = 5;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"catena: command-line client for Catena"};
  app.require_subcommand(1);
  GlobalFlags flags;
  if (const char* env = std::getenv("CATENA_ADDRESS"); env != nullptr && *env != '\0') flags.address = env;
  app.add_option("--address", flags.address, "catenad gRPC address host:port (env CATENA_ADDRESS)");
  app.add_option("--tenant", flags.tenant, "Tenant sent as x-catena-tenant");
  app.add_option("--timeout", flags.timeout_seconds, "Deadline of each call in seconds")->check(CLI::PositiveNumber);

  catena::cli::CommandRunner runner;
  catena::cli::AddServerCommands(app, runner);
  catena::cli::AddCollectionCommands(app, runner);
  catena::cli::AddSessionCommands(app, runner);
  catena::cli::AddPipelineCommands(app, runner);
  catena::cli::AddChatCommand(app, runner);
  catena::cli::AddModelCommands(app, runner);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "catena: error: %s (see catena --help)\n", e.what());
    return catena::cli::kExitUsage;
  }

  auto client = catena::sdk::Client::Create(
      {.address = flags.address, .tenant = flags.tenant, .timeout = absl::Seconds(flags.timeout_seconds)});
  if (!client.ok()) return catena::cli::Fail(client.status(), flags.address);
  return runner(**client);
}
