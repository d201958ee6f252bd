#include "chains/result_cache.h"

#include <utility>

namespace catena::chains::internal {

std::optional<tmpl::Value> ResultCache::Get(const std::string& key, absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto found = index_.find(key);
  if (found == index_.end()) return std::nullopt;
  if (found->second->expires <= now) {
    lru_.erase(found->second);
    index_.erase(found);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, found->second);
  return found->second->value;
}

void ResultCache::Put(std::string key, tmpl::Value value, absl::Time expires) {
  if (capacity_ == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto found = index_.find(key);
  if (found != index_.end()) {
    found->second->value = std::move(value);
    found->second->expires = expires;
    lru_.splice(lru_.begin(), lru_, found->second);
    return;
  }
  lru_.push_front(Entry{key, std::move(value), expires});
  index_.emplace(std::move(key), lru_.begin());
  if (lru_.size() > capacity_) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

size_t ResultCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lru_.size();
}

}  // namespace catena::chains::internal
