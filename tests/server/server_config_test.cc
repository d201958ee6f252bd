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
  CHECK(defaults->pipelines.default_model == "extractive");
  auto switched = OptionsFrom({}, {{"CATENA_PIPELINES_DEFAULT_MODEL", "gpt"}});
  REQUIRE(switched.ok());
  CHECK(switched->pipelines.default_model == "gpt");
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

namespace catena::server {
namespace {

TEST_CASE("auth keys default to off with the key file in the data directory", "[unit]") {
  auto options = OptionsFrom({{.path = "data_dir", .value = "/srv/catena", .origin = "--data-dir"}});
  REQUIRE(options.ok());
  CHECK_FALSE(options->auth.enabled);
  CHECK(options->auth.keys_file == "/srv/catena/auth/keys.json");
  CHECK(options->auth.open_health);
  CHECK(options->auth.open_metrics);
  CHECK_FALSE(options->tls.enabled());
}

TEST_CASE("per-tenant quota items override the defaults field by field", "[unit]") {
  auto options = OptionsFrom(
      {{.path = "auth.quota.requests_per_second", .value = "5", .origin = "--set"},
       {.path = "auth.quota.max_in_flight", .value = "4", .origin = "--set"},
       {.path = "auth.tenant_quotas", .value = "big:requests_per_second=100,big:burst=300", .origin = "--set"}});
  REQUIRE(options.ok());
  CHECK(options->auth.quotas.defaults.requests_per_second == 5);
  const auth::QuotaLimits& big = options->auth.quotas.tenants.at("big");
  CHECK(big.requests_per_second == 100);
  CHECK(big.burst == 300);
  CHECK(big.max_in_flight == 4);
  auto bad = OptionsFrom({{.path = "auth.tenant_quotas", .value = "big:speed=1", .origin = "--set"}});
  REQUIRE(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("--set") && Catch::Contains("speed"));
}

TEST_CASE("incomplete TLS settings are refused naming the key", "[unit]") {
  auto cert_only = OptionsFrom({{.path = "server.tls.cert_file", .value = "a.pem", .origin = "--set"}});
  CHECK_THAT(std::string(cert_only.status().message()), Catch::Contains("key_file"));
  auto ca_only = OptionsFrom({{.path = "server.tls.client_ca_file", .value = "ca.pem", .origin = "--set"}});
  CHECK(ca_only.status().code() == absl::StatusCode::kInvalidArgument);
  auto require_without_ca =
      OptionsFrom({{.path = "server.tls.cert_file", .value = "a.pem", .origin = "--set"},
                   {.path = "server.tls.key_file", .value = "a.key", .origin = "--set"},
                   {.path = "server.tls.require_client_cert", .value = "true", .origin = "--set"}});
  CHECK_THAT(std::string(require_without_ca.status().message()), Catch::Contains("client_ca_file"));
}

}  // namespace
}  // namespace catena::server
