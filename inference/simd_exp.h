// A vectorized e^x for x <= 0, shared by the AVX2 paths of paged attention (softmax) and the kernel tables
// (SwiGLU). Internal to inference/: include it only from files that check the CPU for AVX2+FMA before calling.
// Its own target attribute lets files compiled without -mavx2 use it; internal linkage keeps each file's copy apart.
#pragma once

#include <immintrin.h>

#define CATENA_EXP_TARGET __attribute__((target("avx2,fma")))

namespace catena::inference {
namespace {

// e^x for x <= 0 (Cephes' expf: range reduction by ln 2 in two parts, degree-5 polynomial; relative error
// about 2e-7); inputs below -87.3 give 0.
CATENA_EXP_TARGET inline __m256 ExpNonPositive(__m256 x) {
  const __m256 low = _mm256_set1_ps(-87.3f);
  const __m256 under = _mm256_cmp_ps(x, low, _CMP_LT_OQ);
  x = _mm256_max_ps(x, low);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i scale = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(under, _mm256_mul_ps(p, _mm256_castsi256_ps(scale)));
}

}  // namespace
}  // namespace catena::inference
