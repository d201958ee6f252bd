// ResultCache: node outputs kept for a node's `cache: {ttl}` policy, keyed by (pipeline version, node id,
// serialized resolved parameters), bounded by entry count with least-recently-used eviction. Used by the
// Runner only. Thread-safe.
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "common/template/value.h"

namespace catena::chains::internal {

class ResultCache {
 public:
  explicit ResultCache(size_t capacity) : capacity_(capacity) {}

  // The live value under `key` (expired entries are dropped), or nullopt.
  std::optional<tmpl::Value> Get(const std::string& key, absl::Time now);
  // Stores `value` until `expires`, evicting the least recently used entry beyond capacity.
  void Put(std::string key, tmpl::Value value, absl::Time expires);
  size_t size() const;

 private:
  struct Entry {
    std::string key;
    tmpl::Value value;
    absl::Time expires;
  };
  const size_t capacity_;
  mutable std::mutex mu_;  // std::mutex: see the note on RunState::mu_
  std::list<Entry> lru_;   // most recent first; guarded by mu_
  absl::flat_hash_map<std::string, std::list<Entry>::iterator> index_;  // guarded by mu_
};

}  // namespace catena::chains::internal
