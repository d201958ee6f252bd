// Tests for common/config.h: schema validation, source precedence and origins, one-line error messages that name
// their location, and the YAML dump.
#include "common/config.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "tests/support/death_test.h"

namespace catena {
namespace {

namespace fs = std::filesystem;

// A per-process scratch directory under the temp directory, removed when the test binary exits.
const fs::path& ScratchDir() {
  struct Scratch {
    fs::path path = fs::temp_directory_path() / ("catena_config_test_" + std::to_string(getpid()));
    Scratch() { fs::create_directories(path); }
    ~Scratch() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  };
  static const Scratch scratch;
  return scratch.path;
}

// Writes `text` to `name` in a fresh subdirectory of ScratchDir() and returns its path.
std::string WriteTempFile(const std::string& name, const std::string& text) {
  static std::atomic<int> counter{0};
  const fs::path dir = ScratchDir() / std::to_string(counter++);
  fs::create_directories(dir);
  const fs::path path = dir / name;
  std::ofstream(path) << text;
  return path.string();
}

using ::catena::testing::AbortMessage;

ConfigSchema TestSchema() {
  ConfigSchema schema;
  REQUIRE(schema
              .Add({.path = "server.grpc_port",
                    .type = ConfigType::kInt,
                    .default_value = "50051",
                    .help = "gRPC port",
                    .min = 0,
                    .max = 65535})
              .ok());
  REQUIRE(schema.Add({.path = "server.host", .type = ConfigType::kString, .default_value = "0.0.0.0"}).ok());
  REQUIRE(schema.Add({.path = "server.workers", .type = ConfigType::kInt, .default_value = "4", .min = 1}).ok());
  REQUIRE(schema
              .Add({.path = "log.level",
                    .type = ConfigType::kString,
                    .default_value = "info",
                    .allowed_values = {"debug", "info", "warn"}})
              .ok());
  REQUIRE(schema.Add({.path = "log.json", .type = ConfigType::kBool, .default_value = "false"}).ok());
  REQUIRE(schema.Add({.path = "inference.temperature", .type = ConfigType::kDouble, .default_value = "0.7"}).ok());
  REQUIRE(
      schema.Add({.path = "retrieval.collections", .type = ConfigType::kStringList, .default_value = "bank-kb, faq"})
          .ok());
  return schema;
}

absl::StatusOr<Config> LoadFile(const std::string& path) {
  return Config::Load(TestSchema(), ConfigSources{.file_path = path});
}

std::string LoadError(const ConfigSources& sources) {
  absl::StatusOr<Config> config = Config::Load(TestSchema(), sources);
  if (config.ok()) return "<ok>";
  CHECK(config.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(config.status().message());
}

// Loads `yaml` from a file and returns the error with the file's temp path shortened to "catena.yaml".
std::string FileError(const std::string& yaml) {
  const std::string path = WriteTempFile("catena.yaml", yaml);
  std::string error = LoadError(ConfigSources{.file_path = path});
  for (size_t at = error.find(path); at != std::string::npos; at = error.find(path)) {
    error.replace(at, path.size(), "catena.yaml");
  }
  return error;
}

TEST_CASE("config schema rejects duplicates, clashes and bad defaults", "[unit][config]") {
  ConfigSchema schema = TestSchema();
  CHECK(schema.Add({.path = "server.grpc_port", .type = ConfigType::kInt, .default_value = "1"}).code() ==
        absl::StatusCode::kAlreadyExists);
  const absl::Status bad_default =
      schema.Add({.path = "server.timeout", .type = ConfigType::kInt, .default_value = "soon"});
  CHECK(bad_default.message() ==
        "config key 'server.timeout': bad default: 'server.timeout' must be an integer, "
        "got 'soon'");
  CHECK(schema.Add({.path = "server.port2", .type = ConfigType::kInt, .default_value = "0", .min = 1, .max = 9})
            .message() == "config key 'server.port2': bad default: 'server.port2' must be between 1 and 9, got 0");
  CHECK(schema.Add({.path = "server.mode", .default_value = "x", .allowed_values = {"a", "b"}}).message() ==
        "config key 'server.mode': bad default: 'server.mode' must be one of 'a', 'b', got 'x'");
  CHECK(schema.Add({.path = "Server..x"}).code() == absl::StatusCode::kInvalidArgument);
  CHECK(schema.Add({.path = "server"}).message() == "config key 'server' clashes with the section of the same name");
  CHECK(schema.Add({.path = "server.host.name"}).message() ==
        "config key 'server.host.name' is inside key 'server.host'");
  CHECK(schema.Add({.path = "server_grpc.port", .type = ConfigType::kInt, .default_value = "1"}).message() ==
        "config keys 'server.grpc_port' and 'server_grpc.port' share environment name CATENA_SERVER_GRPC_PORT");
  CHECK(schema.Add({.path = "log.verbose", .type = ConfigType::kBool, .default_value = "false", .min = 0}).message() ==
        "config key 'log.verbose': 'log.verbose': min/max are only allowed on int keys");
  CHECK(schema.Find("server.timeout") == nullptr);
  REQUIRE(schema.Find("server.grpc_port") != nullptr);
  CHECK(schema.Find("server.grpc_port")->help == "gRPC port");
  CHECK(schema.IsSection("server"));
  CHECK_FALSE(schema.IsSection("server.grpc_port"));
  CHECK(schema.Keys().size() == 7);
  CHECK(schema.Keys().front()->path == "inference.temperature");
}

TEST_CASE("config environment names are CATENA_ plus the upper-cased path", "[unit][config]") {
  CHECK(ConfigSchema::EnvironmentName("server.grpc_port") == "CATENA_SERVER_GRPC_PORT");
  CHECK(ConfigSchema::EnvironmentName("log.level") == "CATENA_LOG_LEVEL");
}

TEST_CASE("config without sources holds the typed defaults", "[unit][config]") {
  absl::StatusOr<Config> config = Config::Load(TestSchema(), ConfigSources{});
  REQUIRE(config.ok());
  CHECK(config->GetInt("server.grpc_port") == 50051);
  CHECK(config->GetString("server.host") == "0.0.0.0");
  CHECK(config->GetBool("log.json") == false);
  CHECK(config->GetDouble("inference.temperature") == 0.7);
  CHECK(config->GetStringList("retrieval.collections") == std::vector<std::string>{"bank-kb", "faq"});
  CHECK(config->Origin("server.grpc_port") == "default");
}

TEST_CASE("config sources apply in order defaults < file < environment < overrides", "[unit][config]") {
  const std::string path = WriteTempFile("catena.yaml",
                                         "# Catena\n"
                                         "server:\n"
                                         "  host: 127.0.0.1\n"
                                         "  grpc_port: 6000\n"
                                         "  workers: 8\n"
                                         "log: {level: debug, json: true}\n");
  const ConfigSources sources{
      .file_path = path,
      .environment = {{"CATENA_SERVER_GRPC_PORT", "7000"}, {"CATENA_SERVER_WORKERS", "16"}, {"PATH", "/bin"}},
      .overrides = {{.path = "server.grpc_port", .value = "8000", .origin = "--grpc-port"}},
  };
  absl::StatusOr<Config> config = Config::Load(TestSchema(), sources);
  REQUIRE(config.ok());
  CHECK(config->GetInt("server.grpc_port") == 8000);
  CHECK(config->Origin("server.grpc_port") == "--grpc-port");
  CHECK(config->GetInt("server.workers") == 16);
  CHECK(config->Origin("server.workers") == "environment CATENA_SERVER_WORKERS");
  CHECK(config->GetString("server.host") == "127.0.0.1");
  CHECK(config->Origin("server.host") == path + ":3:3");
  CHECK(config->GetString("log.level") == "debug");
  CHECK(config->Origin("log.level") == path + ":6:7");
  CHECK(config->GetBool("log.json"));
  CHECK(config->Origin("inference.temperature") == "default");
}

TEST_CASE("config overrides without an origin are named after their path", "[unit][config]") {
  absl::StatusOr<Config> config =
      Config::Load(TestSchema(), ConfigSources{.overrides = {{.path = "log.level", .value = "warn"}}});
  REQUIRE(config.ok());
  CHECK(config->Origin("log.level") == "override log.level");
  CHECK(LoadError(ConfigSources{.overrides = {{.path = "log.levle", .value = "warn"}}}) ==
        "override log.levle: unknown key 'log.levle' (did you mean 'log.level'?)");
}

TEST_CASE("config treats an empty or comment-only file as all defaults", "[unit][config]") {
  for (const std::string text : {"", "# nothing here\n", "---\n"}) {
    absl::StatusOr<Config> config = LoadFile(WriteTempFile("catena.yaml", text));
    REQUIRE(config.ok());
    CHECK(config->GetInt("server.grpc_port") == 50051);
    CHECK(config->Origin("server.grpc_port") == "default");
  }
}

TEST_CASE("config reports unknown file keys with a suggestion when one is close", "[unit][config]") {
  CHECK(FileError("server:\n  host: x\n  grcp_port: 1\n") ==
        "catena.yaml:3:3: unknown key 'server.grcp_port' (did you mean 'server.grpc_port'?)");
  CHECK(FileError("sever:\n  grpc_port: 1\n") == "catena.yaml:1:1: unknown key 'sever' (did you mean 'server'?)");
  CHECK(FileError("completely_unrelated: 1\n") == "catena.yaml:1:1: unknown key 'completely_unrelated'");
}

TEST_CASE("config reports bad file values at the value's line and column", "[unit][config]") {
  CHECK(FileError("server:\n  grpc_port: abc\n") ==
        "catena.yaml:2:14: 'server.grpc_port' must be an integer, got 'abc'");
  CHECK(FileError("server:\n  grpc_port: 70000\n") ==
        "catena.yaml:2:14: 'server.grpc_port' must be between 0 and 65535, got 70000");
  CHECK(FileError("server: {workers: 0}\n") == "catena.yaml:1:19: 'server.workers' must be at least 1, got 0");
  CHECK(FileError("inference:\n  temperature: warm\n") ==
        "catena.yaml:2:16: 'inference.temperature' must be a number, got 'warm'");
  CHECK(FileError("log:\n  level: verbose\n") ==
        "catena.yaml:2:10: 'log.level' must be one of 'debug', 'info', 'warn', got 'verbose'");
  CHECK(FileError("retrieval:\n  collections: [a, {b: c}]\n") ==
        "catena.yaml:2:20: 'retrieval.collections' must be a list of strings, got a mapping item");
}

TEST_CASE("config accepts only true and false for booleans in YAML but more spellings elsewhere", "[unit][config]") {
  CHECK(FileError("log:\n  json: yes\n") == "catena.yaml:2:9: 'log.json' must be true or false, got 'yes'");
  CHECK(LoadFile(WriteTempFile("catena.yaml", "log: {json: TRUE}\n"))->GetBool("log.json"));
  for (const auto& [text, expected] : std::vector<std::pair<std::string, bool>>{
           {"yes", true}, {"On", true}, {"1", true}, {"TRUE", true}, {"no", false}, {"off", false}, {"0", false}}) {
    absl::StatusOr<Config> config =
        Config::Load(TestSchema(), ConfigSources{.environment = {{"CATENA_LOG_JSON", text}}});
    REQUIRE(config.ok());
    CHECK(config->GetBool("log.json") == expected);
  }
  CHECK(LoadError(ConfigSources{.environment = {{"CATENA_LOG_JSON", "maybe"}}}) ==
        "environment CATENA_LOG_JSON: 'log.json' must be one of true/false/yes/no/on/off/1/0, got 'maybe'");
}

TEST_CASE("config reports structural YAML mistakes", "[unit][config]") {
  CHECK(FileError("server:\n  grpc_port:\n    nested: 1\n") ==
        "catena.yaml:3:5: 'server.grpc_port' must be a single value, got a mapping");
  CHECK(FileError("server:\n  grpc_port: [1, 2]\n") ==
        "catena.yaml:2:14: 'server.grpc_port' must be a single value, got a list");
  CHECK(FileError("server: 5\n") == "catena.yaml:1:9: 'server' is a section and must be a mapping, got a scalar");
  CHECK(FileError("- server\n- log\n") == "catena.yaml:1:1: top level must be a mapping, got a list");
  CHECK(FileError("just a string\n") == "catena.yaml:1:1: top level must be a mapping, got a scalar");
  CHECK(FileError("server:\n  grpc_port: 1\n  grpc_port: 2\n") ==
        "catena.yaml:3:3: duplicate key 'server.grpc_port' (first at catena.yaml:2:3)");
}

TEST_CASE("config reports YAML syntax errors with line and column", "[unit][config]") {
  CHECK(FileError("server:\n  grpc_port: 1\n  host: [unclosed\n") == "catena.yaml:4:1: end of sequence flow not found");
  CHECK(FileError("server:\n  host: a\n   bad: indentation\n") == "catena.yaml:3:7: illegal map value");
  CHECK(FileError("server: {grpc_port: 1\n") == "catena.yaml:2:1: end of map flow not found");
}

TEST_CASE("config reports a missing file with the system's reason", "[unit][config]") {
  CHECK(LoadError(ConfigSources{.file_path = "/nonexistent/catena.yaml"}) ==
        "/nonexistent/catena.yaml: cannot read file: No such file or directory");
}

TEST_CASE("config applies known CATENA_ variables and ignores unknown ones", "[unit][config]") {
  absl::StatusOr<Config> config =
      Config::Load(TestSchema(), ConfigSources{.environment = {{"CATENA_LOG_LEVEL", "warn"},
                                                               {"CATENA_SOMETHING_ELSE", "x"},
                                                               {"CATENA_RETRIEVAL_COLLECTIONS", "a, b ,c"}}});
  REQUIRE(config.ok());
  CHECK(config->GetString("log.level") == "warn");
  CHECK(config->Origin("log.level") == "environment CATENA_LOG_LEVEL");
  CHECK(config->GetStringList("retrieval.collections") == std::vector<std::string>{"a", "b", "c"});
  CHECK(LoadError(ConfigSources{.environment = {{"CATENA_SERVER_GRPC_PORT", "x"}}}) ==
        "environment CATENA_SERVER_GRPC_PORT: 'server.grpc_port' must be an integer, got 'x'");
}

TEST_CASE("config reports bad overrides under their origin", "[unit][config]") {
  CHECK(LoadError(
            ConfigSources{.overrides = {{.path = "server.grpc_port", .value = "70000", .origin = "--grpc-port"}}}) ==
        "--grpc-port: 'server.grpc_port' must be between 0 and 65535, got 70000");
}

TEST_CASE("config reads string lists from YAML sequences and comma-separated scalars", "[unit][config]") {
  absl::StatusOr<Config> sequence =
      LoadFile(WriteTempFile("catena.yaml", "retrieval:\n  collections:\n    - x\n    - y\n"));
  REQUIRE(sequence.ok());
  CHECK(sequence->GetStringList("retrieval.collections") == std::vector<std::string>{"x", "y"});
  absl::StatusOr<Config> scalar = LoadFile(WriteTempFile("catena.yaml", "retrieval: {collections: 'x,y'}\n"));
  REQUIRE(scalar.ok());
  CHECK(scalar->GetStringList("retrieval.collections") == std::vector<std::string>{"x", "y"});
  absl::StatusOr<Config> empty = LoadFile(WriteTempFile("catena.yaml", "retrieval: {collections: []}\n"));
  REQUIRE(empty.ok());
  CHECK(empty->GetStringList("retrieval.collections").empty());
}

TEST_CASE("config dump is YAML with origins that loads back to the same values", "[unit][config]") {
  const std::string path = WriteTempFile("catena.yaml", "server:\n  host: \"a \\\"b\\\": c\"\n");
  absl::StatusOr<Config> config =
      Config::Load(TestSchema(), ConfigSources{.file_path = path, .environment = {{"CATENA_LOG_JSON", "on"}}});
  REQUIRE(config.ok());
  const std::string dump = config->Dump();
  CHECK(dump ==
        "inference:\n"
        "  temperature: 0.7  # default\n"
        "log:\n"
        "  json: true  # environment CATENA_LOG_JSON\n"
        "  level: \"info\"  # default\n"
        "retrieval:\n"
        "  collections: [\"bank-kb\", \"faq\"]  # default\n"
        "server:\n"
        "  grpc_port: 50051  # default\n"
        "  host: \"a \\\"b\\\": c\"  # " +
            path +
            ":2:3\n"
            "  workers: 4  # default\n");
  absl::StatusOr<Config> reloaded = LoadFile(WriteTempFile("dump.yaml", dump));
  REQUIRE(reloaded.ok());
  CHECK(reloaded->GetString("server.host") == "a \"b\": c");
  CHECK(reloaded->GetBool("log.json"));
  CHECK(reloaded->GetDouble("inference.temperature") == 0.7);
  CHECK(reloaded->GetStringList("retrieval.collections") == std::vector<std::string>{"bank-kb", "faq"});
}

TEST_CASE("config getters abort on unknown paths and wrong types", "[unit][config]") {
  absl::StatusOr<Config> config = Config::Load(TestSchema(), ConfigSources{});
  REQUIRE(config.ok());
  CHECK(AbortMessage([&] { config->GetInt("server.nope"); }) == "catena::Config: unknown config path 'server.nope'\n");
  CHECK(AbortMessage([&] { config->GetString("server.grpc_port"); }) ==
        "catena::Config: 'server.grpc_port' has type int, read as string\n");
  CHECK(AbortMessage([&] { config->GetInt("server.grpc_port"); }) == "<no abort>");
}

TEST_CASE("current environment includes variables set in this process", "[unit][config]") {
  REQUIRE(setenv("CATENA_CONFIG_TEST_VAR", "a=b", 1) == 0);
  const std::map<std::string, std::string> environment = CurrentEnvironment();
  REQUIRE(environment.count("CATENA_CONFIG_TEST_VAR") == 1);
  CHECK(environment.at("CATENA_CONFIG_TEST_VAR") == "a=b");
  unsetenv("CATENA_CONFIG_TEST_VAR");
}

TEST_CASE("object list keys read YAML lists of mappings with a position per field", "[unit][config]") {
  ConfigSchema schema;
  CHECK_FALSE(schema.Add({.path = "a.items", .type = ConfigType::kObjectList}).ok());  // needs object_fields
  REQUIRE(schema.Add({.path = "a.items", .type = ConfigType::kObjectList, .object_fields = {"name", "url"}}).ok());
  const std::string file = WriteTempFile("objects.yaml", "a:\n  items:\n    - name: x\n      url: http://h\n    - {name: y}\n");
  auto config = Config::Load(schema, {.file_path = file});
  REQUIRE(config.ok());
  std::vector<ConfigObject> items = config->GetObjectList("a.items");
  REQUIRE(items.size() == 2);
  CHECK(items[0].Get("url") == "http://h");
  CHECK(items[0].origin == file + ":3:7");
  CHECK(items[0].Origin("url") == file + ":4:12");
  CHECK_FALSE(items[1].Has("url"));
  CHECK(items[1].Origin("url") == file + ":5:7");
  CHECK(Config::Load(schema, {}).value().GetObjectList("a.items").empty());
  auto env = Config::Load(schema, {.environment = {{"CATENA_A_ITEMS", "[{name: z}]"}}});
  REQUIRE(env.ok());
  CHECK(env->GetObjectList("a.items").at(0).origin == "environment CATENA_A_ITEMS item 1");
  auto bad = Config::Load(schema, {.file_path = WriteTempFile("bad.yaml", "a:\n  items:\n    - [x]\n")});
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(std::string(bad.status().message()), Catch::EndsWith(":3:7: each 'a.items' item must be a mapping, got a list"));
  auto broken = Config::Load(schema, {.environment = {{"CATENA_A_ITEMS", "[{name: "}}});
  REQUIRE_FALSE(broken.ok());
  CHECK_THAT(std::string(broken.status().message()), Catch::StartsWith("environment CATENA_A_ITEMS: 'a.items' is not a YAML"));
}

}  // namespace
}  // namespace catena
