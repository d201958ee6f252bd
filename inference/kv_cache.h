// The paged KV cache as backends store it: fixed-size blocks of `block_size` positions, each holding the keys
// and values of every layer; a sequence reaches its positions through a block table (position p lives in block
// table[p / block_size] at offset p % block_size). Which blocks a sequence owns, sharing and eviction are the
// engine's business (kv_block_manager.h); a KvStorage only holds the numbers. Not thread-safe: the backend
// writes it during one Step at a time.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace catena::inference {

// Element type of cached keys and values: F16 halves the memory of F32 at a small rounding cost.
enum class KvType { kF32, kF16 };

struct KvLayout {
  int64_t layers = 0;
  int64_t kv_dim = 0;      // head_count_kv * head_dim
  int64_t block_size = 16;
  int64_t num_blocks = 0;
  KvType type = KvType::kF16;
  // Bytes of one block (keys and values of every layer).
  int64_t BlockBytes() const { return 2 * layers * block_size * kv_dim * (type == KvType::kF16 ? 2 : 4); }
};

// "f16" or "f32".
absl::StatusOr<KvType> ParseKvType(std::string_view name);

class KvStorage {
 public:
  virtual ~KvStorage() = default;
  virtual const KvLayout& layout() const = 0;
};

}  // namespace catena::inference
