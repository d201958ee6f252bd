#include "inference/cpu_attention.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "inference/ggml_types.h"

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

__attribute__((target("avx2,fma,f16c"))) __m256 Load8(const float* p) { return _mm256_loadu_ps(p); }
__attribute__((target("avx2,fma,f16c"))) __m256 Load8(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

template <typename T>
__attribute__((target("avx2,fma,f16c"))) float SimdDot(const float* q, const T* k, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), Load8(k + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), Load8(k + i + 8), acc1);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), Load8(k + i), acc0);
  __m256 acc = _mm256_add_ps(acc0, acc1);
  __m128 half = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  half = _mm_add_ps(half, _mm_movehl_ps(half, half));
  half = _mm_add_ss(half, _mm_movehdup_ps(half));
  return _mm_cvtss_f32(half) + PortableDot(q + i, k + i, n - i);
}

template <typename T>
__attribute__((target("avx2,fma,f16c"))) void SimdAxpy(float a, const T* v, float* out, int64_t n) {
  const __m256 scale = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(out + i, _mm256_fmadd_ps(scale, Load8(v + i), _mm256_loadu_ps(out + i)));
  }
  PortableAxpy(a, v + i, out + i, n - i);
}

bool HasSimd() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                          __builtin_cpu_supports("f16c");
  return has;
}

template <typename T>
void Attend(const float* q, const PagedKvView& keys, const PagedKvView& values, int64_t kv_head,
            int64_t head_dim, int64_t n_keys, float scale, float* out) {
  const T* k_data = static_cast<const T*>(keys.data) + kv_head * head_dim;
  const T* v_data = static_cast<const T*>(values.data) + kv_head * head_dim;
  const bool simd = HasSimd();
  thread_local std::vector<float> scores;
  scores.resize(static_cast<size_t>(n_keys));
  float max_score = -INFINITY;
  for (int64_t p = 0; p < n_keys; ++p) {
    const T* k = k_data + keys.RowOffset(p);
    scores[p] = scale * (simd ? SimdDot(q, k, head_dim) : PortableDot(q, k, head_dim));
    max_score = std::max(max_score, scores[p]);
  }
  float sum = 0;
  for (int64_t p = 0; p < n_keys; ++p) sum += scores[p] = std::exp(scores[p] - max_score);
  std::fill(out, out + head_dim, 0.0f);
  const float inv_sum = 1.0f / sum;
  for (int64_t p = 0; p < n_keys; ++p) {
    const T* v = v_data + values.RowOffset(p);
    if (simd) {
      SimdAxpy(scores[p] * inv_sum, v, out, head_dim);
    } else {
      PortableAxpy(scores[p] * inv_sum, v, out, head_dim);
    }
  }
}

}  // namespace

void PagedAttend(const float* q, const PagedKvView& keys, const PagedKvView& values, int64_t kv_head,
                 int64_t head_dim, int64_t n_keys, float scale, float* out) {
  if (keys.type == KvType::kF16) {
    Attend<uint16_t>(q, keys, values, kv_head, head_dim, n_keys, scale, out);
  } else {
    Attend<float>(q, keys, values, kv_head, head_dim, n_keys, scale, out);
  }
}

void StoreKvRow(const PagedKvView& view, void* data, int64_t p, std::span<const float> row) {
  const int64_t offset = view.RowOffset(p);
  if (view.type == KvType::kF32) {
    std::copy(row.begin(), row.end(), static_cast<float*>(data) + offset);
    return;
  }
  uint16_t* out = static_cast<uint16_t*>(data) + offset;
  for (size_t i = 0; i < row.size(); ++i) out[i] = FloatToHalf(row[i]);
}

}  // namespace catena::inference::cpu
