// Internals shared by the memory store's source files (not part of the component's API): the write batch
// wrapper and request validation helpers. Include only from memory/*.cc.
#pragma once

#include <rocksdb/write_batch.h>

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace catena::memory {

// A RocksDB write batch plus the column families it writes to.
class BatchWriter {
 public:
  rocksdb::WriteBatch batch;
};

// `id` is 1..128 bytes of [A-Za-z0-9_.:-]; INVALID_ARGUMENT naming `field` otherwise.
absl::Status ValidateId(absl::string_view field, std::string_view id);
// `text` is 1..128 bytes without control characters (user ids, fact keys, idempotency keys).
absl::Status ValidateName(absl::string_view field, std::string_view text);

}  // namespace catena::memory
