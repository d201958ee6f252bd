// Retention of the memory store: a default TTL plus per-tenant overrides, checked on every read (expired records
// are absent at once) and by a RocksDB compaction filter that physically drops them. Immutable after construction;
// safe to share between threads (RocksDB calls the filter from its compaction threads).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace rocksdb {
class CompactionFilter;
}

namespace catena::memory {

// Milliseconds since the Unix epoch; tests substitute a fake clock.
using Clock = std::function<int64_t()>;
// The wall clock.
int64_t WallClockMs();

class TtlPolicy {
 public:
  // `default_seconds` 0 keeps records forever; `tenant_seconds` overrides it per tenant (0 = forever).
  TtlPolicy(int64_t default_seconds, std::map<std::string, int64_t, std::less<>> tenant_seconds, Clock clock);

  // TTL of `tenant` in seconds; 0 = forever.
  int64_t SecondsFor(std::string_view tenant) const;
  // True when a record of `tenant` written at `written_unix_ms` has outlived its TTL now.
  bool Expired(std::string_view tenant, int64_t written_unix_ms) const;
  // True when the raw record (key starts with its tenant, value with its write time) has expired.
  bool ExpiredRecord(std::string_view key, std::string_view value) const;
  int64_t NowMs() const { return clock_(); }

  // A compaction filter dropping expired records; valid while this policy lives.
  std::unique_ptr<rocksdb::CompactionFilter> NewCompactionFilter() const;

 private:
  int64_t default_seconds_;
  std::map<std::string, int64_t, std::less<>> tenant_seconds_;
  Clock clock_;
};

// Parses "tenant=seconds" items (config memory.tenant_ttl_seconds); INVALID_ARGUMENT naming the bad item.
absl::StatusOr<std::map<std::string, int64_t, std::less<>>> ParseTenantTtls(const std::vector<std::string>& items);

}  // namespace catena::memory
