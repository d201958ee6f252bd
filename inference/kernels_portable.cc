// Portable C++ row kernels: the reference every SIMD table must agree with, and the fallback on CPUs without
// AVX2. Quantized rows are decoded 32 elements at a time into signed integers with one scale per 16 and an
// additive offset per 32, then dotted with the quantized activations in integer arithmetic.
#include <cmath>
#include <cstring>

#include "inference/kernels_internal.h"

namespace catena::inference::kernels_internal {
namespace {

// One 32-element chunk of a weight row: value[i] = scale[i / 16] * w[i] + offset.
struct Chunk {
  int8_t w[32];
  float scale[2];
  float offset;
};

template <typename Block>
const Block* BlockAt(const std::byte* row, int64_t index) {
  return reinterpret_cast<const Block*>(row) + index;
}

void DecodeQ8_0(const std::byte* row, int64_t c, Chunk* out) {
  const BlockQ8_0* b = BlockAt<BlockQ8_0>(row, c);
  std::memcpy(out->w, b->qs, 32);
  out->scale[0] = out->scale[1] = HalfBitsToFloat(b->d);
  out->offset = 0;
}

void DecodeQ4_0(const std::byte* row, int64_t c, Chunk* out) {
  const BlockQ4_0* b = BlockAt<BlockQ4_0>(row, c);
  for (int i = 0; i < 16; ++i) {
    out->w[i] = static_cast<int8_t>((b->qs[i] & 0xF) - 8);
    out->w[i + 16] = static_cast<int8_t>((b->qs[i] >> 4) - 8);
  }
  out->scale[0] = out->scale[1] = HalfBitsToFloat(b->d);
  out->offset = 0;
}

void DecodeQ4_K(const std::byte* row, int64_t c, Chunk* out) {
  const BlockQ4_K* b = BlockAt<BlockQ4_K>(row, c / 8);
  const int sub = static_cast<int>(c % 8);
  const uint8_t* qs = b->qs + 32 * (sub / 2);
  const int shift = (sub % 2) * 4;
  for (int i = 0; i < 32; ++i) out->w[i] = static_cast<int8_t>((qs[i] >> shift) & 0xF);
  uint8_t scale, min;
  Q4KScaleMin(b->scales, sub, &scale, &min);
  out->scale[0] = out->scale[1] = HalfBitsToFloat(b->d) * scale;
  out->offset = -HalfBitsToFloat(b->dmin) * min;
}

void DecodeQ6_K(const std::byte* row, int64_t c, Chunk* out) {
  const BlockQ6_K* b = BlockAt<BlockQ6_K>(row, c / 8);
  const int sub = static_cast<int>(c % 8);  // 32-element chunk within the block
  const int half = sub / 4, part = sub % 4;
  const uint8_t* ql = b->ql + 64 * half + 32 * (part % 2);
  const uint8_t* qh = b->qh + 32 * half;
  const int low_shift = (part / 2) * 4, high_shift = part * 2;
  for (int i = 0; i < 32; ++i) {
    const int q6 = ((ql[i] >> low_shift) & 0xF) | (((qh[i] >> high_shift) & 3) << 4);
    out->w[i] = static_cast<int8_t>(q6 - 32);
  }
  const float d = HalfBitsToFloat(b->d);
  out->scale[0] = d * b->scales[2 * sub];
  out->scale[1] = d * b->scales[2 * sub + 1];
  out->offset = 0;
}

using ChunkDecoder = void (*)(const std::byte* row, int64_t chunk, Chunk* out);

template <ChunkDecoder kDecode>
void QuantizedRows(const RowTask& t) {
  const QuantizedActivations& qx = *t.qx;
  Chunk chunk;
  for (int64_t r = t.row_begin; r < t.row_end; ++r) {
    const std::byte* row = t.w->data + r * t.w->row_bytes;
    for (int64_t b = 0; b < t.batch; ++b) {
      const int8_t* q = qx.Q(b);
      double acc = 0;
      for (int64_t c = 0; c < qx.blocks; ++c) {
        kDecode(row, c, &chunk);
        int32_t lo = 0, hi = 0;
        for (int i = 0; i < 16; ++i) lo += chunk.w[i] * q[32 * c + i];
        for (int i = 16; i < 32; ++i) hi += chunk.w[i] * q[32 * c + i];
        acc += qx.Scale(b)[c] * (chunk.scale[0] * lo + chunk.scale[1] * hi) + chunk.offset * qx.Sum32(b)[c];
      }
      t.y[b * t.w->rows + r] = static_cast<float>(acc);
    }
  }
}

float F32At(const std::byte* row, int64_t i) {
  float v;
  std::memcpy(&v, row + 4 * i, 4);
  return v;
}
float F16At(const std::byte* row, int64_t i) {
  uint16_t h;
  std::memcpy(&h, row + 2 * i, 2);
  return HalfBitsToFloat(h);
}
float Bf16At(const std::byte* row, int64_t i) {
  uint16_t h;
  std::memcpy(&h, row + 2 * i, 2);
  return Bf16BitsToFloat(h);
}

template <float (*kAt)(const std::byte*, int64_t)>
void FloatRows(const RowTask& t) {
  const int64_t cols = t.w->cols;
  for (int64_t r = t.row_begin; r < t.row_end; ++r) {
    const std::byte* row = t.w->data + r * t.w->row_bytes;
    for (int64_t b = 0; b < t.batch; ++b) {
      const float* x = t.x + b * cols;
      float acc = 0;
      for (int64_t i = 0; i < cols; ++i) acc += kAt(row, i) * x[i];
      t.y[b * t.w->rows + r] = acc;
    }
  }
}

void Quantize(const float* x, int64_t cols, int64_t b_begin, int64_t b_end, const QuantizedActivations& qx) {
  for (int64_t b = b_begin; b < b_end; ++b) {
    for (int64_t j = 0; j < qx.blocks; ++j) {
      const float* v = x + b * cols + 32 * j;
      float amax = 0;
      for (int i = 0; i < 32; ++i) amax = std::fmax(amax, std::fabs(v[i]));
      const float d = amax / 127.0f;
      const float inv = amax > 0 ? 127.0f / amax : 0.0f;
      int8_t* q = qx.q + (b * qx.blocks + j) * 32;
      int sums[2] = {0, 0};
      for (int i = 0; i < 32; ++i) {
        q[i] = static_cast<int8_t>(std::nearbyint(v[i] * inv));
        sums[i / 16] += q[i];
      }
      qx.d[b * qx.blocks + j] = d;
      qx.sum16[2 * (b * qx.blocks + j)] = d * static_cast<float>(sums[0]);
      qx.sum16[2 * (b * qx.blocks + j) + 1] = d * static_cast<float>(sums[1]);
      qx.sum32[b * qx.blocks + j] = d * static_cast<float>(sums[0] + sums[1]);
    }
  }
}

// Block c of a Q8_0/Q4_0 GGUF row from its 32 codes in element order (Q8_0's signed weights as bytes, Q4_0's
// unsigned nibbles) and its F16 scale.
void WriteBlockCodes(GgmlType type, const uint8_t (&codes)[32], uint16_t d, std::byte* row, int64_t c) {
  if (type == GgmlType::kQ8_0) {
    BlockQ8_0* b = reinterpret_cast<BlockQ8_0*>(row) + c;
    std::memcpy(b->qs, codes, 32);
    b->d = d;
    return;
  }
  BlockQ4_0* b = reinterpret_cast<BlockQ4_0*>(row) + c;
  for (int i = 0; i < 16; ++i) b->qs[i] = static_cast<uint8_t>(codes[i] | codes[i + 16] << 4);
  b->d = d;
}

// Where element i of the group's block m sits among the group's 128 codes in Q8_0's grouped order.
inline int GroupedPosition(int m, int i) { return 32 * (i / 8) + 8 * m + i % 8; }

void PortableSwiGlu(const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

}  // namespace

void UnpackGroupedRow(GgmlType type, const std::byte* grouped, int64_t blocks, std::byte* gguf) {
  const int64_t groups = GroupsOf(blocks), quant_bytes = GroupedQuantBytes(type);
  const auto* codes_in = reinterpret_cast<const uint8_t*>(grouped);
  for (int64_t g = 0; g < groups; ++g) {
    const uint8_t* in = codes_in + g * quant_bytes;
    uint8_t order[128];
    if (type == GgmlType::kQ8_0) {
      std::memcpy(order, in, 128);
    } else {
      for (int j = 0; j < 64; ++j) {
        order[j] = in[j] & 0xF;
        order[j + 64] = in[j] >> 4;
      }
    }
    for (int m = 0; m < 4 && 4 * g + m < blocks; ++m) {
      uint8_t codes[32];
      for (int i = 0; i < 32; ++i) codes[i] = order[GroupedPosition(m, i)];
      uint16_t d;
      std::memcpy(&d, grouped + groups * quant_bytes + 8 * g + 2 * m, 2);
      WriteBlockCodes(type, codes, d, gguf, 4 * g + m);
    }
  }
}

float HalfBitsToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exponent = (h >> 10) & 0x1F;
  uint32_t mantissa = h & 0x3FF;
  uint32_t bits;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {
    int e = 113;
    while ((mantissa & 0x400) == 0) {
      mantissa <<= 1;
      --e;
    }
    bits = sign | (static_cast<uint32_t>(e) << 23) | ((mantissa & 0x3FF) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

void DequantizeQuantizedRow(GgmlType type, const std::byte* row, std::span<float> out) {
  ChunkDecoder decode = type == GgmlType::kQ8_0   ? DecodeQ8_0
                        : type == GgmlType::kQ4_0 ? DecodeQ4_0
                        : type == GgmlType::kQ4_K ? DecodeQ4_K
                        : type == GgmlType::kQ6_K ? DecodeQ6_K
                                                  : nullptr;
  if (decode == nullptr) return;
  Chunk chunk;
  for (size_t c = 0; c < out.size() / 32; ++c) {
    decode(row, static_cast<int64_t>(c), &chunk);
    for (int i = 0; i < 32; ++i) out[32 * c + i] = chunk.scale[i / 16] * chunk.w[i] + chunk.offset;
  }
}

const KernelTable& PortableKernels() {
  static const KernelTable table = {
      .name = "portable",
      .f32 = FloatRows<F32At>,
      .f16 = FloatRows<F16At>,
      .bf16 = FloatRows<Bf16At>,
      .q8_0 = QuantizedRows<DecodeQ8_0>,
      .q4_0 = QuantizedRows<DecodeQ4_0>,
      .q4_k = QuantizedRows<DecodeQ4_K>,
      .q6_k = QuantizedRows<DecodeQ6_K>,
      .quantize = Quantize,
      .swiglu = PortableSwiGlu,
  };
  return table;
}

}  // namespace catena::inference::kernels_internal
