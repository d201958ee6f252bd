// Paged attention and KV stores of the CPU backend. The SIMD path (AVX2+FMA+F16C, chosen once at run time,
// head_dim a multiple of 8) walks each sequence's block table a block at a time, takes four key dot products
// per horizontal reduction and accumulates the weighted values in registers; the portable path is the reference.
#include "inference/cpu_attention.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "inference/ggml_types.h"
#include "inference/simd_exp.h"

namespace catena::inference::cpu {
namespace {

float ToFloat(const float* p, int64_t i) { return p[i]; }
float ToFloat(const uint16_t* p, int64_t i) { return HalfToFloat(p[i]); }

template <typename T>
float PortableDot(const float* q, const T* k, int64_t n) {
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += q[i] * ToFloat(k, i);
  return sum;
}

template <typename T>
void PortableAxpy(float a, const T* v, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] += a * ToFloat(v, i);
}

#define CATENA_SIMD __attribute__((target("avx2,fma,f16c")))

CATENA_SIMD inline __m256 Load8(const float* p) { return _mm256_loadu_ps(p); }
CATENA_SIMD inline __m256 Load8(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// The four horizontal sums of a0..a3.
CATENA_SIMD inline __m128 Sum4(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
  const __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
  return _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
}

CATENA_SIMD inline float Sum1(__m256 a) {
  __m128 half = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  half = _mm_add_ps(half, _mm_movehl_ps(half, half));
  return _mm_cvtss_f32(_mm_add_ss(half, _mm_movehdup_ps(half)));
}

// scores[p] = e^(scores[p] - max) for p < n; returns their sum.
CATENA_SIMD float SimdExpShifted(float* scores, int64_t n, float max) {
  const __m256 m = _mm256_set1_ps(max);
  __m256 sum = _mm256_setzero_ps();
  int64_t p = 0;
  for (; p + 8 <= n; p += 8) {
    const __m256 e = ExpNonPositive(_mm256_sub_ps(_mm256_loadu_ps(scores + p), m));
    _mm256_storeu_ps(scores + p, e);
    sum = _mm256_add_ps(sum, e);
  }
  float total = Sum1(sum);
  for (; p < n; ++p) total += scores[p] = std::exp(scores[p] - max);
  return total;
}

bool HasSimd() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                          __builtin_cpu_supports("f16c");
  return has;
}

// Prefetches `rows` rows of `bytes` bytes, `stride` elements apart, from `first` (positions a few keys ahead: one
// head's slice of a cache row is a short run at a large stride, which the hardware prefetchers miss).
template <typename T>
CATENA_SIMD inline void PrefetchRows(const T* first, int64_t stride, int rows, size_t bytes) {
  for (int r = 0; r < rows; ++r) {
    const char* row = reinterpret_cast<const char*>(first + r * stride);
    for (size_t offset = 0; offset < bytes; offset += 64) _mm_prefetch(row + offset, _MM_HINT_T0);
  }
}

// scores[p] = scale * dot(q, key p) for p < n_keys, walking the block table one block at a time (head_dim a
// multiple of 8), four keys per pass so one horizontal reduction serves four dot products.
template <typename T>
CATENA_SIMD void SimdScores(const float* q, const PagedKvView& keys, const T* k_data, int64_t head_dim,
                            int64_t n_keys, float scale, float* scores) {
  const __m256 scale_v = _mm256_set1_ps(scale);
  for (int64_t start = 0; start < n_keys; start += keys.block_size) {
    const int64_t n = std::min(keys.block_size, n_keys - start);
    const T* block = k_data + keys.table[start / keys.block_size] * keys.block_size * keys.kv_dim;
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) {
      const T* k = block + j * keys.kv_dim;
      PrefetchRows(k + 4 * keys.kv_dim, keys.kv_dim, 4, head_dim * sizeof(T));
      __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
      for (int64_t i = 0; i < head_dim; i += 8) {
        const __m256 qv = _mm256_loadu_ps(q + i);
        a0 = _mm256_fmadd_ps(qv, Load8(k + i), a0);
        a1 = _mm256_fmadd_ps(qv, Load8(k + keys.kv_dim + i), a1);
        a2 = _mm256_fmadd_ps(qv, Load8(k + 2 * keys.kv_dim + i), a2);
        a3 = _mm256_fmadd_ps(qv, Load8(k + 3 * keys.kv_dim + i), a3);
      }
      _mm_storeu_ps(scores + start + j, _mm_mul_ps(Sum4(a0, a1, a2, a3), _mm256_castps256_ps128(scale_v)));
    }
    for (; j < n; ++j) {
      const T* k = block + j * keys.kv_dim;
      __m256 a = _mm256_setzero_ps();
      for (int64_t i = 0; i < head_dim; i += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), Load8(k + i), a);
      scores[start + j] = scale * Sum1(a);
    }
  }
}

// out = sum_p weights[p] * value p, in slabs of 64 dimensions held in registers across all positions.
template <typename T>
CATENA_SIMD void SimdWeightedValues(const PagedKvView& values, const T* v_data, int64_t head_dim, int64_t n_keys,
                                    const float* weights, float* out) {
  for (int64_t slab = 0; slab < head_dim; slab += 64) {
    const int64_t width = std::min<int64_t>(64, head_dim - slab);
    __m256 acc[8];
    for (__m256& a : acc) a = _mm256_setzero_ps();
    for (int64_t start = 0; start < n_keys; start += values.block_size) {
      const int64_t n = std::min(values.block_size, n_keys - start);
      const T* block = v_data + values.table[start / values.block_size] * values.block_size * values.kv_dim + slab;
      for (int64_t j = 0; j < n; ++j) {
        const T* v = block + j * values.kv_dim;
        PrefetchRows(v + 4 * values.kv_dim, values.kv_dim, 1, width * sizeof(T));
        const __m256 w = _mm256_set1_ps(weights[start + j]);
        if (width == 64) {
          for (int c = 0; c < 8; ++c) acc[c] = _mm256_fmadd_ps(w, Load8(v + 8 * c), acc[c]);
        } else {
          for (int c = 0; c < width / 8; ++c) acc[c] = _mm256_fmadd_ps(w, Load8(v + 8 * c), acc[c]);
        }
      }
    }
    for (int c = 0; c < width / 8; ++c) _mm256_storeu_ps(out + slab + 8 * c, acc[c]);
  }
}

// Q8_0 rows (ggml blocks: f16 scale, 32 int8): head slices are whole blocks (head_dim a multiple of 32).
float PortableDotQ8(const float* q, const BlockQ8_0* k, int64_t head_dim) {
  float sum = 0;
  for (int64_t b = 0; b < head_dim / 32; ++b) {
    float part = 0;
    for (int i = 0; i < 32; ++i) part += q[32 * b + i] * static_cast<float>(k[b].qs[i]);
    sum += HalfToFloat(k[b].d) * part;
  }
  return sum;
}

void PortableAxpyQ8(float a, const BlockQ8_0* v, float* out, int64_t head_dim) {
  for (int64_t b = 0; b < head_dim / 32; ++b) {
    const float s = a * HalfToFloat(v[b].d);
    for (int i = 0; i < 32; ++i) out[32 * b + i] += s * static_cast<float>(v[b].qs[i]);
  }
}

CATENA_SIMD inline __m256 LoadQ8x8(const int8_t* p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

// sum over blocks of d * (q . k) as 8 partial lanes.
CATENA_SIMD inline __m256 DotQ8(const float* q, const BlockQ8_0* k, int64_t blocks) {
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
    const float* qb = q + 32 * b;
    __m256 part = _mm256_mul_ps(_mm256_loadu_ps(qb), LoadQ8x8(k[b].qs));
    part = _mm256_fmadd_ps(_mm256_loadu_ps(qb + 8), LoadQ8x8(k[b].qs + 8), part);
    part = _mm256_fmadd_ps(_mm256_loadu_ps(qb + 16), LoadQ8x8(k[b].qs + 16), part);
    part = _mm256_fmadd_ps(_mm256_loadu_ps(qb + 24), LoadQ8x8(k[b].qs + 24), part);
    acc = _mm256_fmadd_ps(part, _mm256_set1_ps(_cvtsh_ss(k[b].d)), acc);
  }
  return acc;
}

CATENA_SIMD void SimdScoresQ8(const float* q, const PagedKvView& keys, const BlockQ8_0* k_data, int64_t head_dim,
                              int64_t n_keys, float scale, float* scores) {
  const int64_t blocks = head_dim / 32, row_blocks = keys.kv_dim / 32;
  for (int64_t start = 0; start < n_keys; start += keys.block_size) {
    const int64_t n = std::min(keys.block_size, n_keys - start);
    const BlockQ8_0* block = k_data + keys.table[start / keys.block_size] * keys.block_size * row_blocks;
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) {
      const BlockQ8_0* k = block + j * row_blocks;
      PrefetchRows(k + 4 * row_blocks, row_blocks, 4, blocks * sizeof(BlockQ8_0));
      const __m128 sums = Sum4(DotQ8(q, k, blocks), DotQ8(q, k + row_blocks, blocks),
                               DotQ8(q, k + 2 * row_blocks, blocks), DotQ8(q, k + 3 * row_blocks, blocks));
      _mm_storeu_ps(scores + start + j, _mm_mul_ps(sums, _mm_set1_ps(scale)));
    }
    for (; j < n; ++j) scores[start + j] = scale * Sum1(DotQ8(q, block + j * row_blocks, blocks));
  }
}

CATENA_SIMD void SimdWeightedValuesQ8(const PagedKvView& values, const BlockQ8_0* v_data, int64_t head_dim,
                                      int64_t n_keys, const float* weights, float* out) {
  const int64_t row_blocks = values.kv_dim / 32;
  for (int64_t slab = 0; slab < head_dim / 32; slab += 2) {  // 64 dimensions (or a last 32) in registers
    const int64_t width = std::min<int64_t>(2, head_dim / 32 - slab);
    __m256 acc[8];
    for (__m256& a : acc) a = _mm256_setzero_ps();
    for (int64_t start = 0; start < n_keys; start += values.block_size) {
      const int64_t n = std::min(values.block_size, n_keys - start);
      const BlockQ8_0* block =
          v_data + values.table[start / values.block_size] * values.block_size * row_blocks + slab;
      for (int64_t j = 0; j < n; ++j) {
        const BlockQ8_0* v = block + j * row_blocks;
        PrefetchRows(v + 4 * row_blocks, row_blocks, 1, width * sizeof(BlockQ8_0));
        for (int64_t b = 0; b < width; ++b) {
          const __m256 w = _mm256_set1_ps(weights[start + j] * _cvtsh_ss(v[b].d));
          for (int c = 0; c < 4; ++c) acc[4 * b + c] = _mm256_fmadd_ps(w, LoadQ8x8(v[b].qs + 8 * c), acc[4 * b + c]);
        }
      }
    }
    for (int c = 0; c < 4 * width; ++c) _mm256_storeu_ps(out + 32 * slab + 8 * c, acc[c]);
  }
}

void AttendQ8(const float* q, const PagedKvView& keys, const PagedKvView& values, int64_t kv_head,
              int64_t head_dim, int64_t n_keys, float scale, float* out) {
  const BlockQ8_0* k_data = static_cast<const BlockQ8_0*>(keys.data) + kv_head * head_dim / 32;
  const BlockQ8_0* v_data = static_cast<const BlockQ8_0*>(values.data) + kv_head * head_dim / 32;
  const bool simd = HasSimd();
  std::fill(out, out + head_dim, 0.0f);
  if (n_keys <= 0) return;
  thread_local std::vector<float> scores;
  scores.resize(static_cast<size_t>(n_keys));
  if (simd) {
    SimdScoresQ8(q, keys, k_data, head_dim, n_keys, scale, scores.data());
  } else {
    for (int64_t p = 0; p < n_keys; ++p) scores[p] = scale * PortableDotQ8(q, k_data + keys.RowOffset(p) / 32, head_dim);
  }
  const float max_score = *std::max_element(scores.begin(), scores.end());
  float sum = 0;
  if (simd) {
    sum = SimdExpShifted(scores.data(), n_keys, max_score);
  } else {
    for (int64_t p = 0; p < n_keys; ++p) sum += scores[p] = std::exp(scores[p] - max_score);
  }
  const float inv_sum = 1.0f / sum;
  for (int64_t p = 0; p < n_keys; ++p) scores[p] *= inv_sum;
  if (simd) {
    SimdWeightedValuesQ8(values, v_data, head_dim, n_keys, scores.data(), out);
    return;
  }
  for (int64_t p = 0; p < n_keys; ++p) PortableAxpyQ8(scores[p], v_data + values.RowOffset(p) / 32, out, head_dim);
}

template <typename T>
void Attend(const float* q, const PagedKvView& keys, const PagedKvView& values, int64_t kv_head,
            int64_t head_dim, int64_t n_keys, float scale, float* out) {
  const T* k_data = static_cast<const T*>(keys.data) + kv_head * head_dim;
  const T* v_data = static_cast<const T*>(values.data) + kv_head * head_dim;
  const bool simd = HasSimd() && head_dim % 8 == 0;
  if (n_keys <= 0) {
    std::fill(out, out + head_dim, 0.0f);
    return;
  }
  thread_local std::vector<float> scores;
  scores.resize(static_cast<size_t>(n_keys));
  if (simd) {
    SimdScores(q, keys, k_data, head_dim, n_keys, scale, scores.data());
  } else {
    for (int64_t p = 0; p < n_keys; ++p) scores[p] = scale * PortableDot(q, k_data + keys.RowOffset(p), head_dim);
  }
  const float max_score = *std::max_element(scores.begin(), scores.end());
  float sum = 0;
  if (simd) {
    sum = SimdExpShifted(scores.data(), n_keys, max_score);
  } else {
    for (int64_t p = 0; p < n_keys; ++p) sum += scores[p] = std::exp(scores[p] - max_score);
  }
  const float inv_sum = 1.0f / sum;
  for (int64_t p = 0; p < n_keys; ++p) scores[p] *= inv_sum;
  if (simd) {
    SimdWeightedValues(values, v_data, head_dim, n_keys, scores.data(), out);
    return;
  }
  std::fill(out, out + head_dim, 0.0f);
  for (int64_t p = 0; p < n_keys; ++p) PortableAxpy(scores[p], v_data + values.RowOffset(p), out, head_dim);
}

CATENA_SIMD void StoreHalves(const float* row, int64_t n, uint16_t* out) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(row + i), _MM_FROUND_TO_NEAREST_INT));
  }
  for (; i < n; ++i) out[i] = FloatToHalf(row[i]);
}

}  // namespace

void PagedAttend(const float* q, const PagedKvView& keys, const PagedKvView& values, int64_t kv_head,
                 int64_t head_dim, int64_t n_keys, float scale, float* out) {
  if (keys.type == KvType::kQ8_0) {
    AttendQ8(q, keys, values, kv_head, head_dim, n_keys, scale, out);
  } else if (keys.type == KvType::kF16) {
    Attend<uint16_t>(q, keys, values, kv_head, head_dim, n_keys, scale, out);
  } else {
    Attend<float>(q, keys, values, kv_head, head_dim, n_keys, scale, out);
  }
}

void StoreKvRow(const PagedKvView& view, void* data, int64_t p, std::span<const float> row) {
  const int64_t offset = view.RowOffset(p);
  if (view.type == KvType::kQ8_0) {  // ggml's encoder: d = amax / 127 as f16, codes rounded to nearest
    std::byte* out = static_cast<std::byte*>(data) + offset / 32 * static_cast<int64_t>(sizeof(BlockQ8_0));
    (void)QuantizeRow(GgmlType::kQ8_0, row, std::span<std::byte>(out, row.size() / 32 * sizeof(BlockQ8_0)));
    return;
  }
  if (view.type == KvType::kF32) {
    std::copy(row.begin(), row.end(), static_cast<float*>(data) + offset);
    return;
  }
  uint16_t* out = static_cast<uint16_t*>(data) + offset;
  if (HasSimd()) {
    StoreHalves(row.data(), static_cast<int64_t>(row.size()), out);  // F16C rounds to nearest even, as FloatToHalf
    return;
  }
  for (size_t i = 0; i < row.size(); ++i) out[i] = FloatToHalf(row[i]);
}

}  // namespace catena::inference::cpu
