// Test-only weight matrices for the kernel tests: random valid blocks of every GGUF type plus their values
// decoded in double precision by a decoder written from the layout comments in inference/ggml_types.h
// (independent of the kernels' own decoders), and a guard for tests that switch kernel tables. Header-only;
// single-threaded use.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string_view>
#include <vector>

#include "inference/ggml_types.h"
#include "inference/kernels.h"

namespace catena::inference::test_blocks {

// Selects again, when it goes out of scope, the kernel table active when it was made: a test that switches
// tables with SelectKernelIsa leaves the next test the same one, even when a REQUIRE stops it midway.
class ActiveIsaGuard {
 public:
  ActiveIsaGuard() : isa_(KernelIsa()) {}
  ~ActiveIsaGuard() { SelectKernelIsa(isa_); }
  ActiveIsaGuard(const ActiveIsaGuard&) = delete;
  ActiveIsaGuard& operator=(const ActiveIsaGuard&) = delete;

 private:
  std::string_view isa_;  // a table's static name
};

inline double HalfValue(uint16_t h) {
  const int sign = h >> 15, exponent = (h >> 10) & 31, mantissa = h & 1023;
  const double magnitude =
      exponent == 0 ? std::ldexp(mantissa, -24) : std::ldexp(1.0 + mantissa / 1024.0, exponent - 15);
  return sign ? -magnitude : magnitude;
}
inline double Bf16Value(uint16_t h) {
  const int sign = h >> 15, exponent = (h >> 7) & 255, mantissa = h & 127;
  const double magnitude = std::ldexp(1.0 + mantissa / 128.0, exponent - 127);
  return sign ? -magnitude : magnitude;
}

// A finite half with exponent in [lo, hi] (biased), random sign and mantissa.
inline uint16_t RandomHalf(std::mt19937& rng, int lo, int hi, bool positive = false) {
  const uint32_t sign = positive ? 0 : rng() & 1;
  const uint32_t exponent = static_cast<uint32_t>(lo) + rng() % static_cast<uint32_t>(hi - lo + 1);
  return static_cast<uint16_t>((sign << 15) | (exponent << 10) | (rng() & 1023));
}

struct TestMatrix {
  GgmlType type = GgmlType::kF32;
  int64_t rows = 0, cols = 0, row_bytes = 0;
  std::vector<std::byte> bytes;
  std::vector<double> decoded;  // rows * cols
  WeightView View() const { return WeightView{type, rows, cols, bytes.data(), row_bytes}; }
};

inline int64_t BytesPerRow(GgmlType type, int64_t cols) {
  switch (type) {
    case GgmlType::kF32: return 4 * cols;
    case GgmlType::kF16:
    case GgmlType::kBF16: return 2 * cols;
    case GgmlType::kQ8_0: return cols / 32 * 34;
    case GgmlType::kQ4_0: return cols / 32 * 18;
    case GgmlType::kQ4_K: return cols / 256 * 144;
    case GgmlType::kQ6_K: return cols / 256 * 210;
  }
  return 0;
}

inline uint16_t U16At(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

// Decodes block-by-block from the byte layout (little-endian fields at their struct offsets).
inline void DecodeRow(GgmlType type, const uint8_t* p, int64_t cols, double* out) {
  for (int64_t i = 0; i < cols; ++i) {
    switch (type) {
      case GgmlType::kF32: {
        float f;
        std::memcpy(&f, p + 4 * i, 4);
        out[i] = f;
        break;
      }
      case GgmlType::kF16: out[i] = HalfValue(U16At(p + 2 * i)); break;
      case GgmlType::kBF16: out[i] = Bf16Value(U16At(p + 2 * i)); break;
      case GgmlType::kQ8_0: {
        const uint8_t* blk = p + 34 * (i / 32);
        out[i] = HalfValue(U16At(blk)) * static_cast<int8_t>(blk[2 + i % 32]);
        break;
      }
      case GgmlType::kQ4_0: {
        const uint8_t* blk = p + 18 * (i / 32);
        const int j = static_cast<int>(i % 32);
        const int nibble = j < 16 ? (blk[2 + j] & 15) : (blk[2 + j - 16] >> 4);
        out[i] = (nibble - 8) * HalfValue(U16At(blk));
        break;
      }
      case GgmlType::kQ4_K: {
        const uint8_t* blk = p + 144 * (i / 256);
        const int e = static_cast<int>(i % 256), sub = e / 32;
        const uint8_t* s = blk + 4;  // scales[12]
        const int scale = sub < 4 ? (s[sub] & 63) : ((s[sub + 4] & 15) | ((s[sub - 4] >> 6) << 4));
        const int min = sub < 4 ? (s[sub + 4] & 63) : ((s[sub + 4] >> 4) | ((s[sub] >> 6) << 4));
        const uint8_t byte = blk[16 + 32 * (sub / 2) + e % 32];
        const int nibble = sub % 2 ? byte >> 4 : byte & 15;
        out[i] = HalfValue(U16At(blk)) * scale * nibble - HalfValue(U16At(blk + 2)) * min;
        break;
      }
      case GgmlType::kQ6_K: {
        const uint8_t* blk = p + 210 * (i / 256);
        const int e = static_cast<int>(i % 256), half = e / 128, l = e % 128, part = l / 32, j = l % 32;
        const uint8_t low_byte = blk[64 * half + 32 * (part % 2) + j];
        const int low = part < 2 ? low_byte & 15 : low_byte >> 4;
        const int high = (blk[128 + 32 * half + j] >> (2 * part)) & 3;
        const int8_t scale = static_cast<int8_t>(blk[192 + e / 16]);
        out[i] = HalfValue(U16At(blk + 208)) * scale * ((low | (high << 4)) - 32);
        break;
      }
    }
  }
}

inline void Finish(TestMatrix& m) {
  m.decoded.resize(static_cast<size_t>(m.rows * m.cols));
  for (int64_t r = 0; r < m.rows; ++r) {
    DecodeRow(m.type, reinterpret_cast<const uint8_t*>(m.bytes.data()) + r * m.row_bytes, m.cols,
              m.decoded.data() + r * m.cols);
  }
}

// Random bytes everywhere, then every half scale replaced by a sane finite value.
inline TestMatrix RandomMatrix(GgmlType type, int64_t rows, int64_t cols, std::mt19937& rng) {
  TestMatrix m{type, rows, cols, BytesPerRow(type, cols), {}, {}};
  m.bytes.resize(static_cast<size_t>(rows * m.row_bytes));
  uint8_t* p = reinterpret_cast<uint8_t*>(m.bytes.data());
  for (size_t i = 0; i < m.bytes.size(); ++i) p[i] = static_cast<uint8_t>(rng());
  auto put = [](uint8_t* at, uint16_t h) { at[0] = h & 255, at[1] = h >> 8; };
  const int64_t n = rows * cols;
  switch (type) {
    case GgmlType::kF32:
      for (int64_t i = 0; i < n; ++i) {
        const float f = std::normal_distribution<float>(0, 1)(rng);
        std::memcpy(p + 4 * i, &f, 4);
      }
      break;
    case GgmlType::kF16:
      for (int64_t i = 0; i < n; ++i) put(p + 2 * i, rng() % 16 ? RandomHalf(rng, 8, 17) : RandomHalf(rng, 0, 0));
      break;
    case GgmlType::kBF16:
      for (int64_t i = 0; i < n; ++i) put(p + 2 * i, static_cast<uint16_t>(((rng() & 1) << 15) | ((120 + rng() % 10) << 7) | (rng() & 127)));
      break;
    case GgmlType::kQ8_0:
      for (int64_t b = 0; b < n / 32; ++b) put(p + 34 * b, RandomHalf(rng, 8, 12, true));
      break;
    case GgmlType::kQ4_0:
      for (int64_t b = 0; b < n / 32; ++b) put(p + 18 * b, RandomHalf(rng, 8, 12));
      break;
    case GgmlType::kQ4_K:
      for (int64_t b = 0; b < n / 256; ++b) put(p + 144 * b, RandomHalf(rng, 6, 10)), put(p + 144 * b + 2, RandomHalf(rng, 6, 10));
      break;
    case GgmlType::kQ6_K:
      for (int64_t b = 0; b < n / 256; ++b) put(p + 210 * b + 208, RandomHalf(rng, 4, 8));
      break;
  }
  Finish(m);
  return m;
}

// Q8_0 / Q4_0 rows quantized from `values` (round to nearest, step amax/127 or amax/7).
inline TestMatrix MatrixFromValues(GgmlType type, int64_t rows, int64_t cols, const std::vector<float>& values) {
  TestMatrix m{type, rows, cols, BytesPerRow(type, cols), {}, {}};
  m.bytes.resize(static_cast<size_t>(rows * m.row_bytes));
  uint8_t* p = reinterpret_cast<uint8_t*>(m.bytes.data());
  const bool q8 = type == GgmlType::kQ8_0;
  const int64_t block_bytes = q8 ? 34 : 18;
  for (int64_t b = 0; b < rows * cols / 32; ++b) {
    const float* v = values.data() + 32 * b;
    double amax = 0;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(static_cast<double>(v[i])));
    // The scale is stored as a half: pick one exactly, then quantize against the stored value.
    uint16_t h = 0;
    double best = 1e30;
    for (uint32_t c = 0; c < 0x7C00; ++c) {
      const double diff = std::fabs(HalfValue(static_cast<uint16_t>(c)) - amax / (q8 ? 127 : 7));
      if (diff < best) best = diff, h = static_cast<uint16_t>(c);
    }
    uint8_t* blk = p + block_bytes * b;
    blk[0] = h & 255, blk[1] = h >> 8;
    const double d = HalfValue(h);
    for (int i = 0; i < 32; ++i) {
      const int q = d > 0 ? static_cast<int>(std::lround(v[i] / d)) : 0;
      if (q8) {
        blk[2 + i] = static_cast<uint8_t>(static_cast<int8_t>(std::clamp(q, -127, 127)));
      } else {
        const int nibble = std::clamp(q + 8, 0, 15);
        blk[2 + i % 16] = static_cast<uint8_t>(i < 16 ? (blk[2 + i] & 0xF0) | nibble : (blk[2 + i - 16] & 0x0F) | (nibble << 4));
      }
    }
  }
  Finish(m);
  return m;
}

}  // namespace catena::inference::test_blocks
