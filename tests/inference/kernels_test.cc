// MatMul of every weight type on every instruction-set level this CPU has (SelectKernelIsa switches the table
// in-process), against a double-precision reference decoded by kernel_test_blocks.h straight from the layout
// comments of ggml_types.h; the element-wise ops against direct formulas.
#include "inference/kernels.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/inference/kernel_test_blocks.h"

namespace catena::inference {
namespace {

using test_blocks::RandomMatrix;
using test_blocks::TestMatrix;

constexpr const char* kIsas[] = {"portable", "avx2", "avx512", "avx512vnni"};

std::vector<float> RandomFloats(size_t n, std::mt19937& rng, float scale = 1.0f) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

bool IsQuantized(GgmlType type) {
  return type == GgmlType::kQ8_0 || type == GgmlType::kQ4_0 || type == GgmlType::kQ4_K || type == GgmlType::kQ6_K;
}

// Checks MatMul against the reference. Quantized types see x rounded to 8 bits per 32-block with step
// amax/127, so each product term moves by at most |w_i| * amax(block of i) / 254; float types only carry
// float rounding (bounded by 1e-5 of sum |w_i x_i| for these lengths).
void CheckMatMul(const TestMatrix& m, int64_t batch, ComputePool& pool, std::mt19937& rng) {
  const std::vector<float> x = RandomFloats(static_cast<size_t>(batch * m.cols), rng);
  std::vector<float> y(static_cast<size_t>(batch * m.rows), std::nanf(""));
  MatMul(m.View(), x.data(), batch, y.data(), pool);
  for (int64_t b = 0; b < batch; ++b) {
    const float* xb = x.data() + b * m.cols;
    for (int64_t r = 0; r < m.rows; ++r) {
      const double* wr = m.decoded.data() + r * m.cols;
      double ref = 0, magnitude = 0, quant_bound = 0;
      for (int64_t i = 0; i < m.cols; ++i) {
        ref += wr[i] * xb[i];
        magnitude += std::fabs(wr[i] * xb[i]);
      }
      for (int64_t blk = 0; IsQuantized(m.type) && blk < m.cols / 32; ++blk) {
        double amax = 0, wsum = 0;
        for (int i = 0; i < 32; ++i) {
          amax = std::max(amax, std::fabs(static_cast<double>(xb[32 * blk + i])));
          wsum += std::fabs(wr[32 * blk + i]);
        }
        quant_bound += wsum * amax / 254.0;
      }
      const double bound = quant_bound * 1.001 + 1e-5 * magnitude + 1e-30;
      const double got = y[static_cast<size_t>(b * m.rows + r)];
      INFO("isa " << KernelIsa() << " type " << static_cast<int>(m.type) << " rows " << m.rows << " cols " << m.cols
                  << " batch " << batch << " row " << r << " b " << b);
      REQUIRE(std::fabs(got - ref) <= bound);
    }
  }
}

TEST_CASE("matmul matches the double reference for every type, shape, batch and isa", "[unit]") {
  const test_blocks::ActiveIsaGuard isa_guard;
  std::mt19937 rng(7);
  ComputePool pool(2);
  ComputePool three(3);
  const GgmlType types[] = {GgmlType::kF32,  GgmlType::kF16,  GgmlType::kBF16, GgmlType::kQ8_0,
                            GgmlType::kQ4_0, GgmlType::kQ4_K, GgmlType::kQ6_K};
  for (const char* isa : kIsas) {
    if (!SelectKernelIsa(isa)) {
      WARN("this CPU lacks " << isa);
      continue;
    }
    REQUIRE(KernelIsa() == isa);
    for (GgmlType type : types) {
      for (int64_t rows : {1, 5, 37, 100}) {
        for (int64_t cols : {256, 768}) {
          const TestMatrix m = RandomMatrix(type, rows, cols, rng);
          for (int64_t batch : {1, 3, 17}) CheckMatMul(m, batch, rows % 2 ? three : pool, rng);
        }
      }
    }
    // Block counts that leave tails (the VNNI kernels step four or two blocks at a time): 3, 6 and 7 blocks.
    for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ4_0}) {
      for (int64_t cols : {96, 192, 224}) CheckMatMul(RandomMatrix(type, 7, cols, rng), 5, pool, rng);
    }
    // Float types accept any length: a tail shorter than a vector.
    for (GgmlType type : {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16}) {
      CheckMatMul(RandomMatrix(type, 9, 19, rng), 3, pool, rng);
    }
  }
}

TEST_CASE("a batched product gives each activation row exactly what it gets alone, on every isa", "[unit]") {
  const test_blocks::ActiveIsaGuard isa_guard;
  // Batched decode must not change a sequence's numbers: the register tiles (and their transposed
  // reductions) pair the same lanes in the same order as the single-row tiles.
  std::mt19937 rng(19);
  ComputePool pool(2);
  for (const char* isa : kIsas) {
    if (!SelectKernelIsa(isa)) continue;
    for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ4_K, GgmlType::kQ6_K, GgmlType::kF16}) {
      // 224 is seven blocks: a part-filled group of four on AVX2 (K-quants need whole 256-blocks). 64 rows of 768
      // take the AVX2 kernels' row blocks (67 rows: a part-filled last block).
      for (auto [cols, batch] : {std::pair<int64_t, int64_t>{224, 16}, {256, 16}, {768, 16}, {1280, 16}, {768, 64}}) {
        if (cols % 256 != 0 && (type == GgmlType::kQ4_K || type == GgmlType::kQ6_K)) continue;
        const TestMatrix m = RandomMatrix(type, 67, cols, rng);
        const std::vector<float> x = RandomFloats(static_cast<size_t>(batch * cols), rng);
        std::vector<float> y(static_cast<size_t>(batch * m.rows)), one(static_cast<size_t>(m.rows));
        MatMul(m.View(), x.data(), batch, y.data(), pool);
        for (int64_t b = 0; b < batch; ++b) {
          MatMul(m.View(), x.data() + b * cols, 1, one.data(), pool);
          INFO("isa " << isa << " type " << static_cast<int>(type) << " cols " << cols << " batch " << batch
                      << " b " << b);
          REQUIRE(std::memcmp(one.data(), y.data() + b * m.rows, one.size() * sizeof(float)) == 0);
        }
      }
    }
  }
}

// Element i of row r of a WeightLayout::kGrouped4 matrix, decoded straight from the layout comment in kernels.h.
double DecodeGrouped(const WeightView& w, int64_t r, int64_t i) {
  const auto* row = reinterpret_cast<const uint8_t*>(w.data + r * w.row_bytes);
  const int64_t groups = (w.cols / 32 + 3) / 4, quant_bytes = w.type == GgmlType::kQ8_0 ? 128 : 64;
  const int64_t block = i / 32, g = block / 4, m = block % 4, k = i % 32 / 8, e = i % 8;
  const int64_t position = 32 * k + 8 * m + e;  // in Q8_0's 128 bytes of the group
  double code;
  if (w.type == GgmlType::kQ8_0) {
    code = static_cast<int8_t>(row[128 * g + position]);
  } else {
    const uint8_t byte = row[64 * g + position % 64];
    code = (position < 64 ? byte & 0xF : byte >> 4) - 8.0;
  }
  uint16_t half;
  std::memcpy(&half, row + groups * quant_bytes + 8 * g + 2 * m, 2);
  return code * HalfToFloat(half);
}

TEST_CASE("packed q8_0 and q4_0 rows follow the grouped layout and multiply bit for bit like gguf rows", "[unit]") {
  const test_blocks::ActiveIsaGuard isa_guard;
  std::mt19937 rng(23);
  ComputePool pool(2);
  if (!SelectKernelIsa("avx2")) {
    WARN("this CPU lacks avx2, whose kernels read packed rows");
    return;
  }
  for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ4_0}) {
    // 96 and 224 leave a part-filled last group; 2048 is the FFN width of the bench model.
    for (int64_t cols : {96, 224, 768, 2048}) {
      SelectKernelIsa("avx2");
      const TestMatrix m = RandomMatrix(type, 70, cols, rng);
      const std::optional<PackedWeights> packed = PackForKernels(m.View(), pool);
      REQUIRE(packed.has_value());
      const WeightView& p = packed->view;
      REQUIRE(p.layout == WeightLayout::kGrouped4);
      REQUIRE(p.row_bytes % 32 == 0);
      REQUIRE(reinterpret_cast<uintptr_t>(p.data) % 64 == 0);
      std::vector<float> row(static_cast<size_t>(cols));
      for (int64_t r = 0; r < m.rows; ++r) {
        DequantizeRowInto(p, r, row);
        for (int64_t i = 0; i < cols; ++i) {
          const double ref = m.decoded[static_cast<size_t>(r * cols + i)];
          INFO("type " << static_cast<int>(type) << " cols " << cols << " row " << r << " i " << i);
          REQUIRE(DecodeGrouped(p, r, i) == ref);
          REQUIRE(row[i] == static_cast<float>(ref));
        }
      }
      for (const char* isa : kIsas) {
        if (!SelectKernelIsa(isa)) continue;
        for (int64_t batch : {1, 5, 16}) {
          const std::vector<float> x = RandomFloats(static_cast<size_t>(batch * cols), rng);
          std::vector<float> from_gguf(static_cast<size_t>(batch * m.rows)), from_packed(from_gguf.size());
          MatMul(m.View(), x.data(), batch, from_gguf.data(), pool);
          MatMul(p, x.data(), batch, from_packed.data(), pool);
          INFO("isa " << isa << " type " << static_cast<int>(type) << " cols " << cols << " batch " << batch);
          REQUIRE(std::memcmp(from_gguf.data(), from_packed.data(), from_gguf.size() * sizeof(float)) == 0);
        }
        CheckMatMul(m, 3, pool, rng);
      }
    }
  }
  SelectKernelIsa("avx2");
  // Types the grouped layout does not hold, and packing switched off, leave the view as it is.
  REQUIRE_FALSE(PackForKernels(RandomMatrix(GgmlType::kQ4_K, 4, 256, rng).View(), pool).has_value());
  REQUIRE_FALSE(PackForKernels(RandomMatrix(GgmlType::kF16, 4, 256, rng).View(), pool).has_value());
  ::setenv("CATENA_WEIGHT_PACKING", "0", 1);
  REQUIRE_FALSE(PackForKernels(RandomMatrix(GgmlType::kQ8_0, 4, 256, rng).View(), pool).has_value());
  ::unsetenv("CATENA_WEIGHT_PACKING");
}

TEST_CASE("matmul shared by several matrices gives each what it gets alone, on every isa", "[unit]") {
  const test_blocks::ActiveIsaGuard isa_guard;
  std::mt19937 rng(29);
  ComputePool pool(2);
  for (const char* isa : kIsas) {
    if (!SelectKernelIsa(isa)) continue;
    // q/k/v of one type; a mixed-type set (one quantization of x serves every quantized type); float and
    // quantized together (run apart); a packed matrix among GGUF ones; and a broken shape among good ones.
    const std::vector<std::vector<GgmlType>> sets = {
        {GgmlType::kQ8_0, GgmlType::kQ8_0, GgmlType::kQ8_0},
        {GgmlType::kQ4_K, GgmlType::kQ6_K, GgmlType::kQ8_0, GgmlType::kQ4_0},
        {GgmlType::kF16, GgmlType::kQ8_0},
        {GgmlType::kF32, GgmlType::kBF16}};
    for (const std::vector<GgmlType>& types : sets) {
      for (int64_t batch : {1, 7, 16}) {
        std::vector<TestMatrix> matrices;
        std::vector<WeightView> views;
        std::optional<PackedWeights> packed;
        for (size_t i = 0; i < types.size(); ++i) {
          matrices.push_back(RandomMatrix(types[i], 64 * static_cast<int64_t>(i) + 37, 512, rng));
        }
        for (const TestMatrix& m : matrices) views.push_back(m.View());
        SelectKernelIsa("avx2");
        if (types.back() == GgmlType::kQ4_0 && (packed = PackForKernels(views.back(), pool)))
          views.back() = packed->view;
        SelectKernelIsa(isa);
        const std::vector<float> x = RandomFloats(static_cast<size_t>(batch * 512), rng);
        std::vector<std::vector<float>> alone, shared;
        std::vector<const WeightView*> weights;
        std::vector<float*> outputs;
        for (const WeightView& v : views) {
          alone.emplace_back(static_cast<size_t>(batch * v.rows));
          shared.emplace_back(static_cast<size_t>(batch * v.rows), -1.0f);
          MatMul(v, x.data(), batch, alone.back().data(), pool);
        }
        for (size_t i = 0; i < views.size(); ++i) weights.push_back(&views[i]), outputs.push_back(shared[i].data());
        MatMulShared(weights, x.data(), batch, outputs, pool);
        for (size_t i = 0; i < views.size(); ++i) {
          INFO("isa " << isa << " set of " << types.size() << " matrix " << i << " batch " << batch);
          REQUIRE(std::memcmp(alone[i].data(), shared[i].data(), alone[i].size() * sizeof(float)) == 0);
        }
      }
    }
    // A broken shape is marked with NaN and does not stop the others.
    const TestMatrix good = RandomMatrix(GgmlType::kQ8_0, 9, 256, rng);
    std::vector<std::byte> bytes(34 * 2);
    const WeightView bad{GgmlType::kQ8_0, 2, 48, bytes.data(), 34 * 2};
    const WeightView good_view = good.View();
    const std::vector<float> x = RandomFloats(256, rng);
    std::vector<float> y_good(9), y_bad(2, 0.0f), want(9);
    const WeightView* weights[] = {&bad, &good_view};
    float* outputs[] = {y_bad.data(), y_good.data()};
    MatMulShared(weights, x.data(), 1, outputs, pool);
    MatMul(good_view, x.data(), 1, want.data(), pool);
    REQUIRE(std::isnan(y_bad[0]));
    REQUIRE(y_good == want);
  }
}

TEST_CASE("q8_0 and q4_0 blocks built from values decode back to those values", "[unit]") {
  const test_blocks::ActiveIsaGuard isa_guard;
  std::mt19937 rng(11);
  ComputePool pool(2);
  for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ4_0}) {
    const std::vector<float> values = RandomFloats(20 * 512, rng);
    const TestMatrix m = test_blocks::MatrixFromValues(type, 20, 512, values);
    for (size_t blk = 0; blk < values.size() / 32; ++blk) {
      double amax = 0;
      for (size_t i = 32 * blk; i < 32 * blk + 32; ++i) amax = std::max(amax, std::fabs(double{values[i]}));
      const double step = amax / (type == GgmlType::kQ8_0 ? 127 : 7);
      for (size_t i = 32 * blk; i < 32 * blk + 32; ++i) REQUIRE(std::fabs(m.decoded[i] - values[i]) <= 0.51 * step);
    }
    for (const char* isa : kIsas) {
      if (!SelectKernelIsa(isa)) continue;
      CheckMatMul(m, 1, pool, rng);
      CheckMatMul(m, 17, pool, rng);
    }
  }
}

TEST_CASE("dequantize row matches the reference decoder", "[unit]") {
  std::mt19937 rng(3);
  for (GgmlType type : {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16, GgmlType::kQ8_0, GgmlType::kQ4_0,
                        GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    const TestMatrix m = RandomMatrix(type, 4, 512, rng);
    std::vector<float> out(512);
    for (int64_t r = 0; r < 4; ++r) {
      DequantizeRowInto(m.View(), r, out);
      for (int64_t i = 0; i < 512; ++i) {
        const double ref = m.decoded[static_cast<size_t>(r * 512 + i)];
        INFO("type " << static_cast<int>(type) << " row " << r << " i " << i);
        REQUIRE(std::fabs(out[i] - ref) <= 1e-6 * std::fabs(ref) + 1e-30);
      }
    }
  }
}

TEST_CASE("matmul marks a shape that breaks the block size with nan", "[unit]") {
  ComputePool pool(1);
  std::vector<std::byte> bytes(34 * 2);
  const WeightView bad{GgmlType::kQ8_0, 2, 48, bytes.data(), 34 * 2};
  std::vector<float> x(48, 1.0f), y(2, 0.0f);
  MatMul(bad, x.data(), 1, y.data(), pool);
  REQUIRE(std::isnan(y[0]));
  REQUIRE(std::isnan(y[1]));
}

TEST_CASE("kernel isa names a supported level and rejects unknown ones", "[unit]") {
  const std::string isa(KernelIsa());
  REQUIRE((isa == "avx512vnni" || isa == "avx512" || isa == "avx2" || isa == "portable"));
  REQUIRE_FALSE(SelectKernelIsa("sse9"));
  REQUIRE(KernelIsa() == isa);
}

// Run by CTest with CATENA_KERNEL_ISA set (see CMakeLists.txt): the variable lowers the starting level.
TEST_CASE("the kernel isa environment variable picks the starting level", "[.isa_env]") {
  const char* forced = std::getenv("CATENA_KERNEL_ISA");
  REQUIRE(forced != nullptr);
  REQUIRE(KernelIsa() == std::string(forced));
}

}  // namespace
}  // namespace catena::inference
