#include "auth/key_verifier.h"

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "auth/api_key.h"
#include "spdlog/spdlog.h"

namespace catena::auth {

absl::StatusOr<std::unique_ptr<ApiKeyVerifier>> ApiKeyVerifier::Create(ApiKeyVerifierOptions options) {
  std::unique_ptr<ApiKeyVerifier> verifier(new ApiKeyVerifier(std::move(options)));
  absl::MutexLock lock(&verifier->mu_);
  verifier->loaded_ = verifier->Identify();
  auto records = ReadKeyFile(verifier->options_.keys_file);
  if (!records.ok()) return records.status();
  verifier->records_ = *std::move(records);
  verifier->last_check_ = verifier->options_.clock();
  return verifier;
}

ApiKeyVerifier::FileIdentity ApiKeyVerifier::Identify() const {
  struct stat info {};
  if (::stat(options_.keys_file.c_str(), &info) != 0) return {};
  return {.exists = true,
          .inode = static_cast<uint64_t>(info.st_ino),
          .size = static_cast<int64_t>(info.st_size),
          .mtime_ns = static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec};
}

absl::Status ApiKeyVerifier::MaybeReload() {
  const absl::Time now = options_.clock();
  if (now - last_check_ < options_.recheck) return absl::OkStatus();
  last_check_ = now;
  const FileIdentity identity = Identify();
  if (identity == loaded_) return absl::OkStatus();
  auto records = ReadKeyFile(options_.keys_file);
  if (!records.ok()) {
    spdlog::error("keeping the previous API keys: {}", records.status().ToString());
    return records.status();
  }
  records_ = *std::move(records);
  loaded_ = identity;
  spdlog::info("reloaded {} API keys from {}", records_.size(), options_.keys_file.string());
  return absl::OkStatus();
}

absl::StatusOr<std::string> ApiKeyVerifier::Verify(std::string_view key) {
  const std::string hash = HashApiKey(key);
  absl::MutexLock lock(&mu_);
  MaybeReload().IgnoreError();
  // Every record is compared so the time taken does not tell where (or whether) a key matched.
  const ApiKeyRecord* match = nullptr;
  for (const ApiKeyRecord& record : records_) {
    if (ConstantTimeEquals(record.sha256, hash)) match = &record;
  }
  if (match == nullptr) return absl::UnauthenticatedError("unknown API key");
  if (match->revoked) return absl::UnauthenticatedError(absl::StrCat("API key ", match->id, " is revoked"));
  if (options_.clock() >= match->expires) {
    return absl::UnauthenticatedError(
        absl::StrCat("API key ", match->id, " expired at ", FormatKeyTime(match->expires)));
  }
  return match->tenant;
}

size_t ApiKeyVerifier::size() {
  absl::MutexLock lock(&mu_);
  return records_.size();
}

}  // namespace catena::auth
