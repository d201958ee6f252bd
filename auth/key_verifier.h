// ApiKeyVerifier: answers "which tenant does this key belong to?" for catenad from the key file (key_store.h),
// which it re-reads when the file changes (checked at most every `recheck` interval), so keys created, revoked or
// rotated with `catena keys` take effect without a restart. Thread-safe; Verify is called on every request.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "auth/key_store.h"

namespace catena::auth {

struct ApiKeyVerifierOptions {
  std::filesystem::path keys_file;
  // How often the file's identity (inode, size, mtime) is compared with the loaded version.
  absl::Duration recheck = absl::Milliseconds(100);
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

class ApiKeyVerifier {
 public:
  // Loads the key file (a missing file means no keys yet). INVALID_ARGUMENT for a malformed file.
  static absl::StatusOr<std::unique_ptr<ApiKeyVerifier>> Create(ApiKeyVerifierOptions options);

  // The tenant of `key`. UNAUTHENTICATED ("unknown", "revoked" or "expired" API key) otherwise; the key itself is
  // never echoed. Every stored hash is compared in constant time.
  absl::StatusOr<std::string> Verify(std::string_view key);

  // Number of records loaded now (for logs and tests).
  size_t size();

 private:
  struct FileIdentity {
    bool exists = false;
    uint64_t inode = 0;
    int64_t size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const FileIdentity&) const = default;
  };

  explicit ApiKeyVerifier(ApiKeyVerifierOptions options) : options_(std::move(options)) {}
  FileIdentity Identify() const;
  // Re-reads the file when it changed; a malformed new version is logged and the previous keys stay in force.
  absl::Status MaybeReload() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ApiKeyVerifierOptions options_;
  absl::Mutex mu_;
  std::vector<ApiKeyRecord> records_ ABSL_GUARDED_BY(mu_);
  FileIdentity loaded_ ABSL_GUARDED_BY(mu_);
  absl::Time last_check_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace catena::auth
