// catenad: the Catena server process. Reads configuration (file < environment < flags), starts the selected
// services and blocks until SIGTERM/SIGINT, then drains and exits 0. Usage and configuration errors print one
// line and exit 2.
#include <signal.h>

#include <cstdio>
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/config.h"
#include "common/logging.h"
#include "common/version.h"
#include "server/catenad.h"
#include "server/server_config.h"
#include "spdlog/spdlog.h"

namespace {

constexpr int kExitUsage = 2;

struct Flags {
  std::string config_file;
  std::string grpc_port, http_port, data_dir, host, log_level, log_format;
  std::vector<std::string> services;
  std::vector<std::string> sets;
  bool print_config = false;
};

void AddFlags(CLI::App& app, Flags& flags) {
  app.add_option("--config", flags.config_file, "YAML configuration file");
  app.add_option("--grpc-port", flags.grpc_port, "gRPC port (server.grpc_port); 0 picks a free port");
  app.add_option("--http-port", flags.http_port, "HTTP port (server.http_port); 0 picks a free port");
  app.add_option("--data-dir", flags.data_dir, "Data directory (data_dir)");
  app.add_option("--host", flags.host, "Address to listen on (server.host)");
  app.add_option("--service", flags.services, "Service to run (server.services), repeatable or comma-separated");
  app.add_option("--log-level", flags.log_level, "Log level (log.level)");
  app.add_option("--log-format", flags.log_format, "Log format: text or json (log.format)");
  app.add_option("--set", flags.sets, "Set any configuration key: --set server.drain_timeout_ms=5000");
  app.add_flag("--print-config", flags.print_config, "Print the effective configuration and exit");
  app.set_version_flag("--version", std::string("catenad ") + catena::kVersion);
}

absl::StatusOr<std::vector<catena::ConfigOverride>> Overrides(const Flags& flags) {
  std::vector<catena::ConfigOverride> overrides;
  auto add = [&](const std::string& value, const char* path, const char* flag) {
    if (!value.empty()) overrides.push_back({.path = path, .value = value, .origin = flag});
  };
  add(flags.grpc_port, "server.grpc_port", "--grpc-port");
  add(flags.http_port, "server.http_port", "--http-port");
  add(flags.data_dir, "data_dir", "--data-dir");
  add(flags.host, "server.host", "--host");
  add(flags.log_level, "log.level", "--log-level");
  add(flags.log_format, "log.format", "--log-format");
  add(absl::StrJoin(flags.services, ","), "server.services", "--service");
  for (const std::string& set : flags.sets) {
    std::pair<std::string, std::string> key_value = absl::StrSplit(set, absl::MaxSplits('=', 1));
    if (set.find('=') == std::string::npos || key_value.first.empty()) {
      return absl::InvalidArgumentError("--set " + set + ": expected KEY=VALUE");
    }
    overrides.push_back({.path = key_value.first, .value = key_value.second, .origin = "--set " + set});
  }
  return overrides;
}

absl::StatusOr<catena::Config> LoadConfig(const Flags& flags) {
  catena::ConfigSchema schema;
  if (absl::Status status = catena::server::RegisterServerConfig(schema); !status.ok()) return status;
  auto overrides = Overrides(flags);
  if (!overrides.ok()) return overrides.status();
  return catena::Config::Load(schema, {.file_path = flags.config_file,
                                       .environment = catena::CurrentEnvironment(),
                                       .overrides = *std::move(overrides)});
}

int Fail(const absl::Status& status, int exit_code) {
  std::fprintf(stderr, "catenad: error: %s\n", std::string(status.message()).c_str());
  return exit_code;
}

void PrintReady(const catena::server::Catenad& catenad, const catena::server::ServerOptions& options) {
  const std::string grpc = options.host + ":" + std::to_string(catenad.grpc_port());
  const std::string http = options.host + ":" + std::to_string(catenad.http_port());
  std::printf("catenad %s ready: grpc=%s http=%s data=%s\n", catena::kVersion, grpc.c_str(), http.c_str(),
              options.data_dir.c_str());
  std::printf("  services: %s\n", absl::StrJoin(catenad.service_names(), ", ").c_str());
  std::printf("  try:      catena --address %s health\n", grpc.c_str());
  std::printf("            curl http://%s/readyz   curl http://%s/metrics\n", http.c_str(), http.c_str());
  std::printf(
      "  rag:      catena --address %s collections create kb --dimension 384 --embedder hashing-384\n"
      "            catena --address %s ingest kb README.md docs\n"
      "            catena --address %s search kb \"how do filters work\" --mode hybrid\n",
      grpc.c_str(), grpc.c_str(), grpc.c_str());
  std::printf("  stop:     Ctrl-C or SIGTERM (in-flight calls drain for up to %lld ms)\n",
              static_cast<long long>(options.drain_timeout_ms));
  std::fflush(stdout);
}

int WaitForStopSignal(const sigset_t& signals) {
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  return signal_number;
}

}  // namespace

int main(int argc, char** argv) {
  // Block the stop signals before any thread starts, so only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  CLI::App app{"catenad: the Catena RAG and agent platform server"};
  Flags flags;
  AddFlags(app, flags);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return Fail(absl::InvalidArgumentError(std::string(e.what()) + " (see catenad --help)"), kExitUsage);
  }

  absl::StatusOr<catena::Config> config = LoadConfig(flags);
  if (!config.ok()) return Fail(config.status(), kExitUsage);
  if (flags.print_config) {
    std::cout << config->Dump();
    return 0;
  }
  auto options = catena::server::ServerOptionsFromConfig(*config);
  if (!options.ok()) return Fail(options.status(), kExitUsage);
  if (absl::Status status = catena::InitLogging(options->log); !status.ok()) return Fail(status, kExitUsage);

  auto catenad = catena::server::Catenad::Start(*options);
  if (!catenad.ok()) {
    const bool usage = catenad.status().code() == absl::StatusCode::kUnavailable ||
                       catenad.status().code() == absl::StatusCode::kFailedPrecondition;
    return Fail(catenad.status(), usage ? kExitUsage : 1);
  }
  PrintReady(**catenad, *options);
  const int signal_number = WaitForStopSignal(stop_signals);
  spdlog::info("received {}, shutting down", strsignal(signal_number));
  (*catenad)->Shutdown();
  spdlog::info("catenad stopped");
  return 0;
}
