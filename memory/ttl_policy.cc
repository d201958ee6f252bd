#include "memory/ttl_policy.h"

#include <rocksdb/compaction_filter.h>

#include <chrono>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/request_context.h"
#include "memory/record_codec.h"

namespace catena::memory {
namespace {

class ExpiryFilter final : public rocksdb::CompactionFilter {
 public:
  explicit ExpiryFilter(const TtlPolicy& policy) : policy_(policy) {}

  bool Filter(int, const rocksdb::Slice& key, const rocksdb::Slice& value, std::string*, bool*) const override {
    return policy_.ExpiredRecord(std::string_view(key.data(), key.size()),
                                 std::string_view(value.data(), value.size()));
  }
  const char* Name() const override { return "catena.memory.ExpiryFilter"; }

 private:
  const TtlPolicy& policy_;
};

}  // namespace

int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TtlPolicy::TtlPolicy(int64_t default_seconds, std::map<std::string, int64_t, std::less<>> tenant_seconds, Clock clock)
    : default_seconds_(default_seconds), tenant_seconds_(std::move(tenant_seconds)), clock_(std::move(clock)) {
  if (!clock_) clock_ = WallClockMs;
}

int64_t TtlPolicy::SecondsFor(std::string_view tenant) const {
  auto it = tenant_seconds_.find(tenant);
  return it == tenant_seconds_.end() ? default_seconds_ : it->second;
}

bool TtlPolicy::Expired(std::string_view tenant, int64_t written_unix_ms) const {
  const int64_t seconds = SecondsFor(tenant);
  return seconds > 0 && clock_() - written_unix_ms >= seconds * 1000;
}

bool TtlPolicy::ExpiredRecord(std::string_view key, std::string_view value) const {
  std::optional<int64_t> written = codec::WrittenAt(value);
  return written.has_value() && Expired(codec::TenantOf(key), *written);
}

std::unique_ptr<rocksdb::CompactionFilter> TtlPolicy::NewCompactionFilter() const {
  return std::make_unique<ExpiryFilter>(*this);
}

absl::StatusOr<std::map<std::string, int64_t, std::less<>>> ParseTenantTtls(const std::vector<std::string>& items) {
  std::map<std::string, int64_t, std::less<>> ttls;
  for (const std::string& item : items) {
    const size_t eq = item.find('=');
    int64_t seconds = 0;
    if (eq == std::string::npos || !absl::SimpleAtoi(item.substr(eq + 1), &seconds) || seconds < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("memory.tenant_ttl_seconds: '", item, "' is not tenant=seconds with seconds >= 0"));
    }
    const std::string tenant = item.substr(0, eq);
    if (absl::Status status = ValidateTenantId(tenant); !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("memory.tenant_ttl_seconds: '", item, "': ", status.message()));
    }
    ttls[tenant] = seconds;
  }
  return ttls;
}

}  // namespace catena::memory
