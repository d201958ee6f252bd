// CPU kernel benchmark: STREAM-style triad and read-only bandwidth with the kernels' ComputePool, then for each
// weight type a stack of layers shaped like a 130M-parameter llama (hidden 768, ffn 2048: q,k,v,o, gate, up,
// down) totalling >= 512 MB so nothing stays in cache: matrix-vector GB/s and its ratio to triad (decode), the
// same sweep at batch 16 (batched decode) and batch-512 GFLOP/s (prefill). Weights are in the layout models load
// them in (PackForKernels); where that is not the GGUF layout, a "<type>_gguf" case measures the GGUF layout too.
// CATENA_BENCH_THREADS (default 2) sets the pool size, CATENA_BENCH_TYPES (e.g. "f16,q4_0") the types,
// CATENA_BENCH_MB (default 512: at 128 MB part of the set still hit a cache on this VM) the weight bytes per type.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "bench/memory_bandwidth.h"
#include "inference/kernels.h"

namespace {

using catena::bench::Emit;
using catena::inference::ComputePool;
using catena::inference::GgmlType;
using catena::inference::MatMul;
using catena::inference::PackedWeights;
using catena::inference::PackForKernels;
using catena::inference::RowBytes;
using catena::inference::WeightView;

constexpr int64_t kHidden = 768;
constexpr int64_t kFfn = 2048;
constexpr int64_t kPrefillBatch = 512;
constexpr int64_t kDecodeBatch = 16;
constexpr double kParams134M = 134e6;

double Seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Best of `repeats` timings of fn().
template <typename Fn>
double BestSeconds(int repeats, Fn&& fn) {
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) {
    const double start = Seconds();
    fn();
    best = std::min(best, Seconds() - start);
  }
  return best;
}

// Triad and read-only bandwidth in this run (bench/memory_bandwidth.h, shared with inference_bench); returns triad.
double Triad(ComputePool& pool, const std::string& label) {
  const catena::bench::Bandwidth bandwidth = catena::bench::MeasureBandwidth(pool);
  Emit("inference", "triad/" + label, "bandwidth_gb_per_s", bandwidth.triad_gb_per_s, "GB/s");
  Emit("inference", "read/" + label, "bandwidth_gb_per_s", bandwidth.read_only_gb_per_s, "GB/s");
  return bandwidth.triad_gb_per_s;
}

// Cost of one ParallelFor that wakes every thread for a trivial share (the floor under each matrix product).
void PoolOverhead(ComputePool& pool, const std::string& label) {
  std::vector<int64_t> sink(static_cast<size_t>(pool.threads()) * 16);
  auto calls = [&] {
    for (int i = 0; i < 2000; ++i) {
      pool.ParallelFor(pool.threads(), 1, [&](int64_t begin, int64_t) { sink[static_cast<size_t>(begin) * 16] += 1; });
    }
  };
  calls();
  Emit("inference", "parallel_for/" + label, "latency_us", BestSeconds(5, calls) / 2000 * 1e6, "us");
}

struct Matrix {
  WeightView view;
  std::vector<std::byte> bytes;
  std::shared_ptr<const std::byte[]> packed;  // when view points into a PackForKernels copy
  int64_t size() const { return view.rows * view.row_bytes; }
};

// Random bytes with bit 14 of every 16-bit word cleared: halves, bf16 and f32 values (and block scales)
// stay finite and small; the kernels' speed does not depend on the values.
Matrix RandomMatrix(GgmlType type, int64_t rows, int64_t cols, std::mt19937_64& rng) {
  Matrix m;
  const int64_t row_bytes = RowBytes(type, cols).value();
  m.bytes.resize(static_cast<size_t>(rows * row_bytes));
  for (size_t i = 0; i + 8 <= m.bytes.size(); i += 8) {
    const uint64_t v = rng() & 0xBFFFBFFFBFFFBFFFull;
    std::memcpy(m.bytes.data() + i, &v, 8);
  }
  m.view = WeightView{type, rows, cols, m.bytes.data(), row_bytes};
  return m;
}

// `pack`: in the layout models load them in (PackForKernels: Q8_0/Q4_0 on AVX2), else as the GGUF file has them.
std::vector<Matrix> Layers(GgmlType type, int64_t min_bytes, bool pack, ComputePool& pool, std::mt19937_64& rng) {
  std::vector<Matrix> out;
  int64_t total = 0;
  while (total < min_bytes) {
    for (auto [rows, cols] : {std::pair{kHidden, kHidden}, {kHidden, kHidden}, {kHidden, kHidden}, {kHidden, kHidden},
                              {kFfn, kHidden}, {kFfn, kHidden}, {kHidden, kFfn}}) {
      Matrix m = RandomMatrix(type, rows, cols, rng);
      if (std::optional<PackedWeights> packed = pack ? PackForKernels(m.view, pool) : std::nullopt) {
        m.view = packed->view;
        m.packed = std::move(packed->bytes);
        m.bytes = {};
      }
      total += m.size();
      out.push_back(std::move(m));
    }
  }
  return out;
}

void BenchType(GgmlType type, const std::string& name, bool pack, double triad_gbs, ComputePool& pool,
               std::mt19937_64& rng) {
  const char* env_mb = std::getenv("CATENA_BENCH_MB");  // smaller: an in-cache (compute-bound) check
  std::vector<Matrix> layers =
      Layers(type, int64_t{env_mb != nullptr ? std::atoi(env_mb) : 512} << 20, pack, pool, rng);
  int64_t bytes = 0, params = 0;
  for (const Matrix& m : layers) bytes += m.size(), params += m.view.rows * m.view.cols;
  std::vector<float> x(static_cast<size_t>(kPrefillBatch * kFfn), 0.5f), y(static_cast<size_t>(kPrefillBatch * kFfn));
  std::normal_distribution<float> dist;
  for (float& v : x) v = dist(rng);
  auto sweep = [&] {
    for (const Matrix& m : layers) MatMul(m.view, x.data(), 1, y.data(), pool);
  };
  sweep();
  const double matvec_gbs = static_cast<double>(bytes) / BestSeconds(25, sweep) / 1e9;
  const std::string label = name + "/" + std::to_string(pool.threads()) + "t";
  Emit("inference", "matvec_" + label, "bandwidth_gb_per_s", matvec_gbs, "GB/s");
  Emit("inference", "matvec_" + label, "matvec_efficiency", matvec_gbs / triad_gbs, "ratio");
  // Batched decode: the same sweep with 16 activation rows (16 sequences' tokens); ideally as fast as one.
  auto sweep16 = [&] {
    for (const Matrix& m : layers) MatMul(m.view, x.data(), kDecodeBatch, y.data(), pool);
  };
  sweep16();
  const double time16 = BestSeconds(10, sweep16);
  Emit("inference", "decode16_" + label, "gflop_per_s", 2.0 * static_cast<double>(params) * kDecodeBatch / time16 / 1e9,
       "GFLOP/s");
  Emit("inference", "decode16_" + label, "time_vs_matvec", time16 * matvec_gbs / static_cast<double>(bytes) * 1e9,
       "ratio");
  // Prefill: one layer's 7 matrices at batch 512.
  auto prefill = [&] {
    for (size_t i = 0; i < 7; ++i) MatMul(layers[i].view, x.data(), kPrefillBatch, y.data(), pool);
  };
  int64_t layer_params = 0;
  for (size_t i = 0; i < 7; ++i) layer_params += layers[i].view.rows * layers[i].view.cols;
  const double flops = 2.0 * static_cast<double>(layer_params) * kPrefillBatch;
  const double gflops = flops / BestSeconds(5, prefill) / 1e9;
  Emit("inference", "prefill512_" + label, "gflop_per_s", gflops, "GFLOP/s");
  Emit("inference", "prefill512_" + label, "tok_per_s_134m", gflops * 1e9 / (2 * kParams134M), "tok/s");
  std::fprintf(stderr, "%s: %.0f MB of weights, %.1f M params\n", name.c_str(), bytes / 1e6, params / 1e6);
}

}  // namespace

int main() {
  const char* env_threads = std::getenv("CATENA_BENCH_THREADS");
  ComputePool pool(env_threads != nullptr ? std::atoi(env_threads) : 2);
  std::fprintf(stderr, "kernel isa: %s, %d threads\n", std::string(catena::inference::KernelIsa()).c_str(),
               pool.threads());
  const double triad_gbs = Triad(pool, std::to_string(pool.threads()) + "t");
  PoolOverhead(pool, std::to_string(pool.threads()) + "t");
  std::mt19937_64 rng(1);
  const std::pair<GgmlType, const char*> types[] = {{GgmlType::kF32, "f32"},   {GgmlType::kF16, "f16"},
                                                    {GgmlType::kBF16, "bf16"}, {GgmlType::kQ8_0, "q8_0"},
                                                    {GgmlType::kQ4_0, "q4_0"}, {GgmlType::kQ4_K, "q4_K"},
                                                    {GgmlType::kQ6_K, "q6_K"}};
  const char* only = std::getenv("CATENA_BENCH_TYPES");
  for (const auto& [type, name] : types) {
    if (only != nullptr && std::string(only).find(name) == std::string::npos) continue;
    BenchType(type, name, /*pack=*/true, triad_gbs, pool, rng);
    // Side by side: the GGUF layout, where the kernels read another layout faster.
    if (PackForKernels(RandomMatrix(type, 1, 256, rng).view, pool).has_value()) {
      BenchType(type, std::string(name) + "_gguf", /*pack=*/false, triad_gbs, pool, rng);
    }
  }
  return 0;
}
