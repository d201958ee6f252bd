#include "storage/rocksdb_util.h"

#include <rocksdb/status.h>

#include "absl/strings/str_cat.h"

namespace catena::storage {

absl::Status FromRocksDb(const rocksdb::Status& status, std::string_view context) {
  if (status.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat(std::string(context), ": ", status.ToString());
  switch (status.code()) {
    case rocksdb::Status::kNotFound:
      return absl::NotFoundError(message);
    case rocksdb::Status::kBusy:
    case rocksdb::Status::kTryAgain:
    case rocksdb::Status::kTimedOut:
      return absl::UnavailableError(message);
    case rocksdb::Status::kCorruption:
      return absl::DataLossError(message);
    case rocksdb::Status::kInvalidArgument:
      return absl::InvalidArgumentError(message);
    default:
      return absl::InternalError(message);
  }
}

void AppendOrderedInt64(std::string& key, int64_t value) {
  const uint64_t bits = static_cast<uint64_t>(value) ^ (uint64_t{1} << 63);
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>((bits >> shift) & 0xff));
}

std::optional<int64_t> ReadOrderedInt64(std::string_view bytes) {
  if (bytes.size() < 8) return std::nullopt;
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits = bits << 8 | static_cast<unsigned char>(bytes[i]);
  return static_cast<int64_t>(bits ^ (uint64_t{1} << 63));
}

void AppendKeyPart(std::string& key, std::string_view part) {
  key.append(part);
  key.push_back('\0');
}

std::string JoinKeyParts(std::initializer_list<std::string_view> parts) {
  std::string key;
  for (std::string_view part : parts) AppendKeyPart(key, part);
  return key;
}

std::string PrefixUpperBound(std::string_view prefix) {
  std::string bound(prefix);
  while (!bound.empty()) {
    if (static_cast<unsigned char>(bound.back()) != 0xff) {
      bound.back() = static_cast<char>(static_cast<unsigned char>(bound.back()) + 1);
      return bound;
    }
    bound.pop_back();
  }
  return bound;
}

}  // namespace catena::storage
