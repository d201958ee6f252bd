// Paged attention and KV stores of the CPU backend. The SIMD path (AVX2+FMA+F16C, chosen once at run time,
// head_dim a multiple of 8) walks a sequence's block table eight rows at a time for every head of a span, takes
// four key dot products per horizontal reduction and accumulates the weighted values in registers; the
// portable path is the reference.
#include "inference/cpu_attention.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <type_traits>
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
#define CATENA_UNROLL _Pragma("GCC unroll 16")

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

// Element types of a cache row: F32, F16 (as uint16_t) or Q8_0 blocks of 32 elements.
template <typename T>
constexpr int64_t kElementsPer = std::is_same_v<T, BlockQ8_0> ? 32 : 1;

// Rows are read a chunk at a time: every selected head of a chunk's rows, then the next chunk, so the cache
// streams row after row (a head's slice of a row alone is a short run at a large stride). A multiple of four,
// so the four-key groups of ScoreRows start at the same positions whatever the chunk.
constexpr int64_t kChunkRows = 8;

// Calls fn(first, start, n) for each run of n <= kChunkRows positions [start, start + n) stored in consecutive
// rows of one block, first being the element offset of position start's row.
template <typename Fn>
void ForEachChunk(const PagedKvView& view, int64_t n_keys, Fn&& fn) {
  for (int64_t start = 0; start < n_keys; start += view.block_size) {
    const int64_t n = std::min(view.block_size, n_keys - start);
    const int64_t block_row = view.table[start / view.block_size] * view.block_size;
    for (int64_t j = 0; j < n; j += kChunkRows) {
      fn((block_row + j) * view.kv_dim, start + j, std::min(kChunkRows, n - j));
    }
  }
}

// Prefetches the bytes [begin, begin + bytes) of the rows of positions [from, to) (a chunk ahead: the rows of
// the next block are elsewhere in the cache, where the hardware prefetchers do not look).
template <typename T>
CATENA_SIMD void PrefetchPositions(const PagedKvView& view, int64_t from, int64_t to, size_t begin, size_t bytes) {
  for (int64_t p = from; p < to; ++p) {
    const char* row = static_cast<const char*>(view.data) +
                      view.RowOffset(p) / kElementsPer<T> * static_cast<int64_t>(sizeof(T)) + begin;
    for (size_t offset = 0; offset < bytes; offset += 64) _mm_prefetch(row + offset, _MM_HINT_T0);
  }
}

// scores[j] = scale * dot(q, row j) for the n rows from k, `stride` elements apart (head_dim a multiple of 8),
// four rows per pass so one horizontal reduction serves four dot products.
template <typename T>
CATENA_SIMD void ScoreRows(const float* q, const T* k, int64_t stride, int64_t head_dim, int64_t n, float scale,
                           float* scores) {
  const __m128 scale_v = _mm_set1_ps(scale);
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const T* r = k + j * stride;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t i = 0; i < head_dim; i += 8) {
      const __m256 qv = _mm256_loadu_ps(q + i);
      a0 = _mm256_fmadd_ps(qv, Load8(r + i), a0);
      a1 = _mm256_fmadd_ps(qv, Load8(r + stride + i), a1);
      a2 = _mm256_fmadd_ps(qv, Load8(r + 2 * stride + i), a2);
      a3 = _mm256_fmadd_ps(qv, Load8(r + 3 * stride + i), a3);
    }
    _mm_storeu_ps(scores + j, _mm_mul_ps(Sum4(a0, a1, a2, a3), scale_v));
  }
  for (; j < n; ++j) {
    const T* r = k + j * stride;
    __m256 a = _mm256_setzero_ps();
    for (int64_t i = 0; i < head_dim; i += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), Load8(r + i), a);
    scores[j] = scale * Sum1(a);
  }
}

// out[0, 8W) += sum_j weights[j] * row j[0, 8W) for the n rows from v, `stride` elements apart, in registers.
template <int W, typename T>
CATENA_SIMD inline void AccumulateColumns(const T* v, int64_t stride, int64_t n, const float* weights, float* out) {
  __m256 acc[W];
  CATENA_UNROLL for (int c = 0; c < W; ++c) acc[c] = _mm256_loadu_ps(out + 8 * c);
  for (int64_t j = 0; j < n; ++j) {
    const T* r = v + j * stride;
    const __m256 w = _mm256_set1_ps(weights[j]);
    CATENA_UNROLL for (int c = 0; c < W; ++c) acc[c] = _mm256_fmadd_ps(w, Load8(r + 8 * c), acc[c]);
  }
  CATENA_UNROLL for (int c = 0; c < W; ++c) _mm256_storeu_ps(out + 8 * c, acc[c]);
}

// out += sum_j weights[j] * row j for the n rows from v (head_dim a multiple of 8): 64 dimensions at a time.
template <typename T>
CATENA_SIMD void AccumulateRows(const T* v, int64_t stride, int64_t head_dim, int64_t n, const float* weights,
                                float* out) {
  int64_t i = 0;
  for (; i + 64 <= head_dim; i += 64) AccumulateColumns<8>(v + i, stride, n, weights, out + i);
  for (; i < head_dim; i += 8) AccumulateColumns<1>(v + i, stride, n, weights, out + i);
}

// Q8_0 rows (ggml blocks: f16 scale, 32 int8): head slices are whole blocks (head_dim a multiple of 32).
float PortableDot(const float* q, const BlockQ8_0* k, int64_t head_dim) {
  float sum = 0;
  for (int64_t b = 0; b < head_dim / 32; ++b) {
    float part = 0;
    for (int i = 0; i < 32; ++i) part += q[32 * b + i] * static_cast<float>(k[b].qs[i]);
    sum += HalfToFloat(k[b].d) * part;
  }
  return sum;
}

void PortableAxpy(float a, const BlockQ8_0* v, float* out, int64_t head_dim) {
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

template <>
CATENA_SIMD void ScoreRows(const float* q, const BlockQ8_0* k, int64_t stride, int64_t head_dim, int64_t n,
                           float scale, float* scores) {
  const int64_t blocks = head_dim / 32;
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const BlockQ8_0* r = k + j * stride;
    const __m128 sums = Sum4(DotQ8(q, r, blocks), DotQ8(q, r + stride, blocks), DotQ8(q, r + 2 * stride, blocks),
                             DotQ8(q, r + 3 * stride, blocks));
    _mm_storeu_ps(scores + j, _mm_mul_ps(sums, _mm_set1_ps(scale)));
  }
  for (; j < n; ++j) scores[j] = scale * Sum1(DotQ8(q, k + j * stride, blocks));
}

// out[0, 32B) += sum_j weights[j] * row j's blocks [0, B) for the n rows from v, `stride` blocks apart.
template <int B>
CATENA_SIMD inline void AccumulateBlocks(const BlockQ8_0* v, int64_t stride, int64_t n, const float* weights,
                                         float* out) {
  __m256 acc[4 * B];
  CATENA_UNROLL for (int c = 0; c < 4 * B; ++c) acc[c] = _mm256_loadu_ps(out + 8 * c);
  for (int64_t j = 0; j < n; ++j) {
    const BlockQ8_0* r = v + j * stride;
    CATENA_UNROLL for (int b = 0; b < B; ++b) {
      const __m256 w = _mm256_set1_ps(weights[j] * _cvtsh_ss(r[b].d));
      CATENA_UNROLL for (int c = 0; c < 4; ++c) {
        acc[4 * b + c] = _mm256_fmadd_ps(w, LoadQ8x8(r[b].qs + 8 * c), acc[4 * b + c]);
      }
    }
  }
  CATENA_UNROLL for (int c = 0; c < 4 * B; ++c) _mm256_storeu_ps(out + 8 * c, acc[c]);
}

template <>
CATENA_SIMD void AccumulateRows(const BlockQ8_0* v, int64_t stride, int64_t head_dim, int64_t n,
                                const float* weights, float* out) {
  const int64_t blocks = head_dim / 32;
  int64_t b = 0;
  for (; b + 2 <= blocks; b += 2) AccumulateBlocks<2>(v + b, stride, n, weights, out + 32 * b);
  if (b < blocks) AccumulateBlocks<1>(v + b, stride, n, weights, out + 32 * b);
}

// scores[0, n) = softmax(scores[0, n)).
void Softmax(float* scores, int64_t n, bool simd) {
  const float max_score = *std::max_element(scores, scores + n);
  float sum = 0;
  if (simd) {
    sum = SimdExpShifted(scores, n, max_score);
  } else {
    for (int64_t p = 0; p < n; ++p) sum += scores[p] = std::exp(scores[p] - max_score);
  }
  const float inv_sum = 1.0f / sum;
  for (int64_t p = 0; p < n; ++p) scores[p] *= inv_sum;
}

// Attention of query heads `heads` over a cache of element type T: scores of every head, chunk by chunk of
// rows, then one softmax per head, then the weighted values chunk by chunk. The portable path (no AVX2, or an
// F32/F16 head_dim that is not a multiple of 8) is the reference, a head and a position at a time.
template <typename T>
void Attend(const float* q, const PagedKvView& keys, const PagedKvView& values, HeadSpan heads, int64_t head_dim,
            int64_t n_keys, float scale, float* out) {
  const int64_t count = heads.end - heads.begin, per = kElementsPer<T>;
  std::fill(out, out + count * head_dim, 0.0f);
  if (n_keys <= 0 || count <= 0) return;
  const T* k_data = static_cast<const T*>(keys.data);
  const T* v_data = static_cast<const T*>(values.data);
  // Element offset of query head h's kv head within a row.
  const auto head_offset = [&](int64_t h) { return (heads.begin + h) / heads.group * head_dim; };
  thread_local std::vector<float> scores;  // [head][position]
  scores.resize(static_cast<size_t>(count * n_keys));
  const bool simd = HasSimd() && head_dim % 8 == 0;
  if (!simd) {
    for (int64_t h = 0; h < count; ++h) {
      float* s = scores.data() + h * n_keys;
      for (int64_t p = 0; p < n_keys; ++p) {
        s[p] = scale * PortableDot(q + h * head_dim, k_data + (keys.RowOffset(p) + head_offset(h)) / per, head_dim);
      }
      Softmax(s, n_keys, false);
      for (int64_t p = 0; p < n_keys; ++p) {
        PortableAxpy(s[p], v_data + (values.RowOffset(p) + head_offset(h)) / per, out + h * head_dim, head_dim);
      }
    }
    return;
  }
  // The bytes of a row the selected heads read: kv heads first..last.
  const size_t begin = static_cast<size_t>(head_offset(0) / per) * sizeof(T);
  const size_t bytes = static_cast<size_t>((head_offset(count - 1) + head_dim - head_offset(0)) / per) * sizeof(T);
  const int64_t k_stride = keys.kv_dim / per, v_stride = values.kv_dim / per;
  ForEachChunk(keys, n_keys, [&](int64_t first, int64_t start, int64_t n) {
    PrefetchPositions<T>(keys, start + n, std::min(n_keys, start + n + kChunkRows), begin, bytes);
    for (int64_t h = 0; h < count; ++h) {
      ScoreRows(q + h * head_dim, k_data + (first + head_offset(h)) / per, k_stride, head_dim, n, scale,
                scores.data() + h * n_keys + start);
    }
  });
  for (int64_t h = 0; h < count; ++h) Softmax(scores.data() + h * n_keys, n_keys, true);
  ForEachChunk(values, n_keys, [&](int64_t first, int64_t start, int64_t n) {
    PrefetchPositions<T>(values, start + n, std::min(n_keys, start + n + kChunkRows), begin, bytes);
    for (int64_t h = 0; h < count; ++h) {
      AccumulateRows(v_data + (first + head_offset(h)) / per, v_stride, head_dim, n,
                     scores.data() + h * n_keys + start, out + h * head_dim);
    }
  });
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

void PagedAttendHeads(const float* q, const PagedKvView& keys, const PagedKvView& values, HeadSpan heads,
                      int64_t head_dim, int64_t n_keys, float scale, float* out) {
  if (keys.type == KvType::kQ8_0) {
    Attend<BlockQ8_0>(q, keys, values, heads, head_dim, n_keys, scale, out);
  } else if (keys.type == KvType::kF16) {
    Attend<uint16_t>(q, keys, values, heads, head_dim, n_keys, scale, out);
  } else {
    Attend<float>(q, keys, values, heads, head_dim, n_keys, scale, out);
  }
}

void PagedAttend(const float* q, const PagedKvView& keys, const PagedKvView& values, int64_t kv_head,
                 int64_t head_dim, int64_t n_keys, float scale, float* out) {
  PagedAttendHeads(q, keys, values, {.begin = kv_head, .end = kv_head + 1, .group = 1}, head_dim, n_keys, scale,
                   out);
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
