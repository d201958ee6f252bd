// Weight types and their block layouts, byte-compatible with ggml so real GGUF files load unchanged.
// Used by the GGUF reader/writer (sizes, validation), the CPU kernels (dot products on blocks) and the
// model builder. Everything here is a pure function of its arguments and safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace catena::inference {

// ggml's numeric type ids (the values stored in GGUF tensor infos). Only the types listed are supported.
enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ8_0 = 8,
  kQ4_K = 12,
  kQ6_K = 14,
  kBF16 = 30,
};

// Elements per block and bytes per block of one type (F32/F16/BF16 have blocks of one element).
struct GgmlTypeTraits {
  std::string_view name;    // "f32", "q4_0", "q4_K", ... as ggml spells them
  int64_t block_elements;   // 1, 32 or 256
  int64_t block_bytes;      // 4, 2, 18, 34, 144, 210
};

inline constexpr int64_t kQK4_0 = 32;
inline constexpr int64_t kQK8_0 = 32;
inline constexpr int64_t kQK_K = 256;
inline constexpr int64_t kKScaleBytes = 12;

// Block layouts (little-endian, packed; `uint16_t` fields hold IEEE half floats).
// Q4_0: x[i] = (nibble(i) - 8) * d, nibble(i) = qs[i] & 0xF for i < 16, qs[i - 16] >> 4 for i >= 16.
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kQK4_0 / 2];
};
// Q8_0: x[i] = qs[i] * d.
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[kQK8_0];
};
// Q4_K: 8 sub-blocks of 32; 6-bit scale and min per sub-block packed in `scales`;
// x = d * scale * nibble - dmin * min.
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qs[kQK_K / 2];
};
// Q6_K: 16 sub-blocks of 16; x = d * scales[j] * (q6 - 32), q6 = 4 low bits from ql, 2 high bits from qh.
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  uint16_t d;
};
static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ4_K) == 144 && sizeof(BlockQ6_K) == 210);

// Traits of a raw GGUF type id; INVALID_ARGUMENT naming the id when it is not a supported type.
absl::StatusOr<GgmlTypeTraits> TraitsOf(uint32_t raw_type);
// Traits of a supported type.
GgmlTypeTraits TraitsOf(GgmlType type);
// Parses "f32", "f16", "bf16", "q8_0", "q4_0", "q4_k"/"q4_K", "q6_k"/"q6_K".
absl::StatusOr<GgmlType> ParseGgmlType(std::string_view name);
// Bytes of a row of `elements` values; INVALID_ARGUMENT when `elements` is not a multiple of the block size
// or the size would overflow.
absl::StatusOr<int64_t> RowBytes(GgmlType type, int64_t elements);

// IEEE half / bfloat16 conversions (round to nearest even).
float HalfToFloat(uint16_t h);
uint16_t FloatToHalf(float f);
float Bf16ToFloat(uint16_t h);
uint16_t FloatToBf16(float f);

// Encodes `values` (a multiple of the block size) into `out` (exactly RowBytes bytes) the way ggml's reference
// quantizers would (any valid encoding is fine; Q4_K/Q6_K pick scales by a small error-minimizing search).
absl::Status QuantizeRow(GgmlType type, std::span<const float> values, std::span<std::byte> out);
// Decodes RowBytes(type, out.size()) bytes at `row` into `out`.
absl::Status DequantizeRow(GgmlType type, const std::byte* row, std::span<float> out);

}  // namespace catena::inference
