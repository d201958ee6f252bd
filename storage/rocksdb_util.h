// Small pieces every RocksDB user in Catena shares: translating rocksdb::Status into absl::Status (the one
// place that does it) and order-preserving key encodings for composite keys. Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace rocksdb {
class Status;
}

namespace catena::storage {

// OK stays OK; NotFound -> NOT_FOUND, Busy/TryAgain/TimedOut -> UNAVAILABLE, Corruption -> DATA_LOSS,
// InvalidArgument -> INVALID_ARGUMENT, everything else INTERNAL. The message starts with `context`.
absl::Status FromRocksDb(const rocksdb::Status& status, std::string_view context);

// Appends `value` as 8 big-endian bytes with the sign bit flipped, so byte order equals numeric order.
void AppendOrderedInt64(std::string& key, int64_t value);
// Reads what AppendOrderedInt64 wrote at the start of `bytes`; nullopt when fewer than 8 bytes.
std::optional<int64_t> ReadOrderedInt64(std::string_view bytes);

// Appends `part` followed by a 0x00 terminator (parts must not contain 0x00), keeping prefix order:
// all keys of ("a", ...) sort before ("ab", ...).
void AppendKeyPart(std::string& key, std::string_view part);
// The key made of `parts`, each appended with AppendKeyPart.
std::string JoinKeyParts(std::initializer_list<std::string_view> parts);

// The smallest key greater than every key starting with `prefix` (for iterate_upper_bound); empty when
// no such key exists (prefix of all 0xff bytes).
std::string PrefixUpperBound(std::string_view prefix);

}  // namespace catena::storage
