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

// Element type of cached keys and values: F16 halves the memory of F32 at a small rounding cost; Q8_0 (ggml's
// 32-value blocks of int8 with an f16 scale, 34 bytes) takes 53% of F16 and needs head_dim a multiple of 32.
enum class KvType { kF32, kF16, kQ8_0 };

struct KvLayout {
  int64_t layers = 0;
  int64_t kv_dim = 0;      // head_count_kv * head_dim
  int64_t block_size = 16;
  int64_t num_blocks = 0;
  KvType type = KvType::kF16;
  // Bytes of one position's keys (or values) in one layer.
  int64_t RowBytes() const {
    return type == KvType::kQ8_0 ? kv_dim / 32 * 34 : kv_dim * (type == KvType::kF16 ? 2 : 4);
  }
  // Bytes of one block (keys and values of every layer).
  int64_t BlockBytes() const { return 2 * layers * block_size * RowBytes(); }
};

// "f16", "f32" or "q8_0".
absl::StatusOr<KvType> ParseKvType(std::string_view name);

class KvStorage {
 public:
  virtual ~KvStorage() = default;
  virtual const KvLayout& layout() const = 0;
};

}  // namespace catena::inference
