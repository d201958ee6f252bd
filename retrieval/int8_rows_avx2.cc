// The AVX2 nibble dot-product kernel of Int8Rows (compiled with -mavx2; int8_rows.cc calls it only after
// __builtin_cpu_supports("avx2")).
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

namespace catena::retrieval {

namespace {

// maddubs of a nibble (0..15) and a code (-127..127) sums pairs to at most 2 * 15 * 127 = 3810 in magnitude,
// and a 64-dimension block adds two of those, so 4 blocks fit an int16 lane (30480 < 32767).
constexpr size_t kBlocksPerFlush = 4;

// One 64-dimension block: the low nibbles pair with query codes [0, 32), the high ones with [32, 64).
inline __m256i BlockDot(const uint8_t* row, const int8_t* query) {
  const __m256i packed = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row));
  const __m256i mask = _mm256_set1_epi8(0x0F);
  const __m256i low = _mm256_and_si256(packed, mask);
  const __m256i high = _mm256_and_si256(_mm256_srli_epi16(packed, 4), mask);
  const __m256i q0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(query));
  const __m256i q1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(query + 32));
  return _mm256_add_epi16(_mm256_maddubs_epi16(low, q0), _mm256_maddubs_epi16(high, q1));
}

// The int32 lanes of one row's dot product (`bytes` / 32 blocks).
inline __m256i RowDot(const uint8_t* row, const int8_t* query, size_t bytes) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc = _mm256_setzero_si256();
  for (size_t begin = 0; begin < bytes; begin += 32 * kBlocksPerFlush) {
    __m256i partial = _mm256_setzero_si256();
    const size_t end = begin + 32 * kBlocksPerFlush < bytes ? begin + 32 * kBlocksPerFlush : bytes;
    for (size_t j = begin; j < end; j += 32) partial = _mm256_add_epi16(partial, BlockDot(row + j, query + 2 * j));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(partial, ones));
  }
  return acc;
}

}  // namespace

void NibbleDotsAvx2(const int8_t* query_codes, const uint8_t* rows, size_t bytes, size_t count, int32_t* out) {
  size_t r = 0;
  for (; r + 4 <= count; r += 4) {
    const uint8_t* row = rows + r * bytes;
    const __m256i a0 = RowDot(row, query_codes, bytes);
    const __m256i a1 = RowDot(row + bytes, query_codes, bytes);
    const __m256i a2 = RowDot(row + 2 * bytes, query_codes, bytes);
    const __m256i a3 = RowDot(row + 3 * bytes, query_codes, bytes);
    // hadd twice leaves per 128-bit lane [row0, row1, row2, row3] partial sums; add the two lanes.
    const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(a0, a1), _mm256_hadd_epi32(a2, a3));
    const __m128i sums = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + r), sums);
  }
  for (; r < count; ++r) {
    const __m256i a = RowDot(rows + r * bytes, query_codes, bytes);
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    out[r] = _mm_cvtsi128_si32(s);
  }
}

}  // namespace catena::retrieval
