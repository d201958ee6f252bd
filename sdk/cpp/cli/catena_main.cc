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
  std::string token;
  std::string tls_ca, tls_cert, tls_key;
  bool tls = false;
};

void AddConnectionFlags(CLI::App& app, GlobalFlags& flags) {
  if (const char* env = std::getenv("CATENA_ADDRESS"); env != nullptr && *env != '\0') flags.address = env;
  if (const char* env = std::getenv("CATENA_TOKEN"); env != nullptr && *env != '\0') flags.token = env;
  app.add_option("--address", flags.address, "catenad gRPC address host:port (env CATENA_ADDRESS)");
  app.add_option("--tenant", flags.tenant, "Tenant sent as x-catena-tenant");
  app.add_option("--timeout", flags.timeout_seconds, "Deadline of each call in seconds")->check(CLI::PositiveNumber);
  app.add_option("--token", flags.token, "Sent as 'authorization: Bearer TOKEN' (env CATENA_TOKEN)");
  app.add_flag("--tls", flags.tls, "Use TLS with the system roots (implied by --tls-ca/--tls-cert)");
  app.add_option("--tls-ca", flags.tls_ca, "PEM file of the CA that signs the server certificate");
  app.add_option("--tls-cert", flags.tls_cert, "PEM client certificate for mutual TLS (with --tls-key)");
  app.add_option("--tls-key", flags.tls_key, "PEM client private key for mutual TLS");
}

// Client options from the flags; NOT_FOUND / INVALID_ARGUMENT for unreadable or incomplete TLS files.
absl::StatusOr<catena::sdk::ClientOptions> ClientOptionsFromFlags(const GlobalFlags& flags) {
  catena::sdk::ClientOptions options{.address = flags.address,
                                     .tenant = flags.tenant,
                                     .timeout = absl::Seconds(flags.timeout_seconds),
                                     .token = flags.token};
  if (flags.tls || !flags.tls_ca.empty() || !flags.tls_cert.empty() || !flags.tls_key.empty()) {
    auto tls = catena::sdk::TlsOptionsFromFiles(flags.tls_ca, flags.tls_cert, flags.tls_key);
    if (!tls.ok()) return tls.status();
    options.tls = *std::move(tls);
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"catena: command-line client for Catena"};
  app.require_subcommand(1);
  GlobalFlags flags;
  AddConnectionFlags(app, flags);

  catena::cli::CommandRunner runner;
  catena::cli::AddServerCommands(app, runner);
  catena::cli::AddCollectionCommands(app, runner);
  catena::cli::AddSessionCommands(app, runner);
  catena::cli::AddPipelineCommands(app, runner);
  catena::cli::AddChatCommand(app, runner);
  catena::cli::AddModelCommands(app, runner);
  catena::cli::AddAuditCommands(app, runner);
  catena::cli::AddKeyCommands(app, runner);
  catena::cli::AddEvalCommand(app, runner);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "catena: error: %s (see catena --help)\n", e.what());
    return catena::cli::kExitUsage;
  }

  auto options = ClientOptionsFromFlags(flags);
  if (!options.ok()) {
    std::fprintf(stderr, "catena: error: %s\n", std::string(options.status().message()).c_str());
    return catena::cli::kExitUsage;
  }
  auto client = catena::sdk::Client::Create(*std::move(options));
  if (!client.ok()) return catena::cli::Fail(client.status(), flags.address);
  return runner(**client);
}
