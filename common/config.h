// Schema-driven configuration for catenad and the tools: a ConfigSchema lists every key (type, default, limits),
// and Config::Load merges defaults < YAML file < CATENA_* environment variables < command-line overrides,
// reporting the first problem as one INVALID_ARGUMENT line that names where it came from ("catena.yaml:4:14: ...").
// Build the schema once at startup; a loaded Config is immutable and safe to read from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace catena {

// The type a configuration value is parsed into.
// kObjectList: a YAML list of mappings of scalars (e.g. models.remote); from the environment or an override, the
// same list written as YAML flow / JSON text ('[{name: a, base_url: "http://..."}]').
enum class ConfigType { kString, kInt, kDouble, kBool, kStringList, kObjectList };

// One item of a kObjectList value: its scalar fields and where each came from, so that consumers validating
// the fields can name "catena.yaml:12:9" in their errors.
struct ConfigObject {
  std::string origin;                                // the item, e.g. "catena.yaml:11:7"
  std::map<std::string, std::string> fields;         // field -> value text ("" for an empty value)
  std::map<std::string, std::string> field_origins;  // field -> where its value is
  // True when `field` is set.
  bool Has(std::string_view field) const { return fields.count(std::string(field)) > 0; }
  // The value of `field`, or `fallback` when it is absent.
  std::string Get(std::string_view field, std::string fallback = "") const;
  // Where `field` was set; the item's origin when it is absent.
  std::string Origin(std::string_view field) const;
  bool operator==(const ConfigObject& other) const { return fields == other.fields; }
};

// One configuration key. Paths are dotted lowercase segments ("server.grpc_port"); in YAML each segment is a
// nested mapping, in the environment the path becomes CATENA_SERVER_GRPC_PORT.
struct ConfigKey {
  std::string path;
  ConfigType type = ConfigType::kString;
  std::string default_value;                // Textual, parsed by `type`; lists are comma-separated.
  std::string help;                         // One line shown by --help and Config::Dump.
  std::vector<std::string> allowed_values;  // kString / each kStringList item; empty = any value.
  std::optional<int64_t> min;               // kInt only, inclusive.
  std::optional<int64_t> max;               // kInt only, inclusive.
  std::vector<std::string> object_fields;   // kObjectList only: the field names items may use (required).
};

// The set of keys a program understands. Not thread-safe while being built; read-only afterwards.
class ConfigSchema {
 public:
  // Registers `key`; rejects bad paths, duplicates (ALREADY_EXISTS), path/section clashes, environment-name
  // clashes, limits on the wrong type, and defaults that do not satisfy the key's own rules (INVALID_ARGUMENT).
  absl::Status Add(ConfigKey key);

  // Returns the key registered under `path`, or nullptr.
  const ConfigKey* Find(std::string_view path) const;

  // True when `path` is a proper prefix section of some key ("server" for "server.grpc_port").
  bool IsSection(std::string_view path) const;

  // All keys, sorted by path.
  std::vector<const ConfigKey*> Keys() const;

  // The known path or section closest to `path` by edit distance when it is a plausible typo, else "".
  std::string Suggest(std::string_view path) const;

  // Environment variable for `path`: "server.grpc_port" -> "CATENA_SERVER_GRPC_PORT".
  static std::string EnvironmentName(std::string_view path);

 private:
  std::map<std::string, ConfigKey, std::less<>> keys_;
};

// A value set on the command line (or by any other caller) that beats every other source.
struct ConfigOverride {
  std::string path;    // "server.grpc_port"
  std::string value;   // Textual, parsed like an environment variable.
  std::string origin;  // Names the source in messages, e.g. "--grpc-port"; empty = "override <path>".
};

// Where Config::Load reads values from, lowest precedence first after the schema defaults.
struct ConfigSources {
  std::string file_path;                           // Optional YAML file; empty = none.
  std::map<std::string, std::string> environment;  // Only CATENA_* names that map to a key matter.
  std::vector<ConfigOverride> overrides;           // Applied in order; later ones win.
};

// Returns a copy of this process's environment variables.
std::map<std::string, std::string> CurrentEnvironment();

// The effective configuration: every schema key with its typed value and where that value came from.
class Config {
 public:
  // Merges `sources` over the defaults of `schema`; the first error is INVALID_ARGUMENT naming its location.
  static absl::StatusOr<Config> Load(const ConfigSchema& schema, const ConfigSources& sources);

  // Typed getters. An unknown path or a getter of the wrong type is a programming error: aborts with a message.
  int64_t GetInt(std::string_view path) const;
  double GetDouble(std::string_view path) const;
  bool GetBool(std::string_view path) const;
  std::string GetString(std::string_view path) const;
  std::vector<std::string> GetStringList(std::string_view path) const;
  std::vector<ConfigObject> GetObjectList(std::string_view path) const;

  // Where the value of `path` came from: "default", "catena.yaml:4:3", "environment CATENA_X", "--grpc-port".
  std::string Origin(std::string_view path) const;

  // The effective configuration as YAML (loadable again), each value followed by "# <origin>".
  std::string Dump() const;

 private:
  using Value = std::variant<std::string, int64_t, double, bool, std::vector<std::string>, std::vector<ConfigObject>>;

  struct Entry {
    ConfigType type;
    Value value;
    std::string origin;
  };

  // Abort on an unknown path (and, for Lookup, on a type mismatch): both are programming errors.
  const Entry& EntryOrDie(std::string_view path) const;
  const Entry& Lookup(std::string_view path, ConfigType type) const;

  std::map<std::string, Entry, std::less<>> entries_;

  friend class ConfigLoader;
};

}  // namespace catena
