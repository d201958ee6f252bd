// The API key file of catenad: one JSON document {"version": 1, "keys": [...]} listing every key's id, tenant,
// SHA-256 hash, creation and expiry time and whether it is revoked; the secrets themselves are never stored.
// `catena keys` changes it (create, revoke, rotate) under an exclusive lock and replaces it atomically; catenad
// only reads it (ApiKeyVerifier). Functions are safe to call from several processes at once.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace catena::auth {

struct ApiKeyRecord {
  std::string id;
  std::string tenant;
  std::string sha256;  // lowercase hex SHA-256 of the key
  absl::Time created = absl::UnixEpoch();
  absl::Time expires = absl::InfiniteFuture();  // InfiniteFuture = never
  bool revoked = false;
};

// The key file catenad uses when auth.keys_file is empty: <data_dir>/auth/keys.json.
std::filesystem::path DefaultKeysFile(const std::filesystem::path& data_dir);

// Whether the key may be used at `now`: not revoked and not expired.
bool IsActive(const ApiKeyRecord& record, absl::Time now);

// The records of the key file at `path`; a missing file has none. INVALID_ARGUMENT naming the file and the
// record (index and field) for malformed content.
absl::StatusOr<std::vector<ApiKeyRecord>> ReadKeyFile(const std::filesystem::path& path);

// Replaces the key file atomically (temporary file, fsync, rename) with mode 0600, creating its directory.
absl::Status WriteKeyFile(const std::filesystem::path& path, const std::vector<ApiKeyRecord>& records);

// A key just made: its record and the secret, which exists nowhere else and must be shown to the user once.
struct CreatedKey {
  ApiKeyRecord record;
  std::string secret;
};

// Adds a new key of `tenant` that expires at `expires` (InfiniteFuture = never). INVALID_ARGUMENT for a bad tenant
// id or an expiry not after `now`.
absl::StatusOr<CreatedKey> CreateKey(const std::filesystem::path& path, const std::string& tenant, absl::Time expires,
                                     absl::Time now);

// Marks key `id` revoked (idempotent) and returns its record. NOT_FOUND naming the id when there is none.
absl::StatusOr<ApiKeyRecord> RevokeKey(const std::filesystem::path& path, const std::string& id);

// Replaces key `id` with a new key of the same tenant and expiry and revokes the old one. NOT_FOUND for an
// unknown id, FAILED_PRECONDITION for a key that is already revoked.
absl::StatusOr<CreatedKey> RotateKey(const std::filesystem::path& path, const std::string& id, absl::Time now);

// "2026-01-02T03:04:05Z", or "never" for InfiniteFuture.
std::string FormatKeyTime(absl::Time time);

}  // namespace catena::auth
