// The AVX2 + FMA + F16C row kernels (this file is compiled with -mavx2 -mfma -mf16c; kernels.cc calls into it
// only after checking the running CPU). The shared kernels use register tiles of 4 weight rows x 2 activation rows
// (16 ymm registers); Q8_0 and Q4_0 take the grouped path below instead (Q8Rows only without a regrouped copy).
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

// Q8_0 and Q4_0 read in WeightLayout::kGrouped4 (kernels.h): four blocks make a group, regrouped so that byte
// 8m + e of vector k holds element 8k + e of block m. Every 32-bit dot lane then belongs to one block, so the
// integer dots of the group's four vectors add up before one conversion, and one scale multiply and one FMA serve
// four blocks (lanes 2m and 2m + 1 take block m's scale). Models pack their weights so once, at load
// (PackForKernels); a GGUF-layout matrix is packed here, a slice of rows at a time, into per-thread scratch.
// QuantizeRegrouped writes the activations in the same order once per product. The arithmetic per (weight row,
// activation row) is the same at every batch size, so a sequence gets the same bits alone as in a batch.
struct alignas(32) ActivationGroup {
  int8_t q[128];
  float d[8];       // [d0 d0 d1 d1 d2 d2 d3 d3]
  int32_t sum8[8];  // 8 x the sum of q over each dot lane's 16 elements (Q4_0's -8 offset)
};
static_assert(sizeof(ActivationGroup) == 192);
// Tiles are one weight row x 4 activation rows: larger ones spill registers.
constexpr int kGroupBatch = 4;
// Weight rows per block of MultiplySlice (8 rows of 2048 columns: 17 KB), once the activation rows of a chunk
// take more than kBlockedActivationBytes, twice L1: 64 rows of 768 columns (74 KB) and batch-512 prefill chunks
// block; 16 rows (18 KB, or 49 KB at 2048 columns) go a weight row at a time, where blocks measured no faster.
constexpr int64_t kRowBlock = 8;
constexpr int64_t kBlockedActivationBytes = 64 << 10;
// GGUF rows packed per slice (fits L2 next to the activations).
constexpr int64_t kPackSliceRows = 16;
// The type a kQ4 template parameter stands for.
template <bool kQ4>
constexpr GgmlType kGroupedType = kQ4 ? GgmlType::kQ4_0 : GgmlType::kQ8_0;

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

inline void Store32(void* p, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
inline __m256i LoadA(const void* p) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(p)); }

void QuantizeRegrouped(const float* x, int64_t cols, int64_t b_begin, int64_t b_end, const QuantizedActivations& qx) {
  QuantizeActivations(x, cols, b_begin, b_end, qx);
  if (qx.regrouped == nullptr) return;
  const __m256i ones8 = _mm256_set1_epi8(1);
  const __m256i eights = _mm256_set1_epi16(8);
  for (int64_t b = b_begin; b < b_end; ++b) {
    auto* out = reinterpret_cast<ActivationGroup*>(qx.regrouped + b * qx.regrouped_stride);
    for (int64_t g = 0; g < GroupsOf(qx.blocks); ++g) {
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

// A GGUF row of `blocks` Q8_0/Q4_0 blocks into WeightLayout::kGrouped4 (kernels.h; the tests decode it from there).
void PackRow(GgmlType type, const std::byte* gguf, int64_t blocks, std::byte* out) {
  const bool q4 = type == GgmlType::kQ4_0;
  const int64_t block_bytes = q4 ? sizeof(BlockQ4_0) : sizeof(BlockQ8_0);
  const int64_t groups = GroupsOf(blocks), quant_bytes = GroupedQuantBytes(type);
  std::byte* scales = out + groups * quant_bytes;
  std::memset(scales, 0, static_cast<size_t>(GroupedRowBytes(type, blocks) - groups * quant_bytes));
  for (int64_t g = 0; g < groups; ++g) {
    __m256i b[4], v[4];
    CATENA_UNROLL for (int m = 0; m < 4; ++m) {
      const int64_t c = 4 * g + m;
      if (c < blocks) {
        std::memcpy(scales + 8 * g + 2 * m, gguf + c * block_bytes, 2);
        b[m] = q4 ? NibblesQ4_0(gguf, c) : Load32(gguf + c * block_bytes + 2);
      } else {
        b[m] = _mm256_setzero_si256();
      }
    }
    Regroup(b, v);
    std::byte* quants = out + g * quant_bytes;
    if (q4) {
      // Nibbles stay below 16, so the 16-bit shift moves each into its own byte's high half.
      Store32(quants, _mm256_or_si256(v[0], _mm256_slli_epi16(v[2], 4)));
      Store32(quants + 32, _mm256_or_si256(v[1], _mm256_slli_epi16(v[3], 4)));
    } else {
      CATENA_UNROLL for (int k = 0; k < 4; ++k) Store32(quants + 32 * k, v[k]);
    }
  }
}

// Group g of a grouped row in registers: the four weight vectors (Q8_0 signed, Q4_0 nibbles) and their scales.
template <bool kQ4>
inline void LoadWeightGroup(const std::byte* row, int64_t groups, int64_t g, __m256i (&v)[4], __m256& d) {
  constexpr int64_t kQuantBytes = GroupedQuantBytes(kGroupedType<kQ4>);
  const std::byte* quants = row + g * kQuantBytes;
  if constexpr (kQ4) {
    const __m256i low = _mm256_set1_epi8(0x0F);
    const __m256i p0 = Load32(quants), p1 = Load32(quants + 32);
    v[0] = _mm256_and_si256(p0, low);
    v[1] = _mm256_and_si256(p1, low);
    v[2] = _mm256_and_si256(_mm256_srli_epi16(p0, 4), low);
    v[3] = _mm256_and_si256(_mm256_srli_epi16(p1, 4), low);
  } else {
    CATENA_UNROLL for (int k = 0; k < 4; ++k) v[k] = Load32(quants + 32 * k);
  }
  const __m128i halves = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(row + groups * kQuantBytes + 8 * g));
  d = PairScales(_mm_cvtph_ps(halves));
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

// One grouped weight row against B activation rows: y[b * y_stride] for b < B. Every (row, activation row) pair
// gets GroupDot's integer lanes and then GroupFma, group by group, at every B, so a sequence's numbers do not
// depend on the batch it runs in.
template <bool kQ4, int B>
void GroupTile(const std::byte* w, int64_t groups, const ActivationGroup* const* x, float* y, int64_t y_stride) {
  constexpr int64_t kQuantBytes = GroupedQuantBytes(kGroupedType<kQ4>);
  __m256 acc[B];
  CATENA_UNROLL for (int b = 0; b < B; ++b) acc[b] = _mm256_setzero_ps();
  for (int64_t g = 0; g < groups; ++g) {
    CATENA_UNROLL for (int64_t line = 0; line < kQuantBytes; line += 64)
        _mm_prefetch(reinterpret_cast<const char*>(w + g * kQuantBytes + line) + kPrefetchBytes, _MM_HINT_T0);
    __m256i ws[4], wk[4];
    __m256 dw;
    LoadWeightGroup<kQ4>(w, groups, g, ws, dw);
    CATENA_UNROLL for (int k = 0; k < 4; ++k) wk[k] = kQ4 ? ws[k] : _mm256_abs_epi8(ws[k]);
    CATENA_UNROLL for (int b = 0; b < B; ++b) acc[b] = GroupFma(GroupDot<kQ4>(wk, ws, x[b][g]), dw, x[b][g], acc[b]);
  }
  CATENA_UNROLL for (int b = 0; b < B; ++b) y[b * y_stride] = Sum8(acc[b]);
}

// The tile of activation rows that starts at b (kGroupBatch rows, or 1 when fewer are left before be): fills x
// and returns its size.
inline int TileAt(const QuantizedActivations& qx, int64_t b, int64_t be, const ActivationGroup* (&x)[kGroupBatch]) {
  const int tile = be - b >= kGroupBatch ? kGroupBatch : 1;
  for (int j = 0; j < tile; ++j) {
    x[j] = reinterpret_cast<const ActivationGroup*>(qx.regrouped + (b + j) * qx.regrouped_stride);
  }
  return tile;
}

// Weight row r (at w) against the tile at b.
template <bool kQ4>
inline void RunTile(const RowTask& t, const std::byte* w, int64_t groups, int64_t r, int64_t b, int tile,
                    const ActivationGroup* const* x) {
  float* y = t.y + b * t.w->rows + r;
  tile == kGroupBatch ? GroupTile<kQ4, kGroupBatch>(w, groups, x, y, t.w->rows)
                      : GroupTile<kQ4, 1>(w, groups, x, y, t.w->rows);
}

// Rows [r_begin, r_end) of the product from grouped rows (row r_begin + i at rows + i * row_bytes), a row at a
// time so the weights stream in order. When a chunk's activation rows are well past L1 (kBlockedActivationBytes),
// the weight rows go in blocks of kRowBlock instead, each meeting every tile of activation rows in turn: the
// weights still stream in order, and a tile's activations stay in L1 across the block (at 64 rows of 2048 columns
// they take 196 KB, and were read from L2 again for every weight row).
template <bool kQ4>
void MultiplySlice(const RowTask& t, const std::byte* rows, int64_t row_bytes, int64_t r_begin, int64_t r_end) {
  const QuantizedActivations& qx = *t.qx;
  const int64_t groups = GroupsOf(qx.blocks);
  // Activation rows in chunks that stay in L2 while the slice's weight rows pass.
  const int64_t chunk = std::max<int64_t>(kGroupBatch, (int64_t{192} << 10) / qx.regrouped_stride);
  const ActivationGroup* x[kGroupBatch];
  for (int64_t bc = 0; bc < t.batch; bc += chunk) {
    const int64_t be = std::min(t.batch, bc + chunk);
    if ((be - bc) * qx.regrouped_stride <= kBlockedActivationBytes) {
      for (int64_t r = r_begin; r < r_end; ++r) {
        const std::byte* w = rows + (r - r_begin) * row_bytes;
        for (int64_t b = bc; b < be;) {
          const int tile = TileAt(qx, b, be, x);
          RunTile<kQ4>(t, w, groups, r, b, tile, x);
          b += tile;
        }
      }
      continue;
    }
    for (int64_t block = r_begin; block < r_end; block += kRowBlock) {
      const int64_t block_end = std::min(r_end, block + kRowBlock);
      for (int64_t b = bc; b < be;) {
        const int tile = TileAt(qx, b, be, x);
        for (int64_t r = block; r < block_end; ++r) {
          RunTile<kQ4>(t, rows + (r - r_begin) * row_bytes, groups, r, b, tile, x);
        }
        b += tile;
      }
    }
  }
}

// The table's kernel for WeightLayout::kGrouped4 rows.
template <bool kQ4>
void GroupedRows(const RowTask& t) {
  MultiplySlice<kQ4>(t, t.w->data + t.row_begin * t.w->row_bytes, t.w->row_bytes, t.row_begin, t.row_end);
}

// The table's kernel for GGUF rows: packed a slice at a time into per-thread scratch.
template <bool kQ4>
void GgufRows(const RowTask& t) {
  const QuantizedActivations& qx = *t.qx;
  if (qx.regrouped == nullptr) return Q8Rows<kQ4>(t);
  constexpr GgmlType type = kGroupedType<kQ4>;
  const int64_t row_bytes = GroupedRowBytes(type, qx.blocks);
  thread_local std::vector<std::byte> scratch;
  scratch.resize(static_cast<size_t>(kPackSliceRows * row_bytes));
  for (int64_t r = t.row_begin; r < t.row_end; r += kPackSliceRows) {
    const int64_t end = std::min(t.row_end, r + kPackSliceRows);
    for (int64_t i = r; i < end; ++i)
      PackRow(type, t.w->data + i * t.w->row_bytes, qx.blocks, scratch.data() + (i - r) * row_bytes);
    MultiplySlice<kQ4>(t, scratch.data(), row_bytes, r, end);
  }
}

}  // namespace

const KernelTable* Avx2Kernels() {
  static const KernelTable table = [] {
    KernelTable k = MakeTable("avx2");
    k.q8_0 = GgufRows<false>;
    k.q4_0 = GgufRows<true>;
    k.quantize = QuantizeRegrouped;
    k.regrouped_group_bytes = sizeof(ActivationGroup);
    k.q8_0_grouped = GroupedRows<false>;
    k.q4_0_grouped = GroupedRows<true>;
    k.pack_grouped_row = PackRow;
    return k;
  }();
  return &table;
}

}  // namespace catena::inference::kernels_internal
