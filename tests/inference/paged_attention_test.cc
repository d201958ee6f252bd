// The CPU backend's paged attention (SIMD and portable paths, F32 and F16 caches, scrambled block tables) against
// a double-precision softmax attention over the stored values, the F16 store against FloatToHalf, and the
// cached rope rotation against ApplyRope.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <span>
#include <vector>

#include <catch2/catch.hpp>

#include "inference/cpu_attention.h"
#include "inference/ggml_types.h"
#include "inference/kernels.h"

namespace catena::inference::cpu {
namespace {

double Stored(const std::vector<std::byte>& data, KvType type, int64_t offset) {
  if (type == KvType::kF32) return reinterpret_cast<const float*>(data.data())[offset];
  if (type == KvType::kQ8_0) {  // decoded by hand from ggml's layout: x = qs[i] * d
    const std::byte* block = data.data() + offset / 32 * 34;
    uint16_t d;
    std::memcpy(&d, block, 2);
    return static_cast<double>(static_cast<int8_t>(block[2 + offset % 32])) * HalfToFloat(d);
  }
  return HalfToFloat(reinterpret_cast<const uint16_t*>(data.data())[offset]);
}

// One layer's keys and values with `n_keys` rows of normal noise, stored through `table`.
struct RandomCache {
  RandomCache(KvType type, int64_t kv_dim, int64_t block, int64_t num_blocks, std::span<const int32_t> table,
              int64_t n_keys, std::mt19937& rng) {
    const KvLayout layout{.layers = 1, .kv_dim = kv_dim, .block_size = block, .num_blocks = num_blocks, .type = type};
    keys.resize(static_cast<size_t>(num_blocks * block * layout.RowBytes()));
    values.resize(keys.size());
    kview = {keys.data(), type, block, kv_dim, table};
    vview = {values.data(), type, block, kv_dim, table};
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> row(static_cast<size_t>(kv_dim));
    for (int64_t p = 0; p < n_keys; ++p) {
      for (float& f : row) f = dist(rng);
      StoreKvRow(kview, keys.data(), p, row);
      for (float& f : row) f = dist(rng);
      StoreKvRow(vview, values.data(), p, row);
    }
  }
  RandomCache(const RandomCache&) = delete;  // the views point into the buffers
  std::vector<std::byte> keys, values;
  PagedKvView kview, vview;
};

TEST_CASE("paged attention equals double softmax attention over the stored keys and values", "[unit]") {
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (KvType type : {KvType::kF32, KvType::kF16, KvType::kQ8_0}) {
    for (int64_t head_dim : {64, 128, 12, 96}) {  // 12: not a multiple of 8, the portable path
      if (type == KvType::kQ8_0 && head_dim % 32 != 0) continue;
      for (int64_t n_keys : {1, 3, 5, 16, 17, 41}) {
        const int64_t kv_heads = 2, kv_dim = kv_heads * head_dim;
        const std::vector<int32_t> table = {5, 2, 7, 0};  // scrambled
        const RandomCache cache(type, kv_dim, 16, 8, table, n_keys, rng);
        const std::vector<std::byte>& keys = cache.keys;
        const std::vector<std::byte>& values = cache.values;
        const PagedKvView& kview = cache.kview;
        const PagedKvView& vview = cache.vview;
        std::vector<float> q(static_cast<size_t>(head_dim)), out(static_cast<size_t>(head_dim));
        for (float& f : q) f = 2 * dist(rng);
        const int64_t kv_head = 1;
        const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
        PagedAttend(q.data(), kview, vview, kv_head, head_dim, n_keys, scale, out.data());

        std::vector<double> scores(static_cast<size_t>(n_keys));
        double max = -INFINITY;
        for (int64_t p = 0; p < n_keys; ++p) {
          double dot = 0;
          for (int64_t i = 0; i < head_dim; ++i) dot += q[i] * Stored(keys, type, kview.RowOffset(p) + kv_head * head_dim + i);
          scores[p] = scale * dot;
          max = std::max(max, scores[p]);
        }
        double sum = 0;
        for (double& s : scores) sum += s = std::exp(s - max);
        for (int64_t i = 0; i < head_dim; ++i) {
          double want = 0;
          for (int64_t p = 0; p < n_keys; ++p) {
            want += scores[p] / sum * Stored(values, type, vview.RowOffset(p) + kv_head * head_dim + i);
          }
          INFO("type " << static_cast<int>(type) << " head_dim " << head_dim << " keys " << n_keys << " i " << i);
          REQUIRE(std::fabs(out[i] - want) <= 1e-5 * (1 + std::fabs(want)));
        }
      }
    }
  }
}

TEST_CASE("a span of heads gets each head's single-head attention bit for bit, for any block size", "[unit]") {
  std::mt19937 rng(9);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (KvType type : {KvType::kF32, KvType::kF16, KvType::kQ8_0}) {
    for (int64_t head_dim : {64, 32, 12}) {  // 12: the portable path
      if (type == KvType::kQ8_0 && head_dim % 32 != 0) continue;
      for (int64_t block : {16, 5, 12}) {  // 5, 12: chunks and four-key groups that end mid-block
        const int64_t heads = 6, group = 2, kv_dim = heads / group * head_dim, num_blocks = 12, n_keys = 45;
        std::vector<int32_t> table = {7, 3, 11, 0, 9, 1, 4, 10, 2, 8, 5, 6};  // scrambled
        table.resize(static_cast<size_t>((n_keys + block - 1) / block));
        const RandomCache cache(type, kv_dim, block, num_blocks, table, n_keys, rng);
        const PagedKvView& kview = cache.kview;
        const PagedKvView& vview = cache.vview;
        std::vector<float> q(static_cast<size_t>(heads * head_dim));
        for (float& f : q) f = 2 * dist(rng);
        const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
        for (int64_t keys_seen : {int64_t{1}, int64_t{4}, block, n_keys}) {
          std::vector<float> one(q.size()), spans(q.size(), NAN);
          for (int64_t h = 0; h < heads; ++h) {
            PagedAttend(q.data() + h * head_dim, kview, vview, h / group, head_dim, keys_seen, scale,
                        one.data() + h * head_dim);
          }
          PagedAttendHeads(q.data(), kview, vview, {.begin = 0, .end = 4, .group = group}, head_dim, keys_seen, scale,
                           spans.data());
          PagedAttendHeads(q.data() + 4 * head_dim, kview, vview, {.begin = 4, .end = heads, .group = group}, head_dim,
                           keys_seen, scale, spans.data() + 4 * head_dim);
          INFO("type " << static_cast<int>(type) << " head_dim " << head_dim << " block " << block << " keys "
                       << keys_seen);
          REQUIRE(std::memcmp(one.data(), spans.data(), one.size() * sizeof(float)) == 0);
        }
      }
    }
  }
}

TEST_CASE("a q8_0 kv row is ggml's q8_0 encoding and takes 53% of f16", "[unit]") {
  std::mt19937 rng(5);
  std::normal_distribution<float> dist(0.0f, 3.0f);
  std::vector<float> row(128);
  for (float& f : row) f = dist(rng);
  const std::vector<int32_t> table = {1, 0};
  std::vector<std::byte> stored(2 * 4 * 4 * 34);  // 2 blocks of 4 positions, 4 q8_0 blocks per row
  const PagedKvView view{stored.data(), KvType::kQ8_0, 4, 128, table};
  StoreKvRow(view, stored.data(), 5, row);  // position 5: block table[1] = 0, offset 1
  std::vector<std::byte> want(4 * 34);
  REQUIRE(QuantizeRow(GgmlType::kQ8_0, row, want).ok());
  REQUIRE(std::memcmp(stored.data() + 1 * 4 * 34, want.data(), want.size()) == 0);
  const KvLayout f16{.layers = 12, .kv_dim = 768, .block_size = 16, .num_blocks = 1, .type = KvType::kF16};
  KvLayout q8 = f16;
  q8.type = KvType::kQ8_0;
  CHECK(q8.BlockBytes() == 12 * 2 * 16 * 24 * 34);
  CHECK(static_cast<double>(q8.BlockBytes()) / f16.BlockBytes() == Approx(34.0 / 64));
  CHECK(ParseKvType("q8_0").value() == KvType::kQ8_0);
  CHECK_FALSE(ParseKvType("q4_0").ok());
}

TEST_CASE("the f16 kv store rounds exactly as FloatToHalf", "[unit]") {
  std::vector<float> row = {0.0f, -0.0f, 1.0f, 65504.0f, 65520.0f, 1e9f, -1e9f, 6e-8f, 3e-8f, 1e-5f, -2.5e-6f,
                            std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()};
  std::mt19937 rng(3);
  std::uniform_int_distribution<uint32_t> bits;
  while (row.size() < 4096) {
    const uint32_t b = bits(rng) & 0xBFFFFFFFu;  // exponents up to ~2^1: every half range, subnormals included
    float f;
    std::memcpy(&f, &b, 4);
    row.push_back(f);
  }
  const std::vector<int32_t> table = {0};
  std::vector<uint16_t> stored(row.size());
  const PagedKvView view{stored.data(), KvType::kF16, 1, static_cast<int64_t>(row.size()), table};
  StoreKvRow(view, stored.data(), 0, row);
  for (size_t i = 0; i < row.size(); ++i) {
    INFO("value " << row[i]);
    REQUIRE(stored[i] == FloatToHalf(row[i]));
  }
}

// ApplyRope's rotation written out: the angle in double, cos and sin rounded to float, then float arithmetic.
std::vector<float> RotatedReference(std::vector<float> head, const std::vector<float>& inv_freq, int64_t position,
                                    RopeStyle style) {
  const size_t half = head.size() / 2;
  for (size_t i = 0; i < half; ++i) {
    const double angle = static_cast<double>(position) * inv_freq[i];
    const float c = static_cast<float>(std::cos(angle)), s = static_cast<float>(std::sin(angle));
    const size_t a = style == RopeStyle::kAdjacentPairs ? 2 * i : i;
    const size_t b = style == RopeStyle::kAdjacentPairs ? 2 * i + 1 : i + half;
    const float x0 = head[a], x1 = head[b];
    head[a] = x0 * c - x1 * s;
    head[b] = x0 * s + x1 * c;
  }
  return head;
}

TEST_CASE("the cached rope rotation and ApplyRope are exactly the written-out rotation", "[unit]") {
  std::vector<float> inv_freq(32);
  for (size_t i = 0; i < inv_freq.size(); ++i) inv_freq[i] = std::pow(10000.0f, -static_cast<float>(i) / 32);
  std::mt19937 rng(11);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (RopeStyle style : {RopeStyle::kAdjacentPairs, RopeStyle::kHalves}) {
    for (int64_t position : {0, 1, 77, 4095, 131071}) {
      std::vector<float> head(64);
      for (float& f : head) f = dist(rng);
      const std::vector<float> want = RotatedReference(head, inv_freq, position, style);
      std::vector<float> direct = head, cos(32), sin(32);
      ApplyRope(direct, inv_freq, position, style);
      RopeCosSin(inv_freq, position, cos, sin);
      ApplyRopeCosSin(head, cos, sin, style);
      REQUIRE(head == want);
      REQUIRE(direct == want);
    }
  }
}

}  // namespace
}  // namespace catena::inference::cpu
