// API key primitives of catenad's authentication: generating secrets and ids, hashing keys for storage and
// comparing hashes in constant time, and reading "Bearer" credentials. Used by the key store (key_store.h), the
// server's Authenticator and `catena keys`. Pure functions; the generators are thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace catena::auth {

// Every generated key starts with this, so leaked keys are easy to recognise in logs and scanners.
inline constexpr char kApiKeyPrefix[] = "ck_";

// A new secret: "ck_" and 32 random bytes in unpadded base64url (46 characters). INTERNAL if the RNG fails.
absl::StatusOr<std::string> GenerateApiKey();

// A new key id: "key_" and 8 random bytes in lowercase hex. INTERNAL if the RNG fails.
absl::StatusOr<std::string> GenerateKeyId();

// The lowercase hex SHA-256 of `key`: what the key file stores instead of the key.
std::string HashApiKey(std::string_view key);

// Whether a == b; the time taken depends only on the lengths, never on where the first difference is.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// The key in an authorization header value "Bearer <key>" (scheme case-insensitive). UNAUTHENTICATED saying what
// is wrong (missing header, other scheme, empty key) otherwise.
absl::StatusOr<std::string> BearerToken(std::string_view authorization);

}  // namespace catena::auth
