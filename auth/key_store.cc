#include "auth/key_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "auth/api_key.h"
#include "common/request_context.h"
#include "common/status.h"
#include "nlohmann/json.hpp"

namespace catena::auth {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr int kFileVersion = 1;

absl::StatusOr<absl::Time> ParseKeyTime(const json& value, const std::string& where) {
  if (value.is_null()) return absl::InfiniteFuture();
  absl::Time time;
  std::string error;
  if (!value.is_string() || !absl::ParseTime(absl::RFC3339_full, value.get<std::string>(), &time, &error)) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": expected an RFC 3339 time such as 2026-01-02T03:04:05Z"));
  }
  return time;
}

absl::StatusOr<std::string> StringField(const json& record, const char* field, const std::string& where) {
  auto it = record.find(field);
  if (it == record.end() || !it->is_string() || it->get<std::string>().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".", field, ": expected a non-empty string"));
  }
  return it->get<std::string>();
}

absl::StatusOr<ApiKeyRecord> ParseRecord(const json& value, const std::string& where) {
  if (!value.is_object()) return absl::InvalidArgumentError(absl::StrCat(where, ": expected an object"));
  ApiKeyRecord record;
  CATENA_ASSIGN_OR_RETURN(record.id, StringField(value, "id", where));
  CATENA_ASSIGN_OR_RETURN(record.tenant, StringField(value, "tenant", where));
  CATENA_ASSIGN_OR_RETURN(record.sha256, StringField(value, "sha256", where));
  if (record.sha256.size() != 64) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".sha256: expected 64 hex digits"));
  }
  CATENA_ASSIGN_OR_RETURN(record.created, ParseKeyTime(value.value("created", json()), where + ".created"));
  CATENA_ASSIGN_OR_RETURN(record.expires, ParseKeyTime(value.value("expires", json()), where + ".expires"));
  const json revoked = value.value("revoked", json(false));
  if (!revoked.is_boolean()) return absl::InvalidArgumentError(absl::StrCat(where, ".revoked: expected a boolean"));
  record.revoked = revoked.get<bool>();
  return record;
}

json RecordJson(const ApiKeyRecord& record) {
  json expires = record.expires == absl::InfiniteFuture() ? json() : json(FormatKeyTime(record.expires));
  return json{{"id", record.id},         {"tenant", record.tenant},
              {"sha256", record.sha256}, {"created", FormatKeyTime(record.created)},
              {"expires", expires},      {"revoked", record.revoked}};
}

// Holds an exclusive flock on "<key file>.lock" so concurrent `catena keys` runs do not lose each other's changes.
class FileLock {
 public:
  explicit FileLock(const fs::path& path) {
    std::error_code error;
    if (path.has_parent_path()) fs::create_directories(path.parent_path(), error);
    fd_ = ::open((path.string() + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

absl::StatusOr<CreatedKey> NewKey(const std::string& tenant, absl::Time expires, absl::Time now) {
  CreatedKey key;
  CATENA_ASSIGN_OR_RETURN(key.secret, GenerateApiKey());
  CATENA_ASSIGN_OR_RETURN(key.record.id, GenerateKeyId());
  key.record.tenant = tenant;
  key.record.sha256 = HashApiKey(key.secret);
  key.record.created = absl::FromUnixSeconds(absl::ToUnixSeconds(now));
  key.record.expires =
      expires == absl::InfiniteFuture() ? expires : absl::FromUnixSeconds(absl::ToUnixSeconds(expires));
  return key;
}

}  // namespace

std::filesystem::path DefaultKeysFile(const std::filesystem::path& data_dir) { return data_dir / "auth" / "keys.json"; }

bool IsActive(const ApiKeyRecord& record, absl::Time now) { return !record.revoked && now < record.expires; }

std::string FormatKeyTime(absl::Time time) {
  if (time == absl::InfiniteFuture()) return "never";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

absl::StatusOr<std::vector<ApiKeyRecord>> ReadKeyFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!fs::exists(path)) return std::vector<ApiKeyRecord>{};
    return absl::PermissionDeniedError(absl::StrCat("cannot read key file '", path.string(), "'"));
  }
  std::stringstream text;
  text << in.rdbuf();
  const json document = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  const std::string where = path.string();
  if (document.is_discarded() || !document.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": not a JSON object"));
  }
  if (document.value("version", 0) != kFileVersion) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": version must be ", kFileVersion));
  }
  const json keys = document.value("keys", json::array());
  if (!keys.is_array()) return absl::InvalidArgumentError(absl::StrCat(where, ": keys must be an array"));
  std::vector<ApiKeyRecord> records;
  for (size_t i = 0; i < keys.size(); ++i) {
    CATENA_ASSIGN_OR_RETURN(ApiKeyRecord record, ParseRecord(keys[i], absl::StrCat(where, ": keys[", i, "]")));
    records.push_back(std::move(record));
  }
  return records;
}

absl::Status WriteKeyFile(const fs::path& path, const std::vector<ApiKeyRecord>& records) {
  json keys = json::array();
  for (const ApiKeyRecord& record : records) keys.push_back(RecordJson(record));
  const std::string text = json{{"version", kFileVersion}, {"keys", keys}}.dump(2) + "\n";
  std::error_code error;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), error);
  const std::string temporary = absl::StrCat(path.string(), ".tmp.", ::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::PermissionDeniedError(absl::StrCat("cannot write key file '", temporary, "'"));
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written || ::rename(temporary.c_str(), path.c_str()) != 0) {
    ::unlink(temporary.c_str());
    return absl::InternalError(absl::StrCat("cannot replace key file '", path.string(), "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<CreatedKey> CreateKey(const fs::path& path, const std::string& tenant, absl::Time expires,
                                     absl::Time now) {
  CATENA_RETURN_IF_ERROR(ValidateTenantId(tenant));
  if (expires <= now) return absl::InvalidArgumentError("the expiry must be in the future");
  FileLock lock(path);
  CATENA_ASSIGN_OR_RETURN(std::vector<ApiKeyRecord> records, ReadKeyFile(path));
  CATENA_ASSIGN_OR_RETURN(CreatedKey key, NewKey(tenant, expires, now));
  records.push_back(key.record);
  CATENA_RETURN_IF_ERROR(WriteKeyFile(path, records));
  return key;
}

absl::StatusOr<ApiKeyRecord> RevokeKey(const fs::path& path, const std::string& id) {
  FileLock lock(path);
  CATENA_ASSIGN_OR_RETURN(std::vector<ApiKeyRecord> records, ReadKeyFile(path));
  auto it = std::find_if(records.begin(), records.end(), [&](const ApiKeyRecord& r) { return r.id == id; });
  if (it == records.end()) return absl::NotFoundError(absl::StrCat("no key '", id, "' in ", path.string()));
  it->revoked = true;
  const ApiKeyRecord revoked = *it;
  CATENA_RETURN_IF_ERROR(WriteKeyFile(path, records));
  return revoked;
}

absl::StatusOr<CreatedKey> RotateKey(const fs::path& path, const std::string& id, absl::Time now) {
  FileLock lock(path);
  CATENA_ASSIGN_OR_RETURN(std::vector<ApiKeyRecord> records, ReadKeyFile(path));
  auto it = std::find_if(records.begin(), records.end(), [&](const ApiKeyRecord& r) { return r.id == id; });
  if (it == records.end()) return absl::NotFoundError(absl::StrCat("no key '", id, "' in ", path.string()));
  if (it->revoked) return absl::FailedPreconditionError(absl::StrCat("key '", id, "' is revoked; create a new one"));
  it->revoked = true;
  CATENA_ASSIGN_OR_RETURN(CreatedKey key, NewKey(it->tenant, it->expires, now));
  records.push_back(key.record);
  CATENA_RETURN_IF_ERROR(WriteKeyFile(path, records));
  return key;
}

}  // namespace catena::auth
