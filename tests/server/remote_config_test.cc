// The models.remote and embedding.remote keys: YAML lists of mappings (common/config kObjectList), their specs,
// and errors that point at the offending field's file position.
#include "server/remote_config.h"

#include <catch2/catch.hpp>

#include <cstdlib>

#include "server/server_config.h"
#include "tests/support/temp_dir.h"

namespace catena::server {
namespace {

using testing::TempDir;

absl::StatusOr<ServerOptions> FromYaml(const TempDir& dir, const std::string& yaml,
                                       std::map<std::string, std::string> environment = {}) {
  ConfigSchema schema;
  REQUIRE(RegisterServerConfig(schema).ok());
  auto config = Config::Load(schema, {.file_path = dir.Write("catena.yaml", yaml).string(),
                                      .environment = std::move(environment)});
  if (!config.ok()) return config.status();
  return ServerOptionsFromConfig(*config);
}

constexpr char kRemote[] = R"(models:
  remote:
    - name: gpt
      base_url: https://api.example.com/v1
      model: gpt-4o-mini
      api_key: env:CATENA_TEST_REMOTE_KEY
      timeout: 45s
      idle_timeout: 5s
      max_retries: 4
    - {name: local, base_url: "http://127.0.0.1:8000/v1", stream: false}
embedding:
  remote:
    - {name: remote-embed, base_url: "http://127.0.0.1:8000/v1", model: bge, dimension: 768, batch_size: 16}
)";

TEST_CASE("models.remote and embedding.remote items become remote specs", "[unit]") {
  TempDir dir("remote-config");
  ::setenv("CATENA_TEST_REMOTE_KEY", "sk-x", 1);  // api_key references are resolved from the process environment
  auto options = FromYaml(dir, kRemote);
  INFO(options.status());
  REQUIRE(options.ok());
  REQUIRE(options->remote_chat_models.size() == 2);
  const chains::RemoteChatModelSpec& gpt = options->remote_chat_models[0];
  CHECK(gpt.name == "gpt");
  CHECK(gpt.upstream_model == "gpt-4o-mini");
  CHECK(gpt.client.base_url == "https://api.example.com/v1");
  CHECK(gpt.client.api_key_ref == "env:CATENA_TEST_REMOTE_KEY");
  CHECK(gpt.client.timeout == absl::Seconds(45));
  CHECK(gpt.client.idle_timeout == absl::Seconds(5));
  CHECK(gpt.client.retry.max_attempts == 5);
  CHECK(gpt.stream);
  const chains::RemoteChatModelSpec& local = options->remote_chat_models[1];
  CHECK(local.upstream_model == "local");
  CHECK_FALSE(local.stream);
  CHECK(local.client.api_key_ref.empty());
  REQUIRE(options->remote_embedders.size() == 1);
  CHECK(options->remote_embedders[0].name == "remote-embed");
  CHECK(options->remote_embedders[0].client.model == "bge");
  CHECK(options->remote_embedders[0].client.dimensions == 768);
  CHECK(options->remote_embedders[0].client.batch_size == 16);
}

TEST_CASE("remote config errors name the file position of the bad field", "[unit]") {
  TempDir dir("remote-config");
  const std::string path = (dir.path() / "catena.yaml").string();
  auto bad_duration = FromYaml(dir, "models:\n  remote:\n    - name: a\n      base_url: http://x/v1\n      timeout: soon\n");
  REQUIRE_FALSE(bad_duration.ok());
  CHECK(std::string(bad_duration.status().message()) ==
        path + ":5:16: models.remote[0] timeout: 'soon' is not a positive duration such as 500ms, 30s or 2m");
  auto unknown = FromYaml(dir, "models:\n  remote:\n    - {name: a, base_url: http://x/v1, modle: b}\n");
  REQUIRE_FALSE(unknown.ok());
  CHECK_THAT(std::string(unknown.status().message()),
             Catch::StartsWith(path + ":3:40: unknown field 'modle' in 'models.remote'"));
  auto missing = FromYaml(dir, "models:\n  remote:\n    - {name: a}\n");
  REQUIRE_FALSE(missing.ok());
  CHECK(std::string(missing.status().message()) == path + ":3:7: models.remote[0] base_url: is required");
  auto plain_key = FromYaml(dir, "models:\n  remote:\n    - {name: a, base_url: http://x/v1, api_key: sk-123}\n");
  REQUIRE_FALSE(plain_key.ok());
  CHECK_THAT(std::string(plain_key.status().message()),
             Catch::StartsWith(path + ":3:49: models.remote[0] api_key: must be a secret reference"));
  CHECK(std::string(plain_key.status().message()).find("sk-123") == std::string::npos);
  auto unset = FromYaml(dir, "models:\n  remote:\n    - {name: a, base_url: http://x/v1, api_key: env:CATENA_UNSET_KEY_9}\n");
  REQUIRE_FALSE(unset.ok());
  CHECK_THAT(std::string(unset.status().message()), Catch::Contains("CATENA_UNSET_KEY_9"));
  auto twice = FromYaml(dir, "embedding:\n  remote:\n    - {name: e, base_url: http://x/v1, model: m}\n"
                             "    - {name: e, base_url: http://y/v1, model: m}\n");
  REQUIRE_FALSE(twice.ok());
  CHECK(std::string(twice.status().message()) == path + ":4:14: embedding.remote[1] name: 'e' is configured twice");
  auto not_list = FromYaml(dir, "models:\n  remote: {name: a}\n");
  REQUIRE_FALSE(not_list.ok());
  CHECK_THAT(std::string(not_list.status().message()), Catch::Contains("must be a list of mappings"));
  auto nested = FromYaml(dir, "models:\n  remote:\n    - {name: [a], base_url: http://x/v1}\n");
  REQUIRE_FALSE(nested.ok());
  CHECK_THAT(std::string(nested.status().message()), Catch::Contains("must be a single value"));
}

TEST_CASE("remote lists can come from the environment as YAML flow text", "[unit]") {
  TempDir dir("remote-config");
  auto options = FromYaml(dir, "", {{"CATENA_MODELS_REMOTE", R"([{"name": "e1", "base_url": "http://h/v1"}])"}});
  REQUIRE(options.ok());
  REQUIRE(options->remote_chat_models.size() == 1);
  CHECK(options->remote_chat_models[0].client.base_url == "http://h/v1");
  auto bad = FromYaml(dir, "", {{"CATENA_MODELS_REMOTE", R"([{"name": "e1"}])"}});
  REQUIRE_FALSE(bad.ok());
  CHECK(std::string(bad.status().message()) ==
        "environment CATENA_MODELS_REMOTE item 1: models.remote[0] base_url: is required");
}

TEST_CASE("the config dump writes remote lists back as loadable YAML", "[unit]") {
  TempDir dir("remote-config");
  ConfigSchema schema;
  REQUIRE(RegisterServerConfig(schema).ok());
  auto config = Config::Load(schema, {.file_path = dir.Write("a.yaml", kRemote).string()});
  REQUIRE(config.ok());
  auto again = Config::Load(schema, {.file_path = dir.Write("b.yaml", config->Dump()).string()});
  REQUIRE(again.ok());
  CHECK(again->GetObjectList("models.remote") == config->GetObjectList("models.remote"));
  CHECK(again->GetObjectList("embedding.remote").at(0).Get("dimension") == "768");
}

}  // namespace
}  // namespace catena::server
