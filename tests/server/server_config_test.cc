// Unit tests of catenad's configuration keys and service selection.
#include "server/server_config.h"

#include <catch2/catch.hpp>

#include "server/service_catalog.h"

namespace catena::server {
namespace {

absl::StatusOr<ServerOptions> OptionsFrom(std::vector<ConfigOverride> overrides,
                                          std::map<std::string, std::string> environment = {}) {
  ConfigSchema schema;
  REQUIRE(RegisterServerConfig(schema).ok());
  auto config = Config::Load(schema, {.environment = std::move(environment), .overrides = std::move(overrides)});
  if (!config.ok()) return config.status();
  return ServerOptionsFromConfig(*config);
}

TEST_CASE("default server options listen on localhost with every service", "[unit]") {
  auto options = OptionsFrom({});
  REQUIRE(options.ok());
  CHECK(options->host == "127.0.0.1");
  CHECK(options->grpc_port == 50051);
  CHECK(options->http_port == 8080);
  CHECK(options->data_dir == "data");
  CHECK(options->services == ServiceNames());
  CHECK(options->log.format == LogFormat::kText);
}

TEST_CASE("flags beat environment variables for server options", "[unit]") {
  auto options = OptionsFrom({{.path = "server.grpc_port", .value = "7000", .origin = "--grpc-port"}},
                             {{"CATENA_SERVER_GRPC_PORT", "6000"}, {"CATENA_SERVER_HTTP_PORT", "6001"}});
  REQUIRE(options.ok());
  CHECK(options->grpc_port == 7000);
  CHECK(options->http_port == 6001);
}

TEST_CASE("the extractive answer model is on by default and can be switched off", "[unit]") {
  auto defaults = OptionsFrom({});
  REQUIRE(defaults.ok());
  CHECK(defaults->pipelines.extractive_model);
  CHECK_FALSE(defaults->pipelines.test_models);
  auto off = OptionsFrom({}, {{"CATENA_PIPELINES_EXTRACTIVE_MODEL", "false"}});
  REQUIRE(off.ok());
  CHECK_FALSE(off->pipelines.extractive_model);
}

TEST_CASE("service selection keeps catalog order and drops duplicates", "[unit]") {
  auto names = ExpandServiceNames({"pipeline", "retrieval", "pipeline"});
  REQUIRE(names.ok());
  CHECK(*names == std::vector<std::string>{"retrieval", "pipeline"});
  CHECK(ExpandServiceNames({"memory", "all"}).value() == ServiceNames());
}

TEST_CASE("an unknown service name is an error naming it and the valid names", "[unit]") {
  auto options = OptionsFrom({{.path = "server.services", .value = "retrieval,vectors", .origin = "--service"}});
  REQUIRE_FALSE(options.ok());
  CHECK(options.status().message() ==
        "--service: unknown service 'vectors'; expected all or one of inference, embedding, retrieval, memory, "
        "pipeline");
}

TEST_CASE("an out-of-range port is rejected with the flag that set it", "[unit]") {
  auto options = OptionsFrom({{.path = "server.http_port", .value = "65536", .origin = "--http-port"}});
  REQUIRE_FALSE(options.ok());
  CHECK_THAT(std::string(options.status().message()), Catch::StartsWith("--http-port: "));
}

}  // namespace
}  // namespace catena::server

namespace catena::server {
namespace {

TEST_CASE("the example configuration file loads and equals the defaults", "[unit]") {
  ConfigSchema schema;
  REQUIRE(RegisterServerConfig(schema).ok());
  auto config = Config::Load(schema, {.file_path = std::string(CATENA_SOURCE_DIR) + "/examples/catenad.yaml"});
  REQUIRE(config.ok());
  auto from_file = ServerOptionsFromConfig(*config);
  auto defaults = OptionsFrom({});
  REQUIRE(from_file.ok());
  REQUIRE(defaults.ok());
  CHECK(from_file->grpc_port == defaults->grpc_port);
  CHECK(from_file->http_port == defaults->http_port);
  CHECK(from_file->services == defaults->services);
  CHECK(from_file->max_message_bytes == defaults->max_message_bytes);
  CHECK(from_file->drain_timeout_ms == defaults->drain_timeout_ms);
  CHECK(from_file->embedding_hashing_dimension == defaults->embedding_hashing_dimension);
  CHECK(from_file->retrieval_sync_writes == defaults->retrieval_sync_writes);
  CHECK(from_file->memory.default_ttl_seconds == defaults->memory.default_ttl_seconds);
  CHECK(from_file->memory.tenant_ttl_seconds == defaults->memory.tenant_ttl_seconds);
  CHECK(from_file->inference_models.empty());
  CHECK(from_file->inference_autoload == defaults->inference_autoload);
  CHECK(from_file->pipelines.extractive_model == defaults->pipelines.extractive_model);
  CHECK(config->Origin("retrieval.sync_writes").find("catenad.yaml:") != std::string::npos);
  CHECK(config->Origin("server.grpc_port").find("catenad.yaml:") != std::string::npos);
}

}  // namespace
}  // namespace catena::server
