// Conformance of the `device: cuda` Flat index with the CPU Flat index on random data: every metric, several
// k (up to past the row count), after upserts/replacements/removals, with broad and selective filters, batched
// (across the device's query chunks), after Save/Load, and on exact ties. Needs a CUDA device (see
// cuda_test_main.cc); scores may differ by float summation order, so ids may swap only between near-equal scores.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <random>
#include <set>

#include "retrieval/vector_index.h"
#include "tests/support/temp_dir.h"

namespace catena::retrieval {
namespace {

std::vector<float> RandomRows(size_t rows, int dimension, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0, 1);
  std::vector<float> values(rows * dimension);
  for (float& x : values) x = normal(rng);
  return values;
}

std::vector<int64_t> SparseIds(size_t count, int64_t first) {
  std::vector<int64_t> ids(count);
  for (size_t i = 0; i < count; ++i) ids[i] = first + static_cast<int64_t>(i) * 7;
  return ids;
}

// Both indexes with the same contents.
struct Pair {
  std::unique_ptr<VectorIndex> cpu;
  std::unique_ptr<VectorIndex> gpu;

  void Upsert(std::span<const int64_t> ids, std::span<const float> rows) {
    REQUIRE(cpu->Upsert(ids, rows).ok());
    REQUIRE(gpu->Upsert(ids, rows).ok());
  }
  void Remove(std::span<const int64_t> ids) {
    REQUIRE(cpu->Remove(ids).ok());
    REQUIRE(gpu->Remove(ids).ok());
  }
};

Pair MakePair(int dimension, Metric metric) {
  auto cpu = VectorIndex::Create({.dimension = dimension, .metric = metric});
  auto gpu = VectorIndex::Create({.dimension = dimension, .metric = metric, .device = IndexDevice::kCuda});
  REQUIRE(cpu.ok());
  REQUIRE(gpu.ok());
  return {*std::move(cpu), *std::move(gpu)};
}

// Same length, scores equal up to `tolerance` position by position, and any id the CPU did not return scored
// within tolerance of the CPU's last (a tie at the cut).
void ExpectSame(const std::vector<ScoredId>& cpu, const std::vector<ScoredId>& gpu) {
  REQUIRE(gpu.size() == cpu.size());
  if (cpu.empty()) return;
  std::set<int64_t> cpu_ids;
  for (const ScoredId& hit : cpu) cpu_ids.insert(hit.id);
  std::set<int64_t> gpu_ids;
  for (size_t j = 0; j < cpu.size(); ++j) {
    const float tolerance = 1e-4f * (1 + std::fabs(cpu[j].score));
    CHECK(gpu[j].score == Approx(cpu[j].score).margin(tolerance));
    if (!cpu_ids.contains(gpu[j].id)) CHECK(gpu[j].score == Approx(cpu.back().score).margin(tolerance));
    gpu_ids.insert(gpu[j].id);
  }
  CHECK(gpu_ids.size() == gpu.size());  // no id twice
}

void CompareSearches(const Pair& pair, std::span<const float> queries, const IndexSearchParams& params) {
  auto cpu_batch = pair.cpu->SearchBatch(queries, params);
  auto gpu_batch = pair.gpu->SearchBatch(queries, params);
  REQUIRE(cpu_batch.ok());
  REQUIRE(gpu_batch.ok());
  REQUIRE(cpu_batch->size() == gpu_batch->size());
  for (size_t q = 0; q < cpu_batch->size(); ++q) ExpectSame((*cpu_batch)[q], (*gpu_batch)[q]);
}

void CompareEachQuery(const Pair& pair, std::span<const float> queries, int dimension,
                      const IndexSearchParams& params) {
  for (size_t begin = 0; begin < queries.size(); begin += dimension) {
    const auto query = queries.subspan(begin, dimension);
    auto cpu = pair.cpu->Search(query, params);
    auto gpu = pair.gpu->Search(query, params);
    REQUIRE(cpu.ok());
    REQUIRE(gpu.ok());
    ExpectSame(*cpu, *gpu);
  }
}

TEST_CASE("cuda flat search matches the cpu flat index for every metric and k", "[gpu]") {
  for (int dimension : {64, 37}) {
    const std::vector<int64_t> ids = SparseIds(3000, 5);
    const std::vector<float> rows = RandomRows(ids.size(), dimension, 1);
    const std::vector<float> queries = RandomRows(12, dimension, 2);
    for (Metric metric : {Metric::kCosine, Metric::kInnerProduct, Metric::kL2}) {
      INFO("dimension " << dimension << ", metric " << MetricName(metric));
      Pair pair = MakePair(dimension, metric);
      pair.Upsert(ids, rows);
      REQUIRE(pair.gpu->size() == ids.size());
      for (int k : {1, 10, 257, 3000, 5000}) {
        INFO("k " << k);
        CompareEachQuery(pair, queries, dimension, {.k = k});
        CompareSearches(pair, queries, {.k = k});
      }
    }
  }
}

TEST_CASE("cuda flat search stays equal after upserts, replacements and removals", "[gpu]") {
  constexpr int kDimension = 48;
  for (Metric metric : {Metric::kCosine, Metric::kL2}) {
    Pair pair = MakePair(kDimension, metric);
    const std::vector<int64_t> ids = SparseIds(4000, 1);
    pair.Upsert(ids, RandomRows(ids.size(), kDimension, 3));
    // Replace every third id, remove a scattered quarter (plus unknown ids), then add fresh ids in small batches.
    std::vector<int64_t> replaced, removed = {-1, 999999};
    for (size_t i = 0; i < ids.size(); ++i) (i % 3 == 0 ? replaced : removed).push_back(ids[i]);
    removed.resize(removed.size() / 3);
    pair.Upsert(replaced, RandomRows(replaced.size(), kDimension, 4));
    pair.Remove(removed);
    for (int batch = 0; batch < 5; ++batch) {
      const std::vector<int64_t> fresh = SparseIds(77, 100000 + batch * 1000);
      pair.Upsert(fresh, RandomRows(fresh.size(), kDimension, 10 + batch));
    }
    pair.Remove(std::vector<int64_t>(ids.begin(), ids.begin() + 50));
    REQUIRE(pair.gpu->size() == pair.cpu->size());
    const std::vector<float> queries = RandomRows(20, kDimension, 5);
    CompareEachQuery(pair, queries, kDimension, {.k = 10});
    CompareSearches(pair, queries, {.k = 100});
    REQUIRE(pair.gpu->Vector(ids[300]).has_value());  // replaced, kept
    CHECK(pair.gpu->Vector(ids[300]) == pair.cpu->Vector(ids[300]));
    CHECK_FALSE(pair.gpu->Vector(ids[1]).has_value());
  }
}

TEST_CASE("cuda flat search applies broad and selective filters like the cpu index", "[gpu]") {
  constexpr int kDimension = 32;
  Pair pair = MakePair(kDimension, Metric::kInnerProduct);
  const std::vector<int64_t> ids = SparseIds(5000, 3);
  pair.Upsert(ids, RandomRows(ids.size(), kDimension, 6));
  const std::vector<float> queries = RandomRows(16, kDimension, 7);
  for (size_t every : {2, 150, 2500}) {  // half the ids (on the device), a few dozen and two (exact on the host)
    IdBitset filter;
    for (size_t i = 0; i < ids.size(); i += every) filter.Insert(ids[i]);
    INFO("filter passes " << filter.Count());
    CompareEachQuery(pair, queries, kDimension, {.k = 10, .filter = &filter});
    CompareSearches(pair, queries, {.k = 40, .filter = &filter});
  }
}

TEST_CASE("cuda flat batches larger than one device chunk keep every query's results", "[gpu]") {
  constexpr int kDimension = 16;
  Pair pair = MakePair(kDimension, Metric::kL2);
  const std::vector<int64_t> ids = SparseIds(2000, 0);
  pair.Upsert(ids, RandomRows(ids.size(), kDimension, 8));
  CompareSearches(pair, RandomRows(4500, kDimension, 9), {.k = 5});  // device chunks hold 4096 queries
}

TEST_CASE("cuda flat index saves and loads like the cpu index", "[gpu]") {
  constexpr int kDimension = 24;
  testing::TempDir dir("cuda-flat");
  Pair pair = MakePair(kDimension, Metric::kCosine);
  const std::vector<int64_t> ids = SparseIds(1500, 2);
  pair.Upsert(ids, RandomRows(ids.size(), kDimension, 11));
  REQUIRE(pair.gpu->Save(dir.path() / "gpu.index").ok());
  auto loaded = VectorIndex::Load(dir.path() / "gpu.index",
                                  {.dimension = kDimension, .metric = Metric::kCosine, .device = IndexDevice::kCuda});
  REQUIRE(loaded.ok());
  pair.gpu = *std::move(loaded);
  REQUIRE(pair.gpu->size() == ids.size());
  CompareSearches(pair, RandomRows(10, kDimension, 12), {.k = 10});
}

TEST_CASE("cuda flat search returns k distinct ids on exact ties and nothing when empty", "[gpu]") {
  constexpr int kDimension = 8;
  Pair pair = MakePair(kDimension, Metric::kInnerProduct);
  const std::vector<float> query(kDimension, 1.0f);
  auto empty = pair.gpu->Search(query, {.k = 5});
  REQUIRE(empty.ok());
  CHECK(empty->empty());
  const std::vector<int64_t> ids = SparseIds(1000, 0);
  std::vector<float> rows(ids.size() * kDimension, 0.5f);
  pair.Upsert(ids, rows);
  auto tied = pair.gpu->Search(query, {.k = 10});
  REQUIRE(tied.ok());
  REQUIRE(tied->size() == 10);
  std::set<int64_t> distinct;
  for (const ScoredId& hit : *tied) {
    CHECK(hit.score == Approx(4.0f));
    CHECK(std::binary_search(ids.begin(), ids.end(), hit.id));
    distinct.insert(hit.id);
  }
  CHECK(distinct.size() == 10);
}

}  // namespace
}  // namespace catena::retrieval
