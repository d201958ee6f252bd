// The AVX-512 VNNI table: the AVX-512 kernels, except that the quantized types take 64 elements per 512-bit
// step with vpdpbusd (u8 x s8 dot of 4 bytes into s32). For Q8_0 the activations are offset to unsigned (q + 128)
// and the accumulator starts at -128 * (sum of the weights), so each dot is exact. Q4_0 multiplies its
// unsigned nibbles with the signed activations and takes the -8 from the activations' block sums.
// Compiled with -mavx512vnni on top of the AVX-512 flags; chosen only when the CPU has VNNI.
#define CATENA_SIMD_WIDTH 512

namespace catena::inference::kernels_internal {
namespace {
constexpr int kTileRows = 4;
constexpr int kTileBatch = 4;
}  // namespace
}  // namespace catena::inference::kernels_internal

#include "inference/kernels_simd.inc"

namespace catena::inference::kernels_internal {
namespace {

// Weights of blocks c and c + 1 in element order, 64 bytes: Q8_0 signed, Q4_0 the unsigned nibbles.
template <bool kQ4>
__m512i WeightPair(const std::byte* row, int64_t c) {
  if constexpr (kQ4) {
    const BlockQ4_0* blk = reinterpret_cast<const BlockQ4_0*>(row) + c;
    const __m256i packed = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[0].qs))),
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[1].qs)), 1);
    const __m256i mask = _mm256_set1_epi8(0x0F);
    const __m256i lo = _mm256_and_si256(packed, mask);                         // [c 0..15 | c+1 0..15]
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(packed, 4), mask);  // [c 16..31 | c+1 16..31]
    const __m512i mixed = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
    return _mm512_shuffle_i64x2(mixed, mixed, _MM_SHUFFLE(3, 1, 2, 0));
  } else {
    const BlockQ8_0* blk = reinterpret_cast<const BlockQ8_0*>(row) + c;
    return _mm512_inserti64x4(_mm512_castsi256_si512(Load32(blk[0].qs)), Load32(blk[1].qs), 1);
  }
}

template <bool kQ4>
float BlockScale(const std::byte* row, int64_t c) {
  uint16_t d;
  std::memcpy(&d, row + c * (kQ4 ? sizeof(BlockQ4_0) : sizeof(BlockQ8_0)), 2);
  return Half(d);
}

// [a x 8, b x 8]
inline __m512 PairVector(float a, float b) {
  return _mm512_insertf32x8(_mm512_set1_ps(a), _mm256_set1_ps(b), 1);
}

// Lanes 4k..4k+3 take element k of the first four floats at p.
inline __m512 QuadVector(__m128 v) {
  const __m512i quad = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
  return _mm512_permutexvar_ps(quad, _mm512_castps128_ps512(v));
}

// Q4_0, four blocks per step: the low nibbles of blocks c..c+3 in one register, the high in another; the
// activations are regrouped to match ([c 0..15, c+1 0..15, ...] and [c 16..31, ...]), so each block owns
// 4 dot lanes. Returns the block index where the step loop stopped.
template <int R, int B>
int64_t Q4Quads(const RowTask& t, const std::byte* const* rows, int64_t b0, __m512 (&acc)[R][B]) {
  const QuantizedActivations& qx = *t.qx;
  const __m512i mask = _mm512_set1_epi8(0x0F);
  int64_t c = 0;
  for (; c + 4 <= qx.blocks; c += 4) {
    __m512i lo[R], hi[R];
    __m512 dw[R];
    CATENA_UNROLL for (int r = 0; r < R; ++r) {
      const BlockQ4_0* blk = reinterpret_cast<const BlockQ4_0*>(rows[r]) + c;
      _mm_prefetch(reinterpret_cast<const char*>(blk) + kPrefetchBytes, _MM_HINT_T0);
      __m512i packed = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[0].qs)));
      packed = _mm512_inserti32x4(packed, _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[1].qs)), 1);
      packed = _mm512_inserti32x4(packed, _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[2].qs)), 2);
      packed = _mm512_inserti32x4(packed, _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[3].qs)), 3);
      lo[r] = _mm512_and_si512(packed, mask);
      hi[r] = _mm512_and_si512(_mm512_srli_epi16(packed, 4), mask);
      __m128i halves = _mm_cvtsi32_si128(blk[0].d);
      halves = _mm_insert_epi16(halves, blk[1].d, 1);
      halves = _mm_insert_epi16(halves, blk[2].d, 2);
      halves = _mm_insert_epi16(halves, blk[3].d, 3);
      dw[r] = QuadVector(_mm_cvtph_ps(halves));
    }
    CATENA_UNROLL for (int b = 0; b < B; ++b) {
      const int8_t* q = qx.Q(b0 + b) + 32 * c;
      const __m512i first = _mm512_loadu_si512(q), second = _mm512_loadu_si512(q + 64);
      const __m512i qlo = _mm512_shuffle_i64x2(first, second, _MM_SHUFFLE(2, 0, 2, 0));
      const __m512i qhi = _mm512_shuffle_i64x2(first, second, _MM_SHUFFLE(3, 1, 3, 1));
      const __m512 dxv = QuadVector(_mm_loadu_ps(qx.Scale(b0 + b) + c));
      // Each block's 4 lanes take 1/4 of its -8 * d * sum(q) = -8 * sum32.
      const __m512 sumv = _mm512_mul_ps(_mm512_set1_ps(2.0f), QuadVector(_mm_loadu_ps(qx.Sum32(b0 + b) + c)));
      CATENA_UNROLL for (int r = 0; r < R; ++r) {
        const __m512i dot = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), lo[r], qlo), hi[r], qhi);
        acc[r][b] = _mm512_fmadd_ps(dw[r], _mm512_fmsub_ps(_mm512_cvtepi32_ps(dot), dxv, sumv), acc[r][b]);
      }
    }
  }
  return c;
}

// Q8_0, four blocks per step: weights and activations regrouped into first halves ([c 0..15, c+1 0..15, ...])
// and second halves, so each block owns 4 dot lanes and one scale multiply serves four blocks.
template <int R, int B>
int64_t Q8Quads(const RowTask& t, const std::byte* const* rows, int64_t b0, __m512 (&acc)[R][B]) {
  const QuantizedActivations& qx = *t.qx;
  const __m512i ones = _mm512_set1_epi8(1);
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  int64_t c = 0;
  for (; c + 4 <= qx.blocks; c += 4) {
    __m512i lo[R], hi[R], base[R];
    __m512 dw[R];
    CATENA_UNROLL for (int r = 0; r < R; ++r) {
      const BlockQ8_0* blk = reinterpret_cast<const BlockQ8_0*>(rows[r]) + c;
      _mm_prefetch(reinterpret_cast<const char*>(blk) + kPrefetchBytes, _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(blk) + kPrefetchBytes + 64, _MM_HINT_T0);
      const __m512i w01 = _mm512_inserti64x4(_mm512_castsi256_si512(Load32(blk[0].qs)), Load32(blk[1].qs), 1);
      const __m512i w23 = _mm512_inserti64x4(_mm512_castsi256_si512(Load32(blk[2].qs)), Load32(blk[3].qs), 1);
      lo[r] = _mm512_shuffle_i64x2(w01, w23, _MM_SHUFFLE(2, 0, 2, 0));
      hi[r] = _mm512_shuffle_i64x2(w01, w23, _MM_SHUFFLE(3, 1, 3, 1));
      const __m512i sums = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, lo[r]), ones, hi[r]);
      base[r] = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(sums, 7));
      __m128i halves = _mm_cvtsi32_si128(blk[0].d);
      halves = _mm_insert_epi16(halves, blk[1].d, 1);
      halves = _mm_insert_epi16(halves, blk[2].d, 2);
      halves = _mm_insert_epi16(halves, blk[3].d, 3);
      dw[r] = QuadVector(_mm_cvtph_ps(halves));
    }
    CATENA_UNROLL for (int b = 0; b < B; ++b) {
      const int8_t* q = qx.Q(b0 + b) + 32 * c;
      const __m512i first = _mm512_xor_si512(_mm512_loadu_si512(q), flip);
      const __m512i second = _mm512_xor_si512(_mm512_loadu_si512(q + 64), flip);
      const __m512i qlo = _mm512_shuffle_i64x2(first, second, _MM_SHUFFLE(2, 0, 2, 0));
      const __m512i qhi = _mm512_shuffle_i64x2(first, second, _MM_SHUFFLE(3, 1, 3, 1));
      const __m512 dxv = QuadVector(_mm_loadu_ps(qx.Scale(b0 + b) + c));
      CATENA_UNROLL for (int r = 0; r < R; ++r) {
        const __m512i dot = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(base[r], qlo, lo[r]), qhi, hi[r]);
        acc[r][b] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(dw[r], dxv), acc[r][b]);
      }
    }
  }
  return c;
}

// Stores the horizontal sums of a tile's accumulators (plus `tail`) at y[(b0 + b) * rows + r0 + r]. A 4 x 4
// tile is reduced as one transposed tree (about 45 shuffles and adds instead of 16 separate reductions) that
// pairs the lanes exactly as _mm512_reduce_add_ps does ((i, i+8), then (j, j+4), (0, 2), (1, 3), (0, 1)), so
// the sums are bit-identical.
template <int R, int B>
void StoreTileSums(__m512 (&acc)[R][B], const float (&tail)[R][B], bool has_tail, float* y, int64_t rows,
                   int64_t r0, int64_t b0) {
  if constexpr (R == 4 && B == 4) {
    __m512 s1[8], s2[4], s3[2];
    CATENA_UNROLL for (int k = 0; k < 8; ++k) {  // vectors 2k, 2k+1 (index r * 4 + b): 8 sums each
      const __m512 a = acc[(2 * k) / 4][(2 * k) % 4], b = acc[(2 * k + 1) / 4][(2 * k + 1) % 4];
      s1[k] = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(1, 0, 1, 0)),
                            _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
    }
    CATENA_UNROLL for (int m = 0; m < 4; ++m) {  // 128-bit lane l: vector 4m + l, 4 sums
      s2[m] = _mm512_add_ps(_mm512_shuffle_f32x4(s1[2 * m], s1[2 * m + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                            _mm512_shuffle_f32x4(s1[2 * m], s1[2 * m + 1], _MM_SHUFFLE(3, 1, 3, 1)));
    }
    CATENA_UNROLL for (int n = 0; n < 2; ++n) {  // lane l: [vector 8n + l: 2 sums, vector 8n + 4 + l: 2 sums]
      s3[n] = _mm512_add_ps(_mm512_shuffle_ps(s2[2 * n], s2[2 * n + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                            _mm512_shuffle_ps(s2[2 * n], s2[2 * n + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    }
    // Lane 4l + j: vector 4j + l, i.e. row j of activation row l: each 128-bit lane is one output run.
    __m512 sums = _mm512_add_ps(_mm512_shuffle_ps(s3[0], s3[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                _mm512_shuffle_ps(s3[0], s3[1], _MM_SHUFFLE(3, 1, 3, 1)));
    if (has_tail) {
      sums = _mm512_add_ps(sums, _mm512_setr_ps(tail[0][0], tail[1][0], tail[2][0], tail[3][0], tail[0][1],
                                                tail[1][1], tail[2][1], tail[3][1], tail[0][2], tail[1][2],
                                                tail[2][2], tail[3][2], tail[0][3], tail[1][3], tail[2][3],
                                                tail[3][3]));
    }
    _mm_storeu_ps(y + b0 * rows + r0, _mm512_castps512_ps128(sums));
    _mm_storeu_ps(y + (b0 + 1) * rows + r0, _mm512_extractf32x4_ps(sums, 1));
    _mm_storeu_ps(y + (b0 + 2) * rows + r0, _mm512_extractf32x4_ps(sums, 2));
    _mm_storeu_ps(y + (b0 + 3) * rows + r0, _mm512_extractf32x4_ps(sums, 3));
  } else {
    CATENA_UNROLL for (int r = 0; r < R; ++r)
      CATENA_UNROLL for (int b = 0; b < B; ++b) y[(b0 + b) * rows + r0 + r] = _mm512_reduce_add_ps(acc[r][b]) + tail[r][b];
  }
}

template <bool kQ4, int R, int B>
void VnniTile(const RowTask& t, int64_t r0, int64_t b0) {
  const QuantizedActivations& qx = *t.qx;
  const std::byte* rows[R];
  CATENA_UNROLL for (int r = 0; r < R; ++r) rows[r] = t.w->data + (r0 + r) * t.w->row_bytes;
  __m512 acc[R][B];
  CATENA_UNROLL for (int r = 0; r < R; ++r)
    CATENA_UNROLL for (int b = 0; b < B; ++b) acc[r][b] = _mm512_setzero_ps();
  const __m512i ones = _mm512_set1_epi8(1);
  const __m512i zero = _mm512_setzero_si512();
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  const int64_t block_bytes = kQ4 ? sizeof(BlockQ4_0) : sizeof(BlockQ8_0);
  int64_t c = 0;
  c = kQ4 ? Q4Quads<R, B>(t, rows, b0, acc) : Q8Quads<R, B>(t, rows, b0, acc);
  for (; c + 2 <= qx.blocks; c += 2) {
    __m512i w[R], base[R];
    __m512 dw[R];
    CATENA_UNROLL for (int r = 0; r < R; ++r) {
      _mm_prefetch(reinterpret_cast<const char*>(rows[r] + c * block_bytes) + kPrefetchBytes, _MM_HINT_T0);
      w[r] = WeightPair<kQ4>(rows[r], c);
      // Q8_0: -128 * sum of each 4-byte group of weights, the offset the unsigned activations add.
      if (!kQ4) base[r] = _mm512_sub_epi32(zero, _mm512_slli_epi32(_mm512_dpbusd_epi32(zero, ones, w[r]), 7));
      dw[r] = PairVector(BlockScale<kQ4>(rows[r], c), BlockScale<kQ4>(rows[r], c + 1));
    }
    CATENA_UNROLL for (int b = 0; b < B; ++b) {
      const __m512i q = _mm512_loadu_si512(qx.Q(b0 + b) + 32 * c);
      const float* dx = qx.Scale(b0 + b) + c;
      const __m512 dxv = PairVector(dx[0], dx[1]);
      if constexpr (kQ4) {
        // nibbles (u8) x q (s8); each of a block's 8 lanes takes 1/8 of its -8 * d * sum(q) = -8 * sum32.
        const float* sums = qx.Sum32(b0 + b) + c;
        const __m512 sumv = PairVector(sums[0], sums[1]);
        CATENA_UNROLL for (int r = 0; r < R; ++r) {
          const __m512 dot = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(zero, w[r], q));
          acc[r][b] = _mm512_fmadd_ps(dw[r], _mm512_fmsub_ps(dot, dxv, sumv), acc[r][b]);
        }
      } else {
        const __m512i xu = _mm512_xor_si512(q, flip);
        CATENA_UNROLL for (int r = 0; r < R; ++r) {
          const __m512 dot = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(base[r], xu, w[r]));
          acc[r][b] = _mm512_fmadd_ps(dot, _mm512_mul_ps(dw[r], dxv), acc[r][b]);
        }
      }
    }
  }
  float tail[R][B] = {};
  const bool has_tail = c < qx.blocks;
  if (has_tail) {  // an odd last block: the 256-bit kernel's arithmetic, one block
    CATENA_UNROLL for (int r = 0; r < R; ++r) {
      uint16_t d;
      std::memcpy(&d, rows[r] + c * block_bytes, 2);
      const __m256i ws = kQ4 ? DecodeQ4_0(rows[r], c) : Load32(rows[r] + c * block_bytes + 2);
      const __m256i wa = _mm256_abs_epi8(ws);
      CATENA_UNROLL for (int b = 0; b < B; ++b) {
        const __m256i q = Load32(qx.Q(b0 + b) + 32 * c);
        const __m256 dot = IntDot(wa, _mm256_sign_epi8(q, ws), _mm256_set1_epi16(1));
        tail[r][b] = Sum8(dot) * Half(d) * qx.Scale(b0 + b)[c];
      }
    }
  }
  StoreTileSums<R, B>(acc, tail, has_tail, t.y, t.w->rows, r0, b0);
}

template <bool kQ4>
void VnniRows(const RowTask& t) {
  DriveTiles<VnniTile<kQ4, kTileRows, kTileBatch>, VnniTile<kQ4, kTileRows, 1>, VnniTile<kQ4, 1, kTileBatch>,
             VnniTile<kQ4, 1, 1>>(t, t.w->cols + t.w->cols / 8);
}

// Q4_K's 8 six-bit scales (bytes 0..7 of the result) and mins (bytes 8..15) from its 12 packed bytes:
// scale j < 4 is the low 6 bits of byte j, min j < 4 of byte j + 4; for j >= 4 the low (scale) or high (min)
// nibble of byte j + 4 supplies the low 4 bits and the top 2 bits of byte j - 4 (scale) or j (min) the rest.
inline __m128i Q4KScalesMins(const uint8_t* packed) {
  uint32_t a, b, c;
  std::memcpy(&a, packed, 4);
  std::memcpy(&b, packed + 4, 4);
  std::memcpy(&c, packed + 8, 4);
  const uint32_t scales_lo = a & 0x3F3F3F3Fu, mins_lo = b & 0x3F3F3F3Fu;
  const uint32_t scales_hi = (c & 0x0F0F0F0Fu) | (((a >> 6) & 0x03030303u) << 4);
  const uint32_t mins_hi = ((c >> 4) & 0x0F0F0F0Fu) | (((b >> 6) & 0x03030303u) << 4);
  return _mm_setr_epi32(static_cast<int>(scales_lo), static_cast<int>(scales_hi), static_cast<int>(mins_lo),
                        static_cast<int>(mins_hi));
}

// Lanes 0..7 take element `first` of v, lanes 8..15 element `first + 1`.
inline __m512 SpreadPair(__m512 v, int first) {
  const __m512i idx = _mm512_inserti64x4(_mm512_set1_epi32(first), _mm256_set1_epi32(first + 1), 1);
  return _mm512_permutexvar_ps(idx, v);
}

// Q4_K, 64 elements (two sub-blocks) per step: nibbles (u8) x q (s8), mins through the per-32 sums.
template <int R, int B>
void VnniQ4KTile(const RowTask& t, int64_t r0, int64_t b0) {
  const QuantizedActivations& qx = *t.qx;
  const BlockQ4_K* rows[R];
  CATENA_UNROLL for (int r = 0; r < R; ++r) rows[r] = reinterpret_cast<const BlockQ4_K*>(t.w->data + (r0 + r) * t.w->row_bytes);
  __m512 acc[R][B];
  CATENA_UNROLL for (int r = 0; r < R; ++r)
    CATENA_UNROLL for (int b = 0; b < B; ++b) acc[r][b] = _mm512_setzero_ps();
  const __m256i mask = _mm256_set1_epi8(0x0F);
  for (int64_t s = 0; s < qx.blocks / 8; ++s) {
    __m512 scale[R];
    CATENA_UNROLL for (int r = 0; r < R; ++r) {
      const BlockQ4_K* blk = rows[r] + s;
      _mm_prefetch(reinterpret_cast<const char*>(blk) + kPrefetchBytes, _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(blk) + kPrefetchBytes + 64, _MM_HINT_T0);
      const __m128i sm = Q4KScalesMins(blk->scales);
      scale[r] = _mm512_castps256_ps512(_mm256_mul_ps(_mm256_set1_ps(Half(blk->d)), _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(sm))));
      const __m256 mins = _mm256_mul_ps(_mm256_set1_ps(-Half(blk->dmin)),
                                        _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(sm, 8))));
      CATENA_UNROLL for (int b = 0; b < B; ++b) {
        const __m256 sums = _mm256_loadu_ps(qx.Sum32(b0 + b) + 8 * s);
        acc[r][b] = _mm512_add_ps(acc[r][b], _mm512_zextps256_ps512(_mm256_mul_ps(mins, sums)));
      }
    }
    CATENA_UNROLL for (int p = 0; p < 4; ++p) {
      __m512i w[R];
      __m512 sc[R];
      CATENA_UNROLL for (int r = 0; r < R; ++r) {
        const __m256i packed = Load32(rows[r][s].qs + 32 * p);
        w[r] = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_and_si256(packed, mask)),
                                  _mm256_and_si256(_mm256_srli_epi16(packed, 4), mask), 1);
        sc[r] = SpreadPair(scale[r], 2 * p);
      }
      CATENA_UNROLL for (int b = 0; b < B; ++b) {
        const __m512i q = _mm512_loadu_si512(qx.Q(b0 + b) + 256 * s + 64 * p);
        const float* dx = qx.Scale(b0 + b) + 8 * s + 2 * p;
        const __m512 dxv = PairVector(dx[0], dx[1]);
        CATENA_UNROLL for (int r = 0; r < R; ++r) {
          const __m512 dot = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(_mm512_setzero_si512(), w[r], q));
          acc[r][b] = _mm512_fmadd_ps(dot, _mm512_mul_ps(sc[r], dxv), acc[r][b]);
        }
      }
    }
  }
  const float no_tail[R][B] = {};
  StoreTileSums<R, B>(acc, no_tail, false, t.y, t.w->rows, r0, b0);
}

// Q6_K, 64 elements (four sub-blocks of 16) per step: codes (u8) x q (s8); each sub-block's scale covers
// 4 dot lanes; the -32 goes through the per-16 sums once per block.
template <int R, int B>
void VnniQ6KTile(const RowTask& t, int64_t r0, int64_t b0) {
  const QuantizedActivations& qx = *t.qx;
  const BlockQ6_K* rows[R];
  CATENA_UNROLL for (int r = 0; r < R; ++r) rows[r] = reinterpret_cast<const BlockQ6_K*>(t.w->data + (r0 + r) * t.w->row_bytes);
  __m512 acc[R][B];
  CATENA_UNROLL for (int r = 0; r < R; ++r)
    CATENA_UNROLL for (int b = 0; b < B; ++b) acc[r][b] = _mm512_setzero_ps();
  const __m512i quad = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
  for (int64_t s = 0; s < qx.blocks / 8; ++s) {
    __m512 scale[R];  // d * scales[k], k = 0..15
    CATENA_UNROLL for (int r = 0; r < R; ++r) {
      const BlockQ6_K* blk = rows[r] + s;
      _mm_prefetch(reinterpret_cast<const char*>(blk) + kPrefetchBytes, _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(blk) + kPrefetchBytes + 64, _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(blk) + kPrefetchBytes + 128, _MM_HINT_T0);
      const __m128i sc8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk->scales));
      scale[r] = _mm512_mul_ps(_mm512_set1_ps(Half(blk->d)), _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(sc8)));
      const __m512 offset = _mm512_mul_ps(_mm512_set1_ps(-32.0f), scale[r]);
      CATENA_UNROLL for (int b = 0; b < B; ++b)
        acc[r][b] = _mm512_fmadd_ps(offset, _mm512_loadu_ps(qx.Sum16(b0 + b) + 16 * s), acc[r][b]);
    }
    CATENA_UNROLL for (int step = 0; step < 4; ++step) {  // chunks 2 step, 2 step + 1
      __m512i codes[R];
      __m512 sc[R];
      CATENA_UNROLL for (int r = 0; r < R; ++r) {
        const BlockQ6_K* blk = rows[r] + s;
        const int h = step / 2, part = (step % 2) * 2;
        codes[r] = _mm512_inserti64x4(_mm512_castsi256_si512(Q6Codes(blk, h, part)), Q6Codes(blk, h, part + 1), 1);
        sc[r] = _mm512_permutexvar_ps(_mm512_add_epi32(quad, _mm512_set1_epi32(4 * step)), scale[r]);
      }
      CATENA_UNROLL for (int b = 0; b < B; ++b) {
        const __m512i q = _mm512_loadu_si512(qx.Q(b0 + b) + 256 * s + 64 * step);
        const float* dx = qx.Scale(b0 + b) + 8 * s + 2 * step;
        const __m512 dxv = PairVector(dx[0], dx[1]);
        CATENA_UNROLL for (int r = 0; r < R; ++r) {
          const __m512 dot = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(_mm512_setzero_si512(), codes[r], q));
          acc[r][b] = _mm512_fmadd_ps(dot, _mm512_mul_ps(sc[r], dxv), acc[r][b]);
        }
      }
    }
  }
  const float no_tail[R][B] = {};
  StoreTileSums<R, B>(acc, no_tail, false, t.y, t.w->rows, r0, b0);
}

void VnniQ4KRows(const RowTask& t) {
  DriveTiles<VnniQ4KTile<kTileRows, kTileBatch>, VnniQ4KTile<kTileRows, 1>, VnniQ4KTile<1, kTileBatch>,
             VnniQ4KTile<1, 1>>(t, t.w->cols + t.w->cols / 4);
}

void VnniQ6KRows(const RowTask& t) {
  DriveTiles<VnniQ6KTile<kTileRows, kTileBatch>, VnniQ6KTile<kTileRows, 1>, VnniQ6KTile<1, kTileBatch>,
             VnniQ6KTile<1, 1>>(t, t.w->cols + t.w->cols / 4);
}

}  // namespace

const KernelTable* Avx512VnniKernels() {
  static const KernelTable table = [] {
    KernelTable k = MakeTable("avx512vnni");
    k.q8_0 = VnniRows<false>;
    k.q4_0 = VnniRows<true>;
    k.q4_k = VnniQ4KRows;
    k.q6_k = VnniQ6KRows;
    return k;
  }();
  return &table;
}

}  // namespace catena::inference::kernels_internal
