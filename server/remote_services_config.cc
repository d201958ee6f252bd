#include "server/remote_services_config.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "server/config_keys.h"

namespace catena::server {
namespace {

constexpr std::array<const char*, 4> kRemoteCapable = {"inference", "embedding", "retrieval", "memory"};
constexpr int64_t kHour = 3'600'000;

absl::StatusOr<std::optional<remote::RemoteServiceOptions>> ServiceFromConfig(const Config& config,
                                                                              const std::string& name) {
  const std::string address_key = absl::StrCat("services.", name, ".address");
  const std::string address = config.GetString(address_key);
  if (address.empty()) return std::nullopt;
  if (absl::Status status = remote::ValidateAddress(address, address_key); !status.ok()) {
    return Annotate(status, config.Origin(address_key));
  }
  const int64_t own_deadline = config.GetInt(absl::StrCat("services.", name, ".deadline_ms"));
  const int64_t deadline_ms = own_deadline > 0 ? own_deadline : config.GetInt("services.deadline_ms");
  return remote::RemoteServiceOptions{
      .service = name,
      .address = address,
      .deadline = absl::Milliseconds(deadline_ms),
      .max_attempts = static_cast<int>(config.GetInt("services.max_attempts")),
      .initial_backoff = absl::Milliseconds(config.GetInt("services.initial_backoff_ms")),
      .max_backoff = absl::Milliseconds(config.GetInt("services.max_backoff_ms")),
      .token = config.GetString("services.token")};
}

}  // namespace

const std::optional<remote::RemoteServiceOptions>* RemoteServices::Find(std::string_view name) const {
  if (name == "inference") return &inference;
  if (name == "embedding") return &embedding;
  if (name == "retrieval") return &retrieval;
  if (name == "memory") return &memory;
  return nullptr;
}

void RemoteServices::Drop(std::string_view name) {
  if (name == "inference") inference.reset();
  if (name == "embedding") embedding.reset();
  if (name == "retrieval") retrieval.reset();
  if (name == "memory") memory.reset();
}

absl::Status RegisterRemoteConfig(ConfigSchema& schema) {
  for (const char* name : kRemoteCapable) {
    CATENA_RETURN_IF_ERROR(schema.Add(ConfigKey{
        .path = absl::StrCat("services.", name, ".address"),
        .type = ConfigType::kString,
        .default_value = "",
        .help = absl::StrCat("host:port of a catenad running the ", name,
                             " service; when set and this process does not run it, pipelines call it over gRPC "
                             "instead of opening it here. Empty = in-process.")}));
    CATENA_RETURN_IF_ERROR(
        schema.Add(IntKey(absl::StrCat("services.", name, ".deadline_ms"), 0, 0, 24 * kHour,
                          absl::StrCat("Deadline of one call to the remote ", name,
                                       " service (capped by the run's); 0 = services.deadline_ms."))));
  }
  CATENA_RETURN_IF_ERROR(schema.Add(
      IntKey("services.deadline_ms", 30'000, 1, 24 * kHour, "Default deadline of one call to a remote service.")));
  CATENA_RETURN_IF_ERROR(schema.Add(IntKey("services.max_attempts", 4, 1, 100,
                                           "Attempts of an idempotent remote call that fails with UNAVAILABLE.")));
  CATENA_RETURN_IF_ERROR(schema.Add(
      IntKey("services.initial_backoff_ms", 100, 1, kHour, "Pause before the first retry; doubles per retry.")));
  CATENA_RETURN_IF_ERROR(
      schema.Add(IntKey("services.max_backoff_ms", 1000, 1, kHour, "Longest pause between two retries.")));
  return schema.Add(ConfigKey{.path = "services.token",
                              .type = ConfigType::kString,
                              .default_value = "",
                              .help = "Bearer token sent to remote services (when they require authentication)."});
}

absl::StatusOr<RemoteServices> RemoteServicesFromConfig(const Config& config) {
  if (config.GetInt("services.max_backoff_ms") < config.GetInt("services.initial_backoff_ms")) {
    return absl::InvalidArgumentError(
        absl::StrCat(config.Origin("services.max_backoff_ms"), ": services.max_backoff_ms (",
                     config.GetInt("services.max_backoff_ms"), ") is below services.initial_backoff_ms (",
                     config.GetInt("services.initial_backoff_ms"), ")"));
  }
  RemoteServices services;
  CATENA_ASSIGN_OR_RETURN(services.inference, ServiceFromConfig(config, "inference"));
  CATENA_ASSIGN_OR_RETURN(services.embedding, ServiceFromConfig(config, "embedding"));
  CATENA_ASSIGN_OR_RETURN(services.retrieval, ServiceFromConfig(config, "retrieval"));
  CATENA_ASSIGN_OR_RETURN(services.memory, ServiceFromConfig(config, "memory"));
  return services;
}

}  // namespace catena::server
