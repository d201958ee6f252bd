// gpu_knn_bench (issue 10 item 4): exact Flat k-NN queries/s on 1M x 768 random vectors (N scaled by
// CATENA_BENCH_SCALE), the `device: cuda` Flat index against the CPU Flat index in the same run: one query per
// call (b1) and 64 per call (b64), k = 10, cosine; the ratio of the two, and the share of the CPU's top-10 ids
// the GPU returned. Every line names its device. Without a CUDA device it says why on stderr and prints nothing.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "retrieval/vector_index.h"

namespace catena::bench {
namespace {

using retrieval::IndexDevice;
using retrieval::ScoredId;
using retrieval::VectorIndex;

constexpr char kBench[] = "gpu";
constexpr int kDimension = 768;
constexpr int kK = 10;
constexpr size_t kBatch = 64;
constexpr size_t kUpsertRows = 65536;

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// rows x kDimension floats uniform in [-1, 1), from `seed`, filled by all cores (same values for any core count).
std::vector<float> RandomRows(size_t rows, uint64_t seed) {
  std::vector<float> values(rows * kDimension);
  constexpr size_t kBlock = size_t{1} << 20;  // floats per independently seeded block
  const size_t blocks = (values.size() + kBlock - 1) / kBlock;
  const size_t threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (size_t b = t; b < blocks; b += threads) {
        uint64_t state = seed * 0x100000001B3ull + b;
        const size_t end = std::min(values.size(), (b + 1) * kBlock);
        for (size_t i = b * kBlock; i < end; ++i) {
          values[i] = static_cast<float>(SplitMix64(state) >> 40) * (2.0f / 16777216.0f) - 1.0f;
        }
      }
    });
  }
  for (std::thread& thread : pool) thread.join();
  return values;
}

std::string CpuName() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
      return line.substr(line.find(':') + 2) + " x" + std::to_string(std::thread::hardware_concurrency());
    }
  }
  return "cpu";
}

std::unique_ptr<VectorIndex> Build(IndexDevice device, const std::vector<float>& rows) {
  auto index = VectorIndex::Create({.dimension = kDimension, .device = device});
  if (!index.ok()) {
    std::fprintf(stderr, "gpu_knn_bench: %s\n", index.status().ToString().c_str());
    std::exit(1);
  }
  const Clock::time_point start = Clock::now();
  const size_t count = rows.size() / kDimension;
  for (size_t begin = 0; begin < count; begin += kUpsertRows) {
    const size_t n = std::min(kUpsertRows, count - begin);
    std::vector<int64_t> ids(n);
    for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(begin + i);
    const absl::Status status =
        (*index)->Upsert(ids, std::span<const float>(rows).subspan(begin * kDimension, n * kDimension));
    if (!status.ok()) {
      std::fprintf(stderr, "gpu_knn_bench: upsert: %s\n", status.ToString().c_str());
      std::exit(1);
    }
  }
  std::fprintf(stderr, "gpu_knn_bench: %s index of %zu rows built in %.1f s\n",
               std::string(retrieval::IndexDeviceName(device)).c_str(), count, Seconds(start));
  return *std::move(index);
}

// Queries/s of `index` answering `queries` `batch` at a time, cycling for at least `seconds` (and 3 calls).
double MeasureQps(const VectorIndex& index, const std::vector<float>& queries, size_t batch, double seconds) {
  const size_t available = queries.size() / kDimension / batch;
  size_t calls = 0;
  const Clock::time_point start = Clock::now();
  while (calls < 3 || Seconds(start) < seconds) {
    const auto slice =
        std::span<const float>(queries).subspan((calls % available) * batch * kDimension, batch * kDimension);
    const absl::Status status =
        batch == 1 ? index.Search(slice, {.k = kK}).status() : index.SearchBatch(slice, {.k = kK}).status();
    if (!status.ok()) {
      std::fprintf(stderr, "gpu_knn_bench: search: %s\n", status.ToString().c_str());
      std::exit(1);
    }
    ++calls;
  }
  return static_cast<double>(calls * batch) / Seconds(start);
}

// Share of the CPU's top-k ids that the GPU also returned, over one batch of queries.
double Agreement(const VectorIndex& cpu, const VectorIndex& gpu, const std::vector<float>& queries) {
  const auto batch = std::span<const float>(queries).subspan(0, kBatch * kDimension);
  auto expected = cpu.SearchBatch(batch, {.k = kK});
  auto got = gpu.SearchBatch(batch, {.k = kK});
  if (!expected.ok() || !got.ok()) return 0;
  size_t same = 0, total = 0;
  for (size_t q = 0; q < expected->size(); ++q) {
    std::set<int64_t> ids;
    for (const ScoredId& hit : (*got)[q]) ids.insert(hit.id);
    for (const ScoredId& hit : (*expected)[q]) same += ids.count(hit.id);
    total += (*expected)[q].size();
  }
  return total == 0 ? 0 : static_cast<double>(same) / static_cast<double>(total);
}

int Run() {
  absl::StatusOr<std::string> gpu_name = retrieval::CudaDeviceName();
  if (!gpu_name.ok()) {
    std::fprintf(stderr, "gpu_knn_bench: no CUDA device (%s); nothing measured\n",
                 std::string(gpu_name.status().message()).c_str());
    return 0;
  }
  const double scale = std::clamp(std::stod(EnvOr("CATENA_BENCH_SCALE", "1")), 0.0, 1.0);
  const size_t rows = std::max<size_t>(1000, static_cast<size_t>(1e6 * scale));
  const std::string prefix = rows == 1000000 ? "flat_1m_768" : "flat_" + std::to_string(rows) + "_768";
  const std::string cpu_name = CpuName();
  Clock::time_point start = Clock::now();
  const std::vector<float> data = RandomRows(rows, 1);
  const std::vector<float> queries = RandomRows(8 * kBatch, 2);
  std::fprintf(stderr, "gpu_knn_bench: %zu x %d vectors generated in %.1f s\n", rows, kDimension, Seconds(start));
  const std::unique_ptr<VectorIndex> cpu = Build(IndexDevice::kCpu, data);
  const std::unique_ptr<VectorIndex> gpu = Build(IndexDevice::kCuda, data);
  for (size_t batch : {size_t{1}, kBatch}) {
    const std::string suffix = "_b" + std::to_string(batch);
    MeasureQps(*gpu, queries, batch, 0.2);  // warm-up: workspace allocation, cuBLAS kernels
    const double gpu_qps = MeasureQps(*gpu, queries, batch, 2.0);
    const double cpu_qps = MeasureQps(*cpu, queries, batch, 2.0);
    Emit(kBench, prefix + "/cuda" + suffix, "knn_qps", gpu_qps, "1/s", *gpu_name);
    Emit(kBench, prefix + "/cpu" + suffix, "knn_qps", cpu_qps, "1/s", cpu_name);
    Emit(kBench, prefix + "/cuda_vs_cpu" + suffix, "knn_qps_ratio", gpu_qps / cpu_qps, "x", *gpu_name);
  }
  Emit(kBench, prefix + "/cuda_b64", "top10_agreement", Agreement(*cpu, *gpu, queries), "fraction", *gpu_name);
  return 0;
}

}  // namespace
}  // namespace catena::bench

int main() { return catena::bench::Run(); }
