// The services.* keys of catenad's distributed mode: the address of each service this process should call over
// gRPC instead of opening it in-process, and the deadline and retry settings of those calls. Used by
// server_config.cc (keys, parsing) and service_catalog.cc (wiring). Pure functions; no shared state.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/config.h"
#include "remote/remote_call.h"

namespace catena::server {

// One RemoteServiceOptions per service that has an address; nullopt = in-process.
struct RemoteServices {
  std::optional<remote::RemoteServiceOptions> inference;
  std::optional<remote::RemoteServiceOptions> embedding;
  std::optional<remote::RemoteServiceOptions> retrieval;
  std::optional<remote::RemoteServiceOptions> memory;

  // The entry of a short service name ("retrieval"); nullptr for names without one.
  const std::optional<remote::RemoteServiceOptions>* Find(std::string_view name) const;
  // Forgets the address of `name` (this process runs that service itself).
  void Drop(std::string_view name);
};

// Adds services.<name>.address / .deadline_ms for inference, embedding, retrieval and memory, and the shared
// services.deadline_ms, max_attempts, initial_backoff_ms, max_backoff_ms and token keys.
absl::Status RegisterRemoteConfig(ConfigSchema& schema);

// Reads the services.* keys. INVALID_ARGUMENT naming the key's origin (file:line, env var or flag) for an
// address that is not host:port, or max_backoff_ms below initial_backoff_ms.
absl::StatusOr<RemoteServices> RemoteServicesFromConfig(const Config& config);

}  // namespace catena::server
