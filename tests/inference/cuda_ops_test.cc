// Conformance of every CUDA op with the CPU kernel on random inputs (normalized MSE bounds per weight type, as
// llama.cpp's test-backend-ops): matvec and cuBLAS products for every type, embedding rows, RMSNorm, RoPE,
// SwiGLU, residual add, KV stores (byte-identical) and paged attention over scrambled block tables. Runs only
// on a CUDA device.
#include "inference/cuda/cuda_ops.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

#include "inference/compute_pool.h"
#include "inference/cpu_attention.h"
#include "inference/cuda/cuda_matmul.h"
#include "inference/kernels.h"
#include "tests/inference/cuda_test_util.h"

namespace catena::inference::cuda {
namespace {

using testing::Download;
using testing::Nmse;
using testing::Normal;
using testing::Upload;
using testing::Zeros;

// A rows x cols matrix of `type` (host bytes) and its CPU view.
struct HostMatrix {
  std::vector<std::byte> bytes;
  WeightView view;
};

HostMatrix RandomMatrix(GgmlType type, int64_t rows, int64_t cols, uint32_t seed) {
  const int64_t row_bytes = *RowBytes(type, cols);
  HostMatrix m{std::vector<std::byte>(static_cast<size_t>(rows * row_bytes)), {}};
  const std::vector<float> values = Normal(static_cast<size_t>(rows * cols), seed, 1.0f / std::sqrt(float(cols)));
  for (int64_t r = 0; r < rows; ++r) {
    REQUIRE(QuantizeRow(type, std::span<const float>(values.data() + r * cols, cols),
                        std::span<std::byte>(m.bytes.data() + r * row_bytes, row_bytes))
                .ok());
  }
  m.view = WeightView{.type = type, .rows = rows, .cols = cols, .data = m.bytes.data(), .row_bytes = row_bytes};
  return m;
}

// NMSE bound of CUDA against the CPU MatMul: the CPU quantizes activations to 8 bits for quantized weights
// (~0.4% per product); the cuBLAS path rounds activations (and non-F16 weights' F32 products) to F16.
double MatMulBound(GgmlType type, bool gemm) {
  switch (type) {
    case GgmlType::kF32:
      return gemm ? 1e-9 : 1e-10;
    case GgmlType::kF16:
    case GgmlType::kBF16:
      return gemm ? 1e-5 : 1e-8;
    default:
      return 5e-4;
  }
}

TEST_CASE("matvec and cublas products match the cpu matmul for every weight type", "[gpu][ops]") {
  cudaStream_t stream = nullptr;
  REQUIRE(cudaStreamCreate(&stream) == cudaSuccess);
  auto projector = Projector::Create(stream);
  REQUIRE(projector.ok());
  ComputePool pool(2);
  const int64_t rows = 200, cols = 512;
  for (GgmlType type : {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16, GgmlType::kQ8_0, GgmlType::kQ4_0,
                        GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    const HostMatrix m = RandomMatrix(type, rows, cols, 11);
    const DeviceBuffer weights = Upload(m.bytes);
    const DeviceMatrix w{
        .type = type, .rows = rows, .cols = cols, .row_bytes = m.view.row_bytes, .data = weights.get()};
    for (int batch : {1, 3, 8, 9, 40}) {
      const std::vector<float> x = Normal(static_cast<size_t>(batch * cols), 12 + batch);
      std::vector<float> want(static_cast<size_t>(batch * rows));
      MatMul(m.view, x.data(), batch, want.data(), pool);
      const DeviceBuffer dx = Upload(x), dy = Zeros<float>(want.size());
      REQUIRE((*projector)->Project(w, nullptr, dx.as<float>(), batch, dy.as<float>()).ok());
      const double nmse = Nmse(Download<float>(dy, want.size()), want);
      INFO(TraitsOf(type).name << " batch " << batch << " nmse " << nmse);
      CHECK(nmse <= MatMulBound(type, batch > kMatVecMaxBatch));
    }
  }
  projector->reset();
  cudaStreamDestroy(stream);
}

TEST_CASE("embedding rows match the cpu dequantization for every weight type", "[gpu][ops]") {
  for (GgmlType type : {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16, GgmlType::kQ8_0, GgmlType::kQ4_0,
                        GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    const HostMatrix m = RandomMatrix(type, 50, 256, 3);
    const std::vector<int32_t> tokens = {7, 0, 49, 7, 23};
    std::vector<float> want(tokens.size() * 256);
    for (size_t i = 0; i < tokens.size(); ++i) {
      DequantizeRowInto(m.view, tokens[i], std::span<float>(want.data() + i * 256, 256));
    }
    const DeviceBuffer weights = Upload(m.bytes), dtokens = Upload(tokens), out = Zeros<float>(want.size());
    const DeviceMatrix w{.type = type, .rows = 50, .cols = 256, .row_bytes = m.view.row_bytes, .data = weights.get()};
    EmbedRows(w, dtokens.as<int32_t>(), static_cast<int>(tokens.size()), out.as<float>(), nullptr);
    INFO(TraitsOf(type).name);
    CHECK(Nmse(Download<float>(out, want.size()), want) <= 1e-12);
  }
}

TEST_CASE("rms norm swiglu and add match the cpu kernels", "[gpu][ops]") {
  const int n = 5, dim = 384;
  const std::vector<float> x = Normal(n * dim, 1, 3.0f), weight = Normal(dim, 2), up = Normal(n * dim, 3);
  const std::vector<int32_t> rows = {4, 0, 2};
  std::vector<float> want_norm(rows.size() * dim), want_swiglu(x.size()), want_add(x.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    RmsNorm(std::span<const float>(x.data() + rows[i] * dim, dim), weight, 1e-5f,
            std::span<float>(want_norm.data() + i * dim, dim));
  }
  inference::SwiGlu(x, up, want_swiglu);
  for (size_t i = 0; i < x.size(); ++i) want_add[i] = x[i] + up[i];
  const DeviceBuffer dx = Upload(x), dw = Upload(weight), dup = Upload(up), drows = Upload(rows);
  const DeviceBuffer norm = Zeros<float>(want_norm.size()), gate = Upload(x), sum = Upload(x);
  RmsNormRows(dx.as<float>(), drows.as<int32_t>(), static_cast<int>(rows.size()), dim, dw.as<float>(), 1e-5f,
              norm.as<float>(), nullptr);
  SwiGlu(gate.as<float>(), dup.as<float>(), x.size(), nullptr);
  AddInPlace(sum.as<float>(), dup.as<float>(), x.size(), nullptr);
  CHECK(Nmse(Download<float>(norm, want_norm.size()), want_norm) <= 1e-12);
  CHECK(Nmse(Download<float>(gate, x.size()), want_swiglu) <= 1e-12);
  CHECK(Nmse(Download<float>(sum, x.size()), want_add) <= 1e-14);
}

TEST_CASE("rope matches the cpu rotation in both pair styles", "[gpu][ops]") {
  const int n = 3, q_heads = 4, kv_heads = 2, head_dim = 64;
  std::vector<float> inv_freq(head_dim / 2);
  for (int i = 0; i < head_dim / 2; ++i) inv_freq[i] = std::pow(10000.0f, -2.0f * i / head_dim);
  const std::vector<int32_t> positions = {0, 17, 4095};
  for (RopeStyle style : {RopeStyle::kAdjacentPairs, RopeStyle::kHalves}) {
    std::vector<float> q = Normal(n * q_heads * head_dim, 5), k = Normal(n * kv_heads * head_dim, 6);
    const DeviceBuffer dq = Upload(q), dk = Upload(k), dpos = Upload(positions), dfreq = Upload(inv_freq);
    for (int i = 0; i < n; ++i) {
      for (int h = 0; h < q_heads; ++h) {
        ApplyRope(std::span<float>(q.data() + (i * q_heads + h) * head_dim, head_dim), inv_freq, positions[i], style);
      }
      for (int h = 0; h < kv_heads; ++h) {
        ApplyRope(std::span<float>(k.data() + (i * kv_heads + h) * head_dim, head_dim), inv_freq, positions[i], style);
      }
    }
    Rope(dq.as<float>(), dk.as<float>(),
         RopeArgs{.n = n,
                  .q_heads = q_heads,
                  .kv_heads = kv_heads,
                  .head_dim = head_dim,
                  .pairs = head_dim / 2,
                  .halves = style == RopeStyle::kHalves,
                  .positions = dpos.as<int32_t>(),
                  .inv_freq = dfreq.as<float>()},
         nullptr);
    CHECK(Nmse(Download<float>(dq, q.size()), q) <= 1e-12);
    CHECK(Nmse(Download<float>(dk, k.size()), k) <= 1e-12);
  }
}

// The CPU backend's stores and attention for one sequence of `n` rows at positions 0..n-1 (causal).
std::vector<float> CpuPagedAttention(const std::vector<float>& q, const std::vector<float>& k,
                                     const std::vector<float>& v, const KvLayout& layout,
                                     const std::vector<int32_t>& table, int n, int heads, int head_dim,
                                     std::vector<std::byte>& keys) {
  const int64_t kv_dim = layout.kv_dim, group = heads / (kv_dim / head_dim);
  keys.assign(static_cast<size_t>(layout.num_blocks * layout.block_size * layout.RowBytes()), std::byte{0});
  std::vector<std::byte> values(keys.size());
  const cpu::PagedKvView kview{keys.data(), layout.type, layout.block_size, kv_dim, table};
  const cpu::PagedKvView vview{values.data(), layout.type, layout.block_size, kv_dim, table};
  for (int p = 0; p < n; ++p) {
    cpu::StoreKvRow(kview, keys.data(), p, std::span<const float>(k.data() + p * kv_dim, kv_dim));
    cpu::StoreKvRow(vview, values.data(), p, std::span<const float>(v.data() + p * kv_dim, kv_dim));
  }
  std::vector<float> out(q.size());
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  for (int i = 0; i < n; ++i) {
    for (int h = 0; h < heads; ++h) {
      const int64_t at = (int64_t{i} * heads + h) * head_dim;
      cpu::PagedAttend(q.data() + at, kview, vview, h / group, head_dim, i + 1, scale, out.data() + at);
    }
  }
  return out;
}

TEST_CASE("kv stores and paged attention match the cpu over scrambled block tables", "[gpu][ops]") {
  const int heads = 4, kv_heads = 2, n = 41, layers = 2, layer = 1;
  const std::vector<int32_t> table = {5, 2, 7, 0};  // 64 positions
  for (KvType type : {KvType::kF32, KvType::kF16, KvType::kQ8_0}) {
    for (int head_dim : {64, 128}) {
      const int64_t kv_dim = int64_t{kv_heads} * head_dim;
      const KvLayout layout{.layers = 1, .kv_dim = kv_dim, .block_size = 16, .num_blocks = 8, .type = type};
      const std::vector<float> q = Normal(size_t{n} * heads * head_dim, 1, 2.0f), k = Normal(n * kv_dim, 2),
                               v = Normal(n * kv_dim, 3);
      std::vector<std::byte> cpu_keys;
      const std::vector<float> want = CpuPagedAttention(q, k, v, layout, table, n, heads, head_dim, cpu_keys);

      std::vector<int32_t> positions(n), offsets(n, 0);
      for (int i = 0; i < n; ++i) positions[i] = i;
      const size_t layer_bytes = cpu_keys.size();
      const DeviceBuffer keys = Zeros<std::byte>(layers * layer_bytes), values = Zeros<std::byte>(layers * layer_bytes);
      const DeviceBuffer dq = Upload(q), dk = Upload(k), dv = Upload(v), dpos = Upload(positions),
                         doff = Upload(offsets), dtable = Upload(table), out = Zeros<float>(q.size());
      const DeviceKv kv{.keys = keys.get(),
                        .values = values.get(),
                        .type = type == KvType::kQ8_0  ? DeviceKvType::kQ8_0
                                : type == KvType::kF16 ? DeviceKvType::kF16
                                                       : DeviceKvType::kF32,
                        .num_blocks = 8,
                        .block_size = 16,
                        .kv_dim = kv_dim,
                        .row_bytes = layout.RowBytes()};
      const RowPlan plan{
          .n = n, .positions = dpos.as<int32_t>(), .table_offsets = doff.as<int32_t>(), .tables = dtable.as<int32_t>()};
      StoreKv(kv, layer, dk.as<float>(), dv.as<float>(), plan, nullptr);
      PagedAttention(dq.as<float>(), kv, layer, plan,
                     AttentionArgs{.heads = heads,
                                   .kv_heads = kv_heads,
                                   .head_dim = head_dim,
                                   .scale = 1.0f / std::sqrt(static_cast<float>(head_dim))},
                     out.as<float>(), nullptr);
      INFO("kv type " << static_cast<int>(type) << " head_dim " << head_dim);
      const std::vector<std::byte> stored = Download<std::byte>(keys, layers * layer_bytes);
      CHECK(std::equal(cpu_keys.begin(), cpu_keys.end(), stored.begin() + layer * layer_bytes));  // same encoding
      CHECK(Nmse(Download<float>(out, q.size()), want) <= 1e-9);
    }
  }
}

}  // namespace
}  // namespace catena::inference::cuda
