#include "server/remote_config.h"

#include <set>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/status.h"
#include "connectors/secrets.h"

namespace catena::server {
namespace {

constexpr const char* kModelsKey = "models.remote";
constexpr const char* kEmbeddersKey = "embedding.remote";

// Reads the fields of one item, reporting errors at the field's position.
class ItemReader {
 public:
  ItemReader(const ConfigObject& item, std::string key, size_t index)
      : item_(item), prefix_(absl::StrCat(key, "[", index, "]")) {}

  absl::Status Error(std::string_view field, std::string_view message) const {
    return absl::InvalidArgumentError(
        absl::StrCat(item_.Origin(field), ": ", prefix_, " ", std::string(field), ": ", std::string(message)));
  }

  absl::StatusOr<std::string> Required(std::string_view field) const {
    std::string value = item_.Get(field);
    if (value.empty()) return Error(field, "is required");
    return value;
  }

  absl::StatusOr<absl::Duration> Duration(std::string_view field, absl::Duration fallback) const {
    if (!item_.Has(field)) return fallback;
    absl::Duration value;
    if (!absl::ParseDuration(item_.Get(field), &value) || value <= absl::ZeroDuration()) {
      return Error(field, absl::StrCat("'", item_.Get(field), "' is not a positive duration such as 500ms, 30s or 2m"));
    }
    return value;
  }

  absl::StatusOr<int64_t> Int(std::string_view field, int64_t fallback, int64_t min, int64_t max) const {
    if (!item_.Has(field)) return fallback;
    int64_t value = 0;
    if (!absl::SimpleAtoi(item_.Get(field), &value) || value < min || value > max) {
      return Error(field, absl::StrCat("must be an integer between ", min, " and ", max, ", got '", item_.Get(field), "'"));
    }
    return value;
  }

  absl::StatusOr<bool> Bool(std::string_view field, bool fallback) const {
    if (!item_.Has(field)) return fallback;
    if (item_.Get(field) == "true") return true;
    if (item_.Get(field) == "false") return false;
    return Error(field, absl::StrCat("must be true or false, got '", item_.Get(field), "'"));
  }

  // A secret reference that resolves now (the value is not kept; the client resolves it again).
  absl::StatusOr<std::string> ApiKey() const {
    std::string ref = item_.Get("api_key");
    if (ref.empty()) return ref;
    if (ref.rfind("env:", 0) != 0 && ref.rfind("file:", 0) != 0 && ref.rfind("literal:", 0) != 0) {
      return Error("api_key", "must be a secret reference: env:NAME, file:/path (or literal:KEY for tests)");
    }
    absl::StatusOr<std::string> resolved = connectors::ResolveSecret(ref);
    if (!resolved.ok()) return Error("api_key", std::string(resolved.status().message()));
    return ref;
  }

 private:
  const ConfigObject& item_;
  std::string prefix_;
};

// The connection settings both lists share.
absl::StatusOr<connectors::OpenAiClientOptions> ClientOptions(const ItemReader& reader) {
  connectors::OpenAiClientOptions client;
  CATENA_ASSIGN_OR_RETURN(client.base_url, reader.Required("base_url"));
  if (client.base_url.rfind("http://", 0) != 0 && client.base_url.rfind("https://", 0) != 0) {
    return reader.Error("base_url", absl::StrCat("'", client.base_url, "' must start with http:// or https://"));
  }
  CATENA_ASSIGN_OR_RETURN(client.api_key_ref, reader.ApiKey());
  CATENA_ASSIGN_OR_RETURN(client.timeout, reader.Duration("timeout", client.timeout));
  CATENA_ASSIGN_OR_RETURN(client.connect_timeout, reader.Duration("connect_timeout", client.connect_timeout));
  CATENA_ASSIGN_OR_RETURN(client.idle_timeout, reader.Duration("idle_timeout", client.idle_timeout));
  CATENA_ASSIGN_OR_RETURN(int64_t retries, reader.Int("max_retries", client.retry.max_attempts - 1, 0, 20));
  client.retry.max_attempts = static_cast<int>(retries) + 1;
  return client;
}

absl::Status CheckUnique(const ItemReader& reader, std::set<std::string>& names, const std::string& name) {
  if (!names.insert(name).second) return reader.Error("name", absl::StrCat("'", name, "' is configured twice"));
  return absl::OkStatus();
}

}  // namespace

std::vector<ConfigKey> RemoteConfigKeys() {
  return {
      ConfigKey{.path = kModelsKey,
                .type = ConfigType::kObjectList,
                .default_value = "",
                .help = "OpenAI-compatible chat models llm nodes and the gateway may call by name: items with name, "
                        "base_url, model (upstream id), api_key (env:NAME or file:/path), timeout, connect_timeout, "
                        "idle_timeout, max_retries, stream.",
                .object_fields = {"name", "base_url", "model", "api_key", "timeout", "connect_timeout",
                                  "idle_timeout", "max_retries", "stream"}},
      ConfigKey{.path = kEmbeddersKey,
                .type = ConfigType::kObjectList,
                .default_value = "",
                .help = "OpenAI-compatible /embeddings endpoints served as embedders: items with name, base_url, "
                        "model, api_key, dimension (0 = probe at start), batch_size, timeout, max_retries.",
                .object_fields = {"name", "base_url", "model", "api_key", "dimension", "batch_size", "timeout",
                                  "connect_timeout", "max_retries"}},
  };
}

absl::StatusOr<std::vector<chains::RemoteChatModelSpec>> RemoteChatModelsFromConfig(const Config& config) {
  std::vector<chains::RemoteChatModelSpec> specs;
  std::set<std::string> names;
  const std::vector<ConfigObject> items = config.GetObjectList(kModelsKey);
  for (size_t i = 0; i < items.size(); ++i) {
    ItemReader reader(items[i], kModelsKey, i);
    chains::RemoteChatModelSpec spec;
    CATENA_ASSIGN_OR_RETURN(spec.name, reader.Required("name"));
    CATENA_RETURN_IF_ERROR(CheckUnique(reader, names, spec.name));
    spec.upstream_model = items[i].Get("model", spec.name);
    CATENA_ASSIGN_OR_RETURN(spec.stream, reader.Bool("stream", true));
    CATENA_ASSIGN_OR_RETURN(spec.client, ClientOptions(reader));
    specs.push_back(std::move(spec));
  }
  return specs;
}

absl::StatusOr<std::vector<chains::RemoteEmbedderSpec>> RemoteEmbeddersFromConfig(const Config& config) {
  std::vector<chains::RemoteEmbedderSpec> specs;
  std::set<std::string> names;
  const std::vector<ConfigObject> items = config.GetObjectList(kEmbeddersKey);
  for (size_t i = 0; i < items.size(); ++i) {
    ItemReader reader(items[i], kEmbeddersKey, i);
    chains::RemoteEmbedderSpec spec;
    CATENA_ASSIGN_OR_RETURN(spec.name, reader.Required("name"));
    CATENA_RETURN_IF_ERROR(CheckUnique(reader, names, spec.name));
    CATENA_ASSIGN_OR_RETURN(spec.client.model, reader.Required("model"));
    CATENA_ASSIGN_OR_RETURN(spec.client.client, ClientOptions(reader));
    spec.timeout = spec.client.client.timeout;
    CATENA_ASSIGN_OR_RETURN(int64_t dimension, reader.Int("dimension", 0, 0, 65536));
    spec.client.dimensions = static_cast<int>(dimension);
    CATENA_ASSIGN_OR_RETURN(int64_t batch, reader.Int("batch_size", 64, 1, 4096));
    spec.client.batch_size = static_cast<size_t>(batch);
    specs.push_back(std::move(spec));
  }
  return specs;
}

}  // namespace catena::server
