// Internal to the CPU backend: attention of a query row's heads over the positions of a paged KV cache, and
// the F32/F16/Q8_0 stores into it. The SIMD path (AVX2+FMA+F16C, chosen once at run time) and the portable path give
// the same results up to float rounding. Pure functions; callers run them from many pool threads at once.
#pragma once

#include <cstdint>
#include <span>

#include "inference/kv_cache.h"

namespace catena::inference::cpu {

// One layer's keys or values viewed through a sequence's block table.
struct PagedKvView {
  const void* data = nullptr;  // [num_blocks][block_size][kv_dim] of F32, F16 or Q8_0 (kv_dim / 32 blocks)
  KvType type = KvType::kF32;
  int64_t block_size = 0;
  int64_t kv_dim = 0;
  std::span<const int32_t> table;
  // Element offset of position `p`'s row (Q8_0: divide by 32 for the block offset).
  int64_t RowOffset(int64_t p) const { return (table[p / block_size] * block_size + p % block_size) * kv_dim; }
};

// Query heads [begin, end) of one query row; query head h reads kv head h / group.
struct HeadSpan {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t group = 1;
};

// For each query head h of `heads`: out_h = softmax(scale * K q_h) V over positions [0, n_keys) of its kv head,
// q_h and out_h at (h - heads.begin) * head_dim of q and out. The rows are read a chunk of positions at a time
// for all the heads, so the cache streams in order; each head's result is the same for any span.
void PagedAttendHeads(const float* q, const PagedKvView& keys, const PagedKvView& values, HeadSpan heads,
                      int64_t head_dim, int64_t n_keys, float scale, float* out);

// out[head_dim] = softmax(scale * K q) V over positions [0, n_keys) of kv head `kv_head`.
void PagedAttend(const float* q, const PagedKvView& keys, const PagedKvView& values, int64_t kv_head,
                 int64_t head_dim, int64_t n_keys, float scale, float* out);

// Stores `row` (kv_dim floats) at position `p` of `view` (converted to the view's type; Q8_0 as ggml encodes).
void StoreKvRow(const PagedKvView& view, void* data, int64_t p, std::span<const float> row);

}  // namespace catena::inference::cpu
