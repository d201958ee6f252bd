// The AVX2 + FMA + F16C row kernels (this file is compiled with -mavx2 -mfma -mf16c; kernels.cc calls into it
// only after checking the running CPU). The shared kernels use register tiles of 4 weight rows x 2 activation rows
// (16 ymm registers); Q8_0 and Q4_0 at batch >= 2 take the regrouped path below instead.
#define CATENA_SIMD_WIDTH 256

#include <vector>

namespace catena::inference::kernels_internal {
namespace {
constexpr int kTileRows = 4;
constexpr int kTileBatch = 2;
}  // namespace
}  // namespace catena::inference::kernels_internal

#include "inference/kernels_simd.inc"

namespace catena::inference::kernels_internal {
namespace {

// Q8_0 and Q4_0 at batch >= 2 (batched decode, prefill). Four blocks make a group, regrouped so that byte 8m + e of
// vector k holds element 8k + e of block m: every 32-bit dot lane then belongs to one block, so the integer dots of
// the group's four vectors add up before one conversion, and one scale multiply and one FMA serve four blocks
// (lanes 2m and 2m + 1 take block m's scale). QuantizeRegrouped writes the activations so once per product; each
// weight row is regrouped once per chunk of activation rows into a per-thread scratch (Q4_0 decoded there too)
// and then meets every activation row of the chunk. The last group of a row is zero-padded on both sides.
struct alignas(32) ActivationGroup {
  int8_t q[128];
  float d[8];       // [d0 d0 d1 d1 d2 d2 d3 d3]
  int32_t sum8[8];  // 8 x the sum of q over each dot lane's 16 elements (Q4_0's -8 offset)
};
struct alignas(32) WeightGroup {
  int8_t w[128];    // Q8_0: the signed weights; Q4_0: the unsigned nibbles
  int8_t abs[128];  // Q8_0: |w|
  float d[8];
};
static_assert(sizeof(ActivationGroup) == 192 && sizeof(WeightGroup) == 288);
// Tiles after regrouping: Q8_0 2 weight rows x 4 activation rows (the integer dots of the group are kept per
// pair), Q4_0 1 x 4 (its 16-bit sums need fewer registers per pair but all four weight vectors at once).
constexpr int kQ8GroupRows = 2;
constexpr int kGroupBatch = 4;

inline int64_t Groups(int64_t blocks) { return (blocks + 3) / 4; }

// Blocks b[0..3] (32 elements each, in order) into the group order.
inline void Regroup(const __m256i (&b)[4], __m256i (&v)[4]) {
  const __m256i x0 = _mm256_unpacklo_epi64(b[0], b[1]), x1 = _mm256_unpackhi_epi64(b[0], b[1]);
  const __m256i x2 = _mm256_unpacklo_epi64(b[2], b[3]), x3 = _mm256_unpackhi_epi64(b[2], b[3]);
  v[0] = _mm256_permute2x128_si256(x0, x2, 0x20);
  v[1] = _mm256_permute2x128_si256(x1, x3, 0x20);
  v[2] = _mm256_permute2x128_si256(x0, x2, 0x31);
  v[3] = _mm256_permute2x128_si256(x1, x3, 0x31);
}

// [s0 s0 s1 s1 s2 s2 s3 s3] from the four floats of s.
inline __m256 PairScales(__m128 s) {
  return _mm256_permutevar8x32_ps(_mm256_castps128_ps256(s), _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3));
}

inline void Store32(void* p, __m256i v) { _mm256_store_si256(reinterpret_cast<__m256i*>(p), v); }
inline __m256i LoadA(const void* p) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(p)); }

void QuantizeRegrouped(const float* x, int64_t cols, int64_t b_begin, int64_t b_end, const QuantizedActivations& qx) {
  QuantizeActivations(x, cols, b_begin, b_end, qx);
  if (qx.regrouped == nullptr) return;
  const __m256i ones8 = _mm256_set1_epi8(1);
  const __m256i eights = _mm256_set1_epi16(8);
  for (int64_t b = b_begin; b < b_end; ++b) {
    auto* out = reinterpret_cast<ActivationGroup*>(qx.regrouped + b * qx.regrouped_stride);
    for (int64_t g = 0; g < Groups(qx.blocks); ++g) {
      __m256i blocks[4], v[4];
      alignas(16) float d[4];
      CATENA_UNROLL for (int m = 0; m < 4; ++m) {
        const int64_t c = 4 * g + m;
        blocks[m] = c < qx.blocks ? Load32(qx.Q(b) + 32 * c) : _mm256_setzero_si256();
        d[m] = c < qx.blocks ? qx.Scale(b)[c] : 0.0f;
      }
      Regroup(blocks, v);
      __m256i pair_sums = _mm256_setzero_si256();
      CATENA_UNROLL for (int k = 0; k < 4; ++k) {
        Store32(out[g].q + 32 * k, v[k]);
        pair_sums = _mm256_add_epi16(pair_sums, _mm256_maddubs_epi16(ones8, v[k]));
      }
      Store32(out[g].sum8, _mm256_madd_epi16(pair_sums, eights));
      _mm256_store_ps(out[g].d, PairScales(_mm_load_ps(d)));
    }
  }
}

// Group g of a weight row in registers: the regrouped weights (Q8_0 signed, Q4_0 nibbles) and their scales.
template <bool kQ4>
inline void LoadWeightGroup(const std::byte* row, int64_t blocks, int64_t g, __m256i (&v)[4], __m256& d) {
  const int64_t block_bytes = kQ4 ? sizeof(BlockQ4_0) : sizeof(BlockQ8_0);
  __m256i b[4];
  uint64_t halves = 0;
  CATENA_UNROLL for (int m = 0; m < 4; ++m) {
    const int64_t c = 4 * g + m;
    if (c < blocks) {
      _mm_prefetch(reinterpret_cast<const char*>(row + c * block_bytes) + kPrefetchBytes, _MM_HINT_T0);
      uint16_t h;
      std::memcpy(&h, row + c * block_bytes, 2);
      halves |= uint64_t{h} << (16 * m);
      b[m] = kQ4 ? NibblesQ4_0(row, c) : Load32(row + c * block_bytes + 2);
    } else {
      b[m] = _mm256_setzero_si256();
    }
  }
  Regroup(b, v);
  d = PairScales(_mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<int64_t>(halves))));
}

// The group's 8 integer dot lanes. Q8_0: wk = |w|, ws = w; Q4_0: wk = the nibbles (ws unused).
template <bool kQ4>
inline __m256i GroupDot(const __m256i (&wk)[4], const __m256i (&ws)[4], const ActivationGroup& xg) {
  const __m256i ones = _mm256_set1_epi16(1);
  if constexpr (kQ4) {
    // Nibble x q pairs stay below 2 * 15 * 127, so four of them add up in 16 bits.
    __m256i pairs = _mm256_maddubs_epi16(wk[0], LoadA(xg.q));
    CATENA_UNROLL for (int k = 1; k < 4; ++k)
      pairs = _mm256_add_epi16(pairs, _mm256_maddubs_epi16(wk[k], LoadA(xg.q + 32 * k)));
    return _mm256_sub_epi32(_mm256_madd_epi16(pairs, ones), LoadA(xg.sum8));
  } else {
    __m256i dot = _mm256_madd_epi16(_mm256_maddubs_epi16(wk[0], _mm256_sign_epi8(LoadA(xg.q), ws[0])), ones);
    CATENA_UNROLL for (int k = 1; k < 4; ++k) {
      const __m256i signed_q = _mm256_sign_epi8(LoadA(xg.q + 32 * k), ws[k]);
      dot = _mm256_add_epi32(dot, _mm256_madd_epi16(_mm256_maddubs_epi16(wk[k], signed_q), ones));
    }
    return dot;
  }
}

inline __m256 GroupFma(__m256i dot, __m256 dw, const ActivationGroup& xg, __m256 acc) {
  return _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_mul_ps(dw, _mm256_load_ps(xg.d)), acc);
}

// Regroups one weight row into `out` (Groups(blocks) entries).
template <bool kQ4>
void RegroupRow(const std::byte* row, int64_t blocks, WeightGroup* out) {
  for (int64_t g = 0; g < Groups(blocks); ++g) {
    __m256i v[4];
    __m256 d;
    LoadWeightGroup<kQ4>(row, blocks, g, v, d);
    CATENA_UNROLL for (int k = 0; k < 4; ++k) {
      Store32(out[g].w + 32 * k, v[k]);
      if (!kQ4) Store32(out[g].abs + 32 * k, _mm256_abs_epi8(v[k]));
    }
    _mm256_store_ps(out[g].d, d);
  }
}

// Q4_0: one regrouped weight row against B activation rows, y[b * y_stride] for b < B.
template <int B>
void Q4GroupTile(const WeightGroup* w, int64_t groups, const ActivationGroup* const* x, float* y, int64_t y_stride) {
  __m256 acc[B];
  CATENA_UNROLL for (int b = 0; b < B; ++b) acc[b] = _mm256_setzero_ps();
  for (int64_t g = 0; g < groups; ++g) {
    __m256i nibbles[4];
    CATENA_UNROLL for (int k = 0; k < 4; ++k) nibbles[k] = LoadA(w[g].w + 32 * k);
    const __m256 dw = _mm256_load_ps(w[g].d);
    CATENA_UNROLL for (int b = 0; b < B; ++b)
      acc[b] = GroupFma(GroupDot<true>(nibbles, nibbles, x[b][g]), dw, x[b][g], acc[b]);
  }
  CATENA_UNROLL for (int b = 0; b < B; ++b) y[b * y_stride] = Sum8(acc[b]);
}

// Q8_0, R regrouped weight rows x B activation rows, vector k of the group at a time (the k loop outside keeps
// the tile's integer dots, weights and one activation vector within 16 registers). Per (row, activation row) the
// arithmetic is GroupDot's integer lanes, then GroupFma.
template <int R, int B>
void Q8GroupTile(const WeightGroup* w, int64_t groups, const ActivationGroup* const* x, float* y, int64_t y_stride) {
  __m256 acc[R][B];
  CATENA_UNROLL for (int r = 0; r < R; ++r)
    CATENA_UNROLL for (int b = 0; b < B; ++b) acc[r][b] = _mm256_setzero_ps();
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t g = 0; g < groups; ++g) {
    __m256i dot[R][B];
    CATENA_UNROLL for (int k = 0; k < 4; ++k) {
      __m256i a[R], s[R];
      CATENA_UNROLL for (int r = 0; r < R; ++r) {
        a[r] = LoadA(w[r * groups + g].abs + 32 * k);
        s[r] = LoadA(w[r * groups + g].w + 32 * k);
      }
      CATENA_UNROLL for (int b = 0; b < B; ++b) {
        const __m256i q = LoadA(x[b][g].q + 32 * k);
        CATENA_UNROLL for (int r = 0; r < R; ++r) {
          const __m256i part = _mm256_madd_epi16(_mm256_maddubs_epi16(a[r], _mm256_sign_epi8(q, s[r])), ones);
          dot[r][b] = k == 0 ? part : _mm256_add_epi32(dot[r][b], part);
        }
      }
    }
    CATENA_UNROLL for (int r = 0; r < R; ++r) {
      const __m256 dw = _mm256_load_ps(w[r * groups + g].d);
      CATENA_UNROLL for (int b = 0; b < B; ++b) acc[r][b] = GroupFma(dot[r][b], dw, x[b][g], acc[r][b]);
    }
  }
  CATENA_UNROLL for (int r = 0; r < R; ++r)
    CATENA_UNROLL for (int b = 0; b < B; ++b) y[b * y_stride + r] = Sum8(acc[r][b]);
}

// Batch 1 (memory-bound): R weight rows regrouped in registers, the tiles' arithmetic per row (so a sequence gets
// the same bits alone as in a batch).
template <bool kQ4, int R>
void RowTile(const RowTask& t, int64_t r0) {
  const QuantizedActivations& qx = *t.qx;
  const auto* x = reinterpret_cast<const ActivationGroup*>(qx.regrouped);
  __m256 acc[R];
  CATENA_UNROLL for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
  for (int64_t g = 0; g < Groups(qx.blocks); ++g) {
    CATENA_UNROLL for (int r = 0; r < R; ++r) {
      __m256i ws[4], wk[4];
      __m256 dw;
      LoadWeightGroup<kQ4>(t.w->data + (r0 + r) * t.w->row_bytes, qx.blocks, g, ws, dw);
      CATENA_UNROLL for (int k = 0; k < 4; ++k) wk[k] = kQ4 ? ws[k] : _mm256_abs_epi8(ws[k]);
      acc[r] = GroupFma(GroupDot<kQ4>(wk, ws, x[g]), dw, x[g], acc[r]);
    }
  }
  CATENA_UNROLL for (int r = 0; r < R; ++r) t.y[r0 + r] = Sum8(acc[r]);
}

template <bool kQ4>
void RegroupedRows(const RowTask& t) {
  const QuantizedActivations& qx = *t.qx;
  if (qx.regrouped == nullptr) return Q8Rows<kQ4>(t);
  if (t.batch == 1) {
    int64_t r = t.row_begin;
    for (; r + kTileRows <= t.row_end; r += kTileRows) RowTile<kQ4, kTileRows>(t, r);
    for (; r < t.row_end; ++r) RowTile<kQ4, 1>(t, r);
    return;
  }
  const int64_t groups = Groups(qx.blocks);
  constexpr int kRows = kQ4 ? 1 : kQ8GroupRows;
  thread_local std::vector<WeightGroup> scratch;
  if (scratch.size() < static_cast<size_t>(kRows * groups)) scratch.resize(static_cast<size_t>(kRows * groups));
  // Activation rows in chunks that stay in L2 while the task's weight rows pass.
  const int64_t chunk = std::max<int64_t>(kGroupBatch, (int64_t{192} << 10) / qx.regrouped_stride);
  for (int64_t bc = 0; bc < t.batch; bc += chunk) {
    const int64_t be = std::min(t.batch, bc + chunk);
    for (int64_t r = t.row_begin; r < t.row_end;) {
      const int rows = t.row_end - r >= kRows ? kRows : 1;
      for (int i = 0; i < rows; ++i)
        RegroupRow<kQ4>(t.w->data + (r + i) * t.w->row_bytes, qx.blocks, scratch.data() + i * groups);
      for (int64_t b = bc; b < be;) {
        const int n = be - b >= kGroupBatch ? kGroupBatch : 1;
        const ActivationGroup* x[kGroupBatch];
        for (int i = 0; i < n; ++i)
          x[i] = reinterpret_cast<const ActivationGroup*>(qx.regrouped + (b + i) * qx.regrouped_stride);
        float* y = t.y + b * t.w->rows + r;
        if constexpr (kQ4) {
          n == kGroupBatch ? Q4GroupTile<kGroupBatch>(scratch.data(), groups, x, y, t.w->rows)
                           : Q4GroupTile<1>(scratch.data(), groups, x, y, t.w->rows);
        } else if (rows == kRows) {
          n == kGroupBatch ? Q8GroupTile<kRows, kGroupBatch>(scratch.data(), groups, x, y, t.w->rows)
                           : Q8GroupTile<kRows, 1>(scratch.data(), groups, x, y, t.w->rows);
        } else {
          n == kGroupBatch ? Q8GroupTile<1, kGroupBatch>(scratch.data(), groups, x, y, t.w->rows)
                           : Q8GroupTile<1, 1>(scratch.data(), groups, x, y, t.w->rows);
        }
        b += n;
      }
      r += rows;
    }
  }
}

}  // namespace

const KernelTable* Avx2Kernels() {
  static const KernelTable table = [] {
    KernelTable k = MakeTable("avx2");
    k.q8_0 = RegroupedRows<false>;
    k.q4_0 = RegroupedRows<true>;
    k.quantize = QuantizeRegrouped;
    k.regrouped_group_bytes = sizeof(ActivationGroup);
    return k;
  }();
  return &table;
}

}  // namespace catena::inference::kernels_internal
