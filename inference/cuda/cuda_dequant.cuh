// Internal to the CUDA kernels: device-side decoding of one element of a GGUF row, for every supported
// type, with byte loads only (no alignment assumptions). Block layouts as documented in ggml_types.h.
#pragma once

#include <cuda_fp16.h>

#include <cstdint>

#include "inference/ggml_types.h"

namespace catena::inference::cuda {

__device__ __forceinline__ float LoadHalf(const uint8_t* p) {
  const unsigned short bits = static_cast<unsigned short>(p[0] | (p[1] << 8));
  return __half2float(__ushort_as_half(bits));
}

__device__ __forceinline__ float LoadBf16(const uint8_t* p) {
  const unsigned int bits = static_cast<unsigned int>(p[0] | (p[1] << 8)) << 16;
  return __uint_as_float(bits);
}

// Q4_K: the 6-bit scale and min of sub-block j (0..7) from the 12 packed bytes.
__device__ __forceinline__ void ScaleMinK4(int j, const uint8_t* packed, int& scale, int& min) {
  if (j < 4) {
    scale = packed[j] & 63;
    min = packed[j + 4] & 63;
  } else {
    scale = (packed[j + 4] & 0xF) | ((packed[j - 4] >> 6) << 4);
    min = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
  }
}

__device__ __forceinline__ float Q4KElement(const uint8_t* block, int e) {
  const float d = LoadHalf(block), dmin = LoadHalf(block + 2);
  int scale = 0, min = 0;
  ScaleMinK4(e / 32, block + 4, scale, min);
  const uint8_t byte = block[16 + 32 * (e / 64) + e % 32];
  const int q = (e % 64) < 32 ? (byte & 0xF) : (byte >> 4);
  return d * static_cast<float>(scale) * static_cast<float>(q) - dmin * static_cast<float>(min);
}

__device__ __forceinline__ float Q6KElement(const uint8_t* block, int e) {
  const uint8_t* ql = block;
  const uint8_t* qh = block + 128;
  const int8_t* scales = reinterpret_cast<const int8_t*>(block + 192);
  const float d = LoadHalf(block + 208);
  const uint8_t low = ql[64 * (e / 128) + 32 * ((e % 128 / 32) & 1) + e % 32];
  const int low_bits = (e % 128) < 64 ? (low & 0xF) : (low >> 4);
  const int high_bits = (qh[32 * (e / 128) + e % 32] >> (2 * (e % 128 / 32))) & 3;
  return d * static_cast<float>(scales[e / 16]) * static_cast<float>((low_bits | (high_bits << 4)) - 32);
}

// Element i of a row of `type` starting at `row`.
__device__ __forceinline__ float DequantElement(GgmlType type, const uint8_t* row, int64_t i) {
  switch (type) {
    case GgmlType::kF32: {
      const unsigned int bits =
          static_cast<unsigned int>(row[4 * i]) | (static_cast<unsigned int>(row[4 * i + 1]) << 8) |
          (static_cast<unsigned int>(row[4 * i + 2]) << 16) | (static_cast<unsigned int>(row[4 * i + 3]) << 24);
      return __uint_as_float(bits);
    }
    case GgmlType::kF16:
      return LoadHalf(row + 2 * i);
    case GgmlType::kBF16:
      return LoadBf16(row + 2 * i);
    case GgmlType::kQ8_0: {
      const uint8_t* block = row + (i / 32) * 34;
      return LoadHalf(block) * static_cast<float>(static_cast<int8_t>(block[2 + i % 32]));
    }
    case GgmlType::kQ4_0: {
      const uint8_t* block = row + (i / 32) * 18;
      const int j = static_cast<int>(i % 32);
      const uint8_t byte = block[2 + j % 16];
      const int nibble = j < 16 ? (byte & 0xF) : (byte >> 4);
      return static_cast<float>(nibble - 8) * LoadHalf(block);
    }
    case GgmlType::kQ4_K:
      return Q4KElement(row + (i / 256) * 144, static_cast<int>(i % 256));
    case GgmlType::kQ6_K:
      return Q6KElement(row + (i / 256) * 210, static_cast<int>(i % 256));
  }
  return 0.0f;
}

}  // namespace catena::inference::cuda
