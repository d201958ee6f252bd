// Internal to the CPU kernels: the activation format quantized types multiply against, and the table of
// instruction-set specific row kernels that kernels.cc dispatches to. Only kernels*.cc include this file.
// Row kernels are pure functions of their arguments; kernels.cc calls them from the pool's threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "inference/ggml_types.h"
#include "inference/kernels.h"

namespace catena::inference::kernels_internal {

// Activations quantized for the integer dot products, in 32-element blocks with one float scale each
// (finer than ggml's Q8_K, so every weight type shares one format). For batch row b, block j:
//   value[i] ~= d[j] * q[32 j + i];  sum16[2 j + h] = d[j] * (sum of q over half h);  sum32[j] = both halves.
// The sums serve the offset terms (Q4_0's -8, Q4_K's mins, Q6_K's -32) so the hot loops skip them.
struct QuantizedActivations {
  int64_t blocks = 0;        // per batch row: cols / 32
  float* d = nullptr;        // batch * blocks
  float* sum32 = nullptr;    // batch * blocks
  float* sum16 = nullptr;    // batch * blocks * 2
  int8_t* q = nullptr;       // batch * blocks * 32
  // A table's own regrouped copy for Q8_0/Q4_0 (KernelTable::regrouped_group_bytes per 4 blocks, the last group
  // padded): `regrouped_stride` bytes per batch row, 32-byte aligned; null when the table or type needs none.
  std::byte* regrouped = nullptr;
  int64_t regrouped_stride = 0;
  const float* Scale(int64_t b) const { return d + b * blocks; }
  const float* Sum32(int64_t b) const { return sum32 + b * blocks; }
  const float* Sum16(int64_t b) const { return sum16 + b * blocks * 2; }
  const int8_t* Q(int64_t b) const { return q + b * blocks * 32; }
};

// What one row kernel sees: weight rows [row_begin, row_end) against all `batch` activation rows.
// Float types read `x` (batch rows of cols floats); quantized types read `qx`.
struct RowTask {
  const WeightView* w = nullptr;
  const float* x = nullptr;
  const QuantizedActivations* qx = nullptr;
  int64_t batch = 0;
  int64_t row_begin = 0;
  int64_t row_end = 0;
  float* y = nullptr;  // y[b * w->rows + r]
};

// One GGUF row of `blocks` Q8_0/Q4_0 blocks written in WeightLayout::kGrouped4 (GroupedRowBytes bytes).
using PackRowFn = void (*)(GgmlType type, const std::byte* gguf, int64_t blocks, std::byte* grouped);

// WeightLayout::kGrouped4 geometry (kernels.h describes the layout).
constexpr int64_t GroupsOf(int64_t blocks) { return (blocks + 3) / 4; }
constexpr int64_t GroupedQuantBytes(GgmlType type) { return type == GgmlType::kQ4_0 ? 64 : 128; }
constexpr int64_t GroupedRowBytes(GgmlType type, int64_t blocks) {
  const int64_t groups = GroupsOf(blocks);
  return groups * GroupedQuantBytes(type) + (8 * groups + 31) / 32 * 32;
}
// A WeightLayout::kGrouped4 row back into the GGUF layout (portable; the padding is dropped). The packers are the
// tables' pack_grouped_row.
void UnpackGroupedRow(GgmlType type, const std::byte* grouped, int64_t blocks, std::byte* gguf);

using RowKernel = void (*)(const RowTask& task);
// out[i] = silu(gate[i]) * up[i] for i < n (out may be gate).
using SwiGluKernel = void (*)(const float* gate, const float* up, float* out, int64_t n);
// Quantizes activation rows [b_begin, b_end) of x (each `cols` floats) into qx.
using QuantizeKernel = void (*)(const float* x, int64_t cols, int64_t b_begin, int64_t b_end,
                                const QuantizedActivations& qx);

struct KernelTable {
  std::string_view name;
  RowKernel f32 = nullptr;
  RowKernel f16 = nullptr;
  RowKernel bf16 = nullptr;
  RowKernel q8_0 = nullptr;
  RowKernel q4_0 = nullptr;
  RowKernel q4_k = nullptr;
  RowKernel q6_k = nullptr;
  QuantizeKernel quantize = nullptr;
  SwiGluKernel swiglu = nullptr;
  // Bytes per 4 activation blocks of the regrouped copy `quantize` also writes for Q8_0/Q4_0 (0: none).
  int64_t regrouped_group_bytes = 0;
  // Q8_0/Q4_0 rows in WeightLayout::kGrouped4, and the packer PackForKernels uses: a table that sets them reads
  // that layout faster than GGUF's. Null: MatMul unpacks grouped rows for the GGUF kernels.
  RowKernel q8_0_grouped = nullptr;
  RowKernel q4_0_grouped = nullptr;
  PackRowFn pack_grouped_row = nullptr;
};

const KernelTable& PortableKernels();
// Null when the build lacks the instruction set (the caller also checks the running CPU).
const KernelTable* Avx2Kernels();
const KernelTable* Avx512Kernels();
const KernelTable* Avx512VnniKernels();

// Decodes a Q8_0/Q4_0/Q4_K/Q6_K row into out.size() floats (a multiple of the type's block elements).
void DequantizeQuantizedRow(GgmlType type, const std::byte* row, std::span<float> out);

// Shared scalar helpers (portable, exact).
float HalfBitsToFloat(uint16_t h);
inline float Bf16BitsToFloat(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  __builtin_memcpy(&f, &bits, sizeof f);
  return f;
}
// The 6-bit scale and min of sub-block j (0..7) of a Q4_K block's packed `scales`.
inline void Q4KScaleMin(const uint8_t* s, int j, uint8_t* scale, uint8_t* min) {
  if (j < 4) {
    *scale = s[j] & 63;
    *min = s[j + 4] & 63;
  } else {
    *scale = static_cast<uint8_t>((s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4));
    *min = static_cast<uint8_t>((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
  }
}

}  // namespace catena::inference::kernels_internal
