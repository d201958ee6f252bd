// Authenticator: the one decision catenad makes for every gRPC call and HTTP request before any work: who is the
// caller (the tenant of its API key, when auth is enabled), may it act as the tenant it names, and is that tenant
// within its quotas. Used by server/auth_interceptor.cc (gRPC) and the HTTP layer in server/catenad.cc.
// Thread-safe; lives as long as the servers that call it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "auth/key_verifier.h"
#include "auth/tenant_quotas.h"

namespace catena::auth {

struct AuthOptions {
  bool enabled = false;             // require an API key on every request except the open routes
  std::filesystem::path keys_file;  // the key file (key_store.h)
  bool open_health = true;          // grpc.health.v1, /healthz and /readyz without a key
  bool open_metrics = true;         // /metrics without a key
  QuotaOptions quotas;              // applied with or without keys
};

// An admitted request: the tenant it acts for, and its quota slot (released when the last copy is destroyed).
struct Admission {
  std::string tenant;
  std::shared_ptr<void> slot;
};

class Authenticator {
 public:
  // Loads the key file when auth is enabled. INVALID_ARGUMENT for a malformed key file.
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(AuthOptions options);

  const AuthOptions& options() const { return options_; }

  // Admits one request given its authorization header value and the tenant it names ("" = none).
  // With auth enabled: UNAUTHENTICATED for a missing, malformed, unknown, revoked or expired key, and
  // PERMISSION_DENIED when `claimed_tenant` is not the key's tenant; the admitted tenant is the key's.
  // Without auth: the claimed tenant (or "default"); INVALID_ARGUMENT for a malformed one.
  // Then RESOURCE_EXHAUSTED when the tenant is over a quota. This process's own in-process calls (carrying
  // internal_authorization()) are admitted for the tenant they name, without quotas.
  absl::StatusOr<Admission> Admit(std::string_view authorization, std::string_view claimed_tenant);

  // The authorization value ("Bearer <random per-process secret>") that in-process calls carry.
  const std::string& internal_authorization() const { return internal_authorization_; }

 private:
  explicit Authenticator(AuthOptions options) : options_(std::move(options)), quotas_(options_.quotas) {}
  absl::StatusOr<std::string> TenantOf(std::string_view authorization, std::string_view claimed_tenant);

  const AuthOptions options_;
  std::unique_ptr<ApiKeyVerifier> verifier_;  // null when auth is disabled
  TenantQuotas quotas_;
  std::string internal_authorization_;
};

}  // namespace catena::auth
