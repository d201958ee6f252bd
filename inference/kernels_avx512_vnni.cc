// The AVX-512 VNNI table: the AVX-512 kernels, except that Q8_0 and Q4_0 take two 32-blocks per 512-bit step
// with vpdpbusd (u8 x s8 dot of 4 bytes into s32). For Q8_0 the activations are offset to unsigned (q + 128)
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
  if (c < qx.blocks) {  // an odd last block: the 256-bit kernel's arithmetic, one block
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
  CATENA_UNROLL for (int r = 0; r < R; ++r)
    CATENA_UNROLL for (int b = 0; b < B; ++b) t.y[(b0 + b) * t.w->rows + r0 + r] = _mm512_reduce_add_ps(acc[r][b]) + tail[r][b];
}

template <bool kQ4>
void VnniRows(const RowTask& t) {
  DriveTiles<VnniTile<kQ4, kTileRows, kTileBatch>, VnniTile<kQ4, kTileRows, 1>, VnniTile<kQ4, 1, kTileBatch>,
             VnniTile<kQ4, 1, 1>>(t, t.w->cols + t.w->cols / 8);
}

}  // namespace

const KernelTable* Avx512VnniKernels() {
  static const KernelTable table = [] {
    KernelTable k = MakeTable("avx512vnni");
    k.q8_0 = VnniRows<false>;
    k.q4_0 = VnniRows<true>;
    return k;
  }();
  return &table;
}

}  // namespace catena::inference::kernels_internal
