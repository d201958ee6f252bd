// catenad's memory.* configuration keys: defaults, overrides and errors, and that they reach the memory
// service's settings.
#include <catch2/catch.hpp>

#include "memory/memory_service.h"
#include "server/server_config.h"

namespace catena::memory::testing {
namespace {

absl::StatusOr<server::ServerOptions> LoadWith(std::vector<ConfigOverride> overrides) {
  ConfigSchema schema;
  REQUIRE(server::RegisterServerConfig(schema).ok());
  auto config = Config::Load(schema, {.overrides = std::move(overrides)});
  REQUIRE(config.ok());
  return server::ServerOptionsFromConfig(*config);
}

TEST_CASE("memory config defaults keep data forever and write the WAL without fsync", "[unit]") {
  auto options = LoadWith({});
  REQUIRE(options.ok());
  const MemoryServiceSettings& settings = options->memory;
  CHECK_FALSE(settings.sync_writes);
  CHECK(settings.default_ttl_seconds == 0);
  CHECK(settings.tenant_ttl_seconds.empty());
}

TEST_CASE("memory config overrides reach the memory service settings", "[unit]") {
  auto options = LoadWith({{"memory.sync_writes", "true", ""},
                           {"memory.default_ttl_seconds", "86400", ""},
                           {"memory.tenant_ttl_seconds", "bank-a=3600, demo=0", ""}});
  REQUIRE(options.ok());
  const MemoryServiceSettings& settings = options->memory;
  CHECK(settings.sync_writes);
  CHECK(settings.default_ttl_seconds == 86400);
  CHECK(settings.tenant_ttl_seconds == std::map<std::string, int64_t, std::less<>>{{"bank-a", 3600}, {"demo", 0}});
}

TEST_CASE("a malformed tenant TTL is rejected naming the key and where it came from", "[unit]") {
  auto options = LoadWith({{"memory.tenant_ttl_seconds", "bank-a:3600", "--set memory.tenant_ttl_seconds"}});
  REQUIRE_FALSE(options.ok());
  CHECK(options.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(options.status().message()), Catch::Contains("--set memory.tenant_ttl_seconds"));
  CHECK_THAT(std::string(options.status().message()), Catch::Contains("'bank-a:3600'"));
}

}  // namespace
}  // namespace catena::memory::testing
