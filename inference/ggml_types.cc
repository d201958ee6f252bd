#include "inference/ggml_types.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/ggml_quants.h"

namespace catena::inference {
namespace {

constexpr GgmlTypeTraits kF32Traits{"f32", 1, 4};
constexpr GgmlTypeTraits kF16Traits{"f16", 1, 2};
constexpr GgmlTypeTraits kBF16Traits{"bf16", 1, 2};
constexpr GgmlTypeTraits kQ4_0Traits{"q4_0", kQK4_0, sizeof(BlockQ4_0)};
constexpr GgmlTypeTraits kQ8_0Traits{"q8_0", kQK8_0, sizeof(BlockQ8_0)};
constexpr GgmlTypeTraits kQ4_KTraits{"q4_K", kQK_K, sizeof(BlockQ4_K)};
constexpr GgmlTypeTraits kQ6_KTraits{"q6_K", kQK_K, sizeof(BlockQ6_K)};

uint32_t FloatBits(float f) { return std::bit_cast<uint32_t>(f); }
float BitsFloat(uint32_t u) { return std::bit_cast<float>(u); }

// Rounds `value >> shift` to nearest, ties to even.
uint32_t ShiftRoundEven(uint32_t value, int shift) {
  if (shift <= 0) return value;
  if (shift >= 32) return 0;
  const uint32_t kept = value >> shift;
  const uint32_t rest = value & ((uint32_t{1} << shift) - 1);
  const uint32_t half = uint32_t{1} << (shift - 1);
  if (rest > half || (rest == half && (kept & 1) != 0)) return kept + 1;
  return kept;
}

}  // namespace

absl::StatusOr<GgmlTypeTraits> TraitsOf(uint32_t raw_type) {
  switch (raw_type) {
    case static_cast<uint32_t>(GgmlType::kF32):
    case static_cast<uint32_t>(GgmlType::kF16):
    case static_cast<uint32_t>(GgmlType::kQ4_0):
    case static_cast<uint32_t>(GgmlType::kQ8_0):
    case static_cast<uint32_t>(GgmlType::kQ4_K):
    case static_cast<uint32_t>(GgmlType::kQ6_K):
    case static_cast<uint32_t>(GgmlType::kBF16):
      return TraitsOf(static_cast<GgmlType>(raw_type));
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "unsupported ggml tensor type id ", raw_type,
          " (supported: 0 f32, 1 f16, 2 q4_0, 8 q8_0, 12 q4_K, 14 q6_K, 30 bf16)"));
  }
}

GgmlTypeTraits TraitsOf(GgmlType type) {
  switch (type) {
    case GgmlType::kF32: return kF32Traits;
    case GgmlType::kF16: return kF16Traits;
    case GgmlType::kBF16: return kBF16Traits;
    case GgmlType::kQ4_0: return kQ4_0Traits;
    case GgmlType::kQ8_0: return kQ8_0Traits;
    case GgmlType::kQ4_K: return kQ4_KTraits;
    case GgmlType::kQ6_K: return kQ6_KTraits;
  }
  return kF32Traits;
}

absl::StatusOr<GgmlType> ParseGgmlType(std::string_view name) {
  const std::string lower = absl::AsciiStrToLower(absl::string_view(name.data(), name.size()));
  for (GgmlType type : {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16, GgmlType::kQ8_0, GgmlType::kQ4_0,
                        GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    if (absl::AsciiStrToLower(absl::string_view(TraitsOf(type).name.data(), TraitsOf(type).name.size())) ==
        lower) {
      return type;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown weight type '", std::string(name),
                                                 "' (expected f32, f16, bf16, q8_0, q4_0, q4_k or q6_k)"));
}

absl::StatusOr<int64_t> RowBytes(GgmlType type, int64_t elements) {
  const GgmlTypeTraits traits = TraitsOf(type);
  if (elements < 0 || elements % traits.block_elements != 0) {
    return absl::InvalidArgumentError(absl::StrCat("row of ", elements, " elements is not a multiple of the ",
                                                   std::string(traits.name), " block size ", traits.block_elements));
  }
  const int64_t blocks = elements / traits.block_elements;
  if (blocks > std::numeric_limits<int64_t>::max() / traits.block_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("row of ", elements, " ", std::string(traits.name),
                                                   " elements overflows a 64-bit byte size"));
  }
  return blocks * traits.block_bytes;
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exponent = (h >> 10) & 0x1f;
  const uint32_t mantissa = h & 0x3ff;
  if (exponent == 0) {
    const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;  // subnormal (or zero), exact
    return sign != 0 ? -magnitude : magnitude;
  }
  if (exponent == 31) return BitsFloat(sign | 0x7f800000u | (mantissa << 13));
  return BitsFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint16_t FloatToHalf(float f) {
  const uint32_t u = FloatBits(f);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000);
  const int exponent = static_cast<int>((u >> 23) & 0xff);
  const uint32_t mantissa = u & 0x7fffff;
  if (exponent == 255) {
    if (mantissa == 0) return sign | 0x7c00;
    return sign | 0x7e00 | static_cast<uint16_t>(mantissa >> 13);  // quiet NaN keeps its top payload bits
  }
  const int e = exponent - 127;
  if (e >= 16) return sign | 0x7c00;
  if (e >= -14) {
    // Normal half: rounding may carry into the exponent, which also turns 65520+ into infinity.
    const uint32_t bits = (static_cast<uint32_t>(e + 15) << 10) | (mantissa >> 13);
    const uint32_t rest = mantissa & 0x1fff;
    const bool round_up = rest > 0x1000 || (rest == 0x1000 && (bits & 1) != 0);
    return sign | static_cast<uint16_t>(bits + (round_up ? 1 : 0));
  }
  if (exponent == 0) return sign;  // float subnormals are far below half's range
  // Half subnormal: value / 2^-24 = significand * 2^(e + 1).
  const uint32_t significand = mantissa | 0x800000;
  return sign | static_cast<uint16_t>(ShiftRoundEven(significand, -e - 1));
}

float Bf16ToFloat(uint16_t h) { return BitsFloat(static_cast<uint32_t>(h) << 16); }

uint16_t FloatToBf16(float f) {
  const uint32_t u = FloatBits(f);
  if ((u & 0x7fffffff) > 0x7f800000) return static_cast<uint16_t>((u >> 16) | 0x40);  // quiet NaN
  return static_cast<uint16_t>((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}

absl::Status QuantizeRow(GgmlType type, std::span<const float> values, std::span<std::byte> out) {
  CATENA_ASSIGN_OR_RETURN(const int64_t bytes, RowBytes(type, static_cast<int64_t>(values.size())));
  if (static_cast<int64_t>(out.size()) != bytes) {
    return absl::InvalidArgumentError(absl::StrCat("output of ", out.size(), " bytes for ", values.size(), " ",
                                                   std::string(TraitsOf(type).name), " values; expected ", bytes));
  }
  if (type != GgmlType::kF32 && type != GgmlType::kF16 && type != GgmlType::kBF16) {
    for (size_t i = 0; i < values.size(); ++i) {
      if (!std::isfinite(values[i])) {
        return absl::InvalidArgumentError(absl::StrCat("value ", i, " is not finite; ", std::string(TraitsOf(type).name),
                                                       " can only encode finite values"));
      }
    }
  }
  internal::EncodeRow(type, values, out.data());
  return absl::OkStatus();
}

absl::Status DequantizeRow(GgmlType type, const std::byte* row, std::span<float> out) {
  CATENA_RETURN_IF_ERROR(RowBytes(type, static_cast<int64_t>(out.size())).status());
  if (row == nullptr && !out.empty()) return absl::InvalidArgumentError("DequantizeRow: null row");
  internal::DecodeRow(type, row, out);
  return absl::OkStatus();
}

}  // namespace catena::inference
