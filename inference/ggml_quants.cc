#include "inference/ggml_quants.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace catena::inference::internal {
namespace {

int RoundToInt(float x) { return static_cast<int>(std::lrintf(x)); }

template <typename Block>
Block LoadBlock(const std::byte* row, int64_t index) {
  Block block;
  std::memcpy(&block, row + index * static_cast<int64_t>(sizeof(Block)), sizeof(Block));
  return block;
}

template <typename Block>
void StoreBlock(const Block& block, std::byte* out, int64_t index) {
  std::memcpy(out + index * static_cast<int64_t>(sizeof(Block)), &block, sizeof(Block));
}

// ---- Q8_0 / Q4_0 ----

BlockQ8_0 EncodeQ8_0(const float* x) {
  float amax = 0;
  for (int i = 0; i < kQK8_0; ++i) amax = std::max(amax, std::fabs(x[i]));
  BlockQ8_0 block{};
  block.d = FloatToHalf(amax / 127.0f);
  const float d = HalfToFloat(block.d);
  for (int i = 0; i < kQK8_0; ++i) {
    block.qs[i] = static_cast<int8_t>(d == 0 ? 0 : std::clamp(RoundToInt(x[i] / d), -127, 127));
  }
  return block;
}

void DecodeQ8_0(const BlockQ8_0& block, float* y) {
  const float d = HalfToFloat(block.d);
  for (int i = 0; i < kQK8_0; ++i) y[i] = static_cast<float>(block.qs[i]) * d;
}

// The value of largest magnitude maps to nibble 0 (-8 * d), so d carries its sign.
BlockQ4_0 EncodeQ4_0(const float* x) {
  float extreme = 0;
  for (int i = 0; i < kQK4_0; ++i) {
    if (std::fabs(x[i]) > std::fabs(extreme)) extreme = x[i];
  }
  BlockQ4_0 block{};
  block.d = FloatToHalf(extreme / -8.0f);
  const float d = HalfToFloat(block.d);
  const float inverse = d == 0 ? 0.0f : 1.0f / d;
  auto nibble = [&](float v) { return static_cast<uint8_t>(std::clamp(RoundToInt(v * inverse) + 8, 0, 15)); };
  for (int i = 0; i < kQK4_0 / 2; ++i) {
    block.qs[i] = static_cast<uint8_t>(nibble(x[i]) | (nibble(x[i + kQK4_0 / 2]) << 4));
  }
  return block;
}

void DecodeQ4_0(const BlockQ4_0& block, float* y) {
  const float d = HalfToFloat(block.d);
  for (int i = 0; i < kQK4_0 / 2; ++i) {
    y[i] = static_cast<float>((block.qs[i] & 0xF) - 8) * d;
    y[i + kQK4_0 / 2] = static_cast<float>((block.qs[i] >> 4) - 8) * d;
  }
}

// ---- Q4_K ----

// Sub-block `j`'s 6-bit scale and min, packed as ggml packs them into the 12 `scales` bytes.
void PackScaleMinK4(int j, int scale, int min, uint8_t* packed) {
  if (j < 4) {
    packed[j] = static_cast<uint8_t>((packed[j] & 0xC0) | scale);
    packed[j + 4] = static_cast<uint8_t>((packed[j + 4] & 0xC0) | min);
  } else {
    packed[j + 4] = static_cast<uint8_t>((scale & 0xF) | ((min & 0xF) << 4));
    packed[j - 4] = static_cast<uint8_t>(packed[j - 4] | ((scale >> 4) << 6));
    packed[j] = static_cast<uint8_t>(packed[j] | ((min >> 4) << 6));
  }
}

void UnpackScaleMinK4(int j, const uint8_t* packed, int& scale, int& min) {
  if (j < 4) {
    scale = packed[j] & 63;
    min = packed[j + 4] & 63;
  } else {
    scale = (packed[j + 4] & 0xF) | ((packed[j - 4] >> 6) << 4);
    min = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
  }
}

struct AffineFit {
  float scale = 0;  // >= 0
  float min = 0;    // >= 0; x ~ scale * q - min
};

// Squared error of coding x[0..n) as scale * q - min with q in [0, levels].
float AffineError(const float* x, int n, int levels, const AffineFit& fit) {
  float error = 0;
  for (int i = 0; i < n; ++i) {
    const int q = fit.scale == 0 ? 0 : std::clamp(RoundToInt((x[i] + fit.min) / fit.scale), 0, levels);
    const float diff = fit.scale * static_cast<float>(q) - fit.min - x[i];
    error += diff * diff;
  }
  return error;
}

// Least-squares (scale, min) for the codes that `iscale` assigns, with the offset kept <= 0 like ggml.
AffineFit RefitAffine(const float* x, int n, int levels, float lo, float iscale) {
  double sl = 0, sll = 0, sx = 0, sxl = 0;
  for (int i = 0; i < n; ++i) {
    const double q = std::clamp(RoundToInt(iscale * (x[i] - lo)), 0, levels);
    sl += q;
    sll += q * q;
    sx += x[i];
    sxl += x[i] * q;
  }
  const double det = n * sll - sl * sl;
  if (det <= 0) return {};
  double scale = (n * sxl - sl * sx) / det;
  double offset = (sll * sx - sl * sxl) / det;
  if (offset > 0) {
    offset = 0;
    scale = sll > 0 ? sxl / sll : 0;
  }
  return {static_cast<float>(std::max(0.0, scale)), static_cast<float>(-offset)};
}

// A small search over the step size, each candidate refit by least squares.
AffineFit FitAffine(const float* x, int n, int levels) {
  float lo = 0, hi = 0;
  for (int i = 0; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  AffineFit best{(hi - lo) / static_cast<float>(levels), -lo};
  if (hi == lo) return best;
  float best_error = AffineError(x, n, levels, best);
  for (int step = -4; step <= 16; ++step) {
    const float iscale = (static_cast<float>(levels) + 0.1f * static_cast<float>(step)) / (hi - lo);
    const AffineFit fit = RefitAffine(x, n, levels, lo, iscale);
    const float error = AffineError(x, n, levels, fit);
    if (error < best_error) {
      best_error = error;
      best = fit;
    }
  }
  return best;
}

BlockQ4_K EncodeQ4_K(const float* x) {
  std::array<AffineFit, 8> fits;
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    fits[j] = FitAffine(x + 32 * j, 32, 15);
    max_scale = std::max(max_scale, fits[j].scale);
    max_min = std::max(max_min, fits[j].min);
  }
  BlockQ4_K block{};
  block.d = FloatToHalf(max_scale / 63.0f);
  block.dmin = FloatToHalf(max_min / 63.0f);
  const float d = HalfToFloat(block.d), dmin = HalfToFloat(block.dmin);
  for (int j = 0; j < 8; ++j) {
    const int scale = d == 0 ? 0 : std::clamp(RoundToInt(fits[j].scale / d), 0, 63);
    const int min = dmin == 0 ? 0 : std::clamp(RoundToInt(fits[j].min / dmin), 0, 63);
    PackScaleMinK4(j, scale, min, block.scales);
    const float step = d * static_cast<float>(scale), offset = dmin * static_cast<float>(min);
    for (int l = 0; l < 32; ++l) {
      const int e = 32 * j + l;
      const int q = step == 0 ? 0 : std::clamp(RoundToInt((x[e] + offset) / step), 0, 15);
      // Element e lives in byte 32 * (e / 64) + e % 32: low nibble for the first 32 of each 64.
      uint8_t& byte = block.qs[32 * (e / 64) + e % 32];
      byte = static_cast<uint8_t>((e % 64) < 32 ? (byte & 0xF0) | q : (byte & 0x0F) | (q << 4));
    }
  }
  return block;
}

void DecodeQ4_K(const BlockQ4_K& block, float* y) {
  const float d = HalfToFloat(block.d), dmin = HalfToFloat(block.dmin);
  for (int j = 0; j < 8; ++j) {
    int scale = 0, min = 0;
    UnpackScaleMinK4(j, block.scales, scale, min);
    const float step = d * static_cast<float>(scale), offset = dmin * static_cast<float>(min);
    for (int l = 0; l < 32; ++l) {
      const int e = 32 * j + l;
      const uint8_t byte = block.qs[32 * (e / 64) + e % 32];
      const int q = (e % 64) < 32 ? (byte & 0xF) : (byte >> 4);
      y[e] = step * static_cast<float>(q) - offset;
    }
  }
}

// ---- Q6_K ----
// Element e (0..255): half n = e / 128, r = e % 128, quarter k = r / 32, l = r % 32.
// Low 4 bits: ql[64n + 32(k & 1) + l], low nibble for k < 2; high 2 bits: qh[32n + l] >> 2k; scale: e / 16.

int Q6LowIndex(int e) { return 64 * (e / 128) + 32 * ((e % 128 / 32) & 1) + e % 32; }
int Q6HighIndex(int e) { return 32 * (e / 128) + e % 32; }
int Q6Shift(int e) { return 2 * (e % 128 / 32); }

// The symmetric step for 16 values coded as step * q, q in [-32, 31]: a small search refit by least squares.
float FitSymmetric(const float* x) {
  float amax = 0;
  for (int i = 0; i < 16; ++i) amax = std::max(amax, std::fabs(x[i]));
  if (amax == 0) return 0;
  float best_step = amax / 31.0f, best_error = INFINITY;
  for (int k = 0; k <= 10; ++k) {
    const float step = amax / (27.0f + 0.5f * static_cast<float>(k));
    double sxl = 0, sll = 0;
    for (int i = 0; i < 16; ++i) {
      const int q = std::clamp(RoundToInt(x[i] / step), -32, 31);
      sxl += x[i] * q;
      sll += static_cast<double>(q) * q;
    }
    const float refit = sll > 0 ? static_cast<float>(sxl / sll) : step;
    for (float candidate : {step, refit}) {
      float error = 0;
      for (int i = 0; i < 16; ++i) {
        const float diff = candidate * static_cast<float>(std::clamp(RoundToInt(x[i] / candidate), -32, 31)) - x[i];
        error += diff * diff;
      }
      if (candidate > 0 && error < best_error) best_error = error, best_step = candidate;
    }
  }
  return best_step;
}

BlockQ6_K EncodeQ6_K(const float* x) {
  std::array<float, 16> steps;
  float max_step = 0;
  for (int j = 0; j < 16; ++j) {
    steps[j] = FitSymmetric(x + 16 * j);
    max_step = std::max(max_step, steps[j]);
  }
  BlockQ6_K block{};
  block.d = FloatToHalf(max_step / 127.0f);
  const float d = HalfToFloat(block.d);
  for (int j = 0; j < 16; ++j) {
    block.scales[j] = static_cast<int8_t>(d == 0 ? 0 : std::clamp(RoundToInt(steps[j] / d), 0, 127));
  }
  for (int e = 0; e < kQK_K; ++e) {
    const float step = d * static_cast<float>(block.scales[e / 16]);
    const int q = (step == 0 ? 0 : std::clamp(RoundToInt(x[e] / step), -32, 31)) + 32;
    uint8_t& low = block.ql[Q6LowIndex(e)];
    low = static_cast<uint8_t>((e % 128) < 64 ? (low & 0xF0) | (q & 0xF) : (low & 0x0F) | ((q & 0xF) << 4));
    block.qh[Q6HighIndex(e)] = static_cast<uint8_t>(block.qh[Q6HighIndex(e)] | ((q >> 4) << Q6Shift(e)));
  }
  return block;
}

void DecodeQ6_K(const BlockQ6_K& block, float* y) {
  const float d = HalfToFloat(block.d);
  for (int e = 0; e < kQK_K; ++e) {
    const uint8_t low = block.ql[Q6LowIndex(e)];
    const int low_bits = (e % 128) < 64 ? (low & 0xF) : (low >> 4);
    const int high_bits = (block.qh[Q6HighIndex(e)] >> Q6Shift(e)) & 3;
    y[e] = d * static_cast<float>(block.scales[e / 16]) * static_cast<float>((low_bits | (high_bits << 4)) - 32);
  }
}

template <typename Block, int64_t kBlockElements, typename Encode>
void EncodeBlocks(std::span<const float> values, std::byte* out, Encode encode) {
  const int64_t blocks = static_cast<int64_t>(values.size()) / kBlockElements;
  for (int64_t b = 0; b < blocks; ++b) StoreBlock(encode(values.data() + b * kBlockElements), out, b);
}

template <typename Block, int64_t kBlockElements, typename Decode>
void DecodeBlocks(const std::byte* row, std::span<float> out, Decode decode) {
  const int64_t blocks = static_cast<int64_t>(out.size()) / kBlockElements;
  for (int64_t b = 0; b < blocks; ++b) decode(LoadBlock<Block>(row, b), out.data() + b * kBlockElements);
}

}  // namespace

void EncodeRow(GgmlType type, std::span<const float> values, std::byte* out) {
  switch (type) {
    case GgmlType::kF32:
      if (!values.empty()) std::memcpy(out, values.data(), values.size() * sizeof(float));
      return;
    case GgmlType::kF16:
    case GgmlType::kBF16:
      for (size_t i = 0; i < values.size(); ++i) {
        const uint16_t h = type == GgmlType::kF16 ? FloatToHalf(values[i]) : FloatToBf16(values[i]);
        std::memcpy(out + 2 * i, &h, 2);
      }
      return;
    case GgmlType::kQ8_0: return EncodeBlocks<BlockQ8_0, kQK8_0>(values, out, EncodeQ8_0);
    case GgmlType::kQ4_0: return EncodeBlocks<BlockQ4_0, kQK4_0>(values, out, EncodeQ4_0);
    case GgmlType::kQ4_K: return EncodeBlocks<BlockQ4_K, kQK_K>(values, out, EncodeQ4_K);
    case GgmlType::kQ6_K: return EncodeBlocks<BlockQ6_K, kQK_K>(values, out, EncodeQ6_K);
  }
}

void DecodeRow(GgmlType type, const std::byte* row, std::span<float> out) {
  switch (type) {
    case GgmlType::kF32:
      if (!out.empty()) std::memcpy(out.data(), row, out.size() * sizeof(float));
      return;
    case GgmlType::kF16:
    case GgmlType::kBF16:
      for (size_t i = 0; i < out.size(); ++i) {
        uint16_t h;
        std::memcpy(&h, row + 2 * i, 2);
        out[i] = type == GgmlType::kF16 ? HalfToFloat(h) : Bf16ToFloat(h);
      }
      return;
    case GgmlType::kQ8_0: return DecodeBlocks<BlockQ8_0, kQK8_0>(row, out, DecodeQ8_0);
    case GgmlType::kQ4_0: return DecodeBlocks<BlockQ4_0, kQK4_0>(row, out, DecodeQ4_0);
    case GgmlType::kQ4_K: return DecodeBlocks<BlockQ4_K, kQK_K>(row, out, DecodeQ4_K);
    case GgmlType::kQ6_K: return DecodeBlocks<BlockQ6_K, kQK_K>(row, out, DecodeQ6_K);
  }
}

}  // namespace catena::inference::internal
