#include "auth/api_key.h"

#include <openssl/rand.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/sha256.h"

namespace catena::auth {
namespace {

absl::StatusOr<std::string> RandomBytes(size_t count) {
  std::string bytes(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
    return absl::InternalError("the random number generator failed; cannot create a key");
  }
  return bytes;
}

}  // namespace

absl::StatusOr<std::string> GenerateApiKey() {
  constexpr size_t kSecretBytes = 32;
  auto bytes = RandomBytes(kSecretBytes);
  if (!bytes.ok()) return bytes.status();
  return absl::StrCat(kApiKeyPrefix, absl::WebSafeBase64Escape(*bytes));
}

absl::StatusOr<std::string> GenerateKeyId() {
  constexpr size_t kIdBytes = 8;
  auto bytes = RandomBytes(kIdBytes);
  if (!bytes.ok()) return bytes.status();
  return absl::StrCat("key_", absl::BytesToHexString(*bytes));
}

std::string HashApiKey(std::string_view key) { return Sha256Hex(key); }

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  volatile unsigned char difference = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    difference = difference | static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return difference == 0;
}

absl::StatusOr<std::string> BearerToken(std::string_view authorization) {
  if (authorization.empty()) {
    return absl::UnauthenticatedError("missing API key: send 'authorization: Bearer <key>'");
  }
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() < kScheme.size() ||
      absl::AsciiStrToLower(std::string(authorization.substr(0, kScheme.size()))) != kScheme) {
    return absl::UnauthenticatedError("the authorization header must use the Bearer scheme: 'Bearer <key>'");
  }
  std::string key(absl::StripAsciiWhitespace(std::string(authorization.substr(kScheme.size()))));
  if (key.empty()) return absl::UnauthenticatedError("the authorization header has an empty Bearer key");
  return key;
}

}  // namespace catena::auth
