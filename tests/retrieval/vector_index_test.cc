#include "retrieval/vector_index.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <set>
#include <thread>

#include "retrieval/hnsw_index.h"

namespace catena::retrieval {
namespace {

// Seeded clustered data: `clusters` Gaussian centers, points scattered around them.
struct Dataset {
  int dimension = 0;
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  const float* row(size_t i) const { return vectors.data() + i * dimension; }
};

Dataset Clustered(size_t n, int dimension, uint32_t seed, int clusters = 20) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0, 1);
  std::vector<float> centers(clusters * dimension);
  for (float& x : centers) x = normal(rng);
  Dataset data{dimension, {}, {}};
  for (size_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(rng() % clusters);
    data.ids.push_back(static_cast<int64_t>(i * 3 + 1));  // sparse, non-contiguous ids
    for (int d = 0; d < dimension; ++d) data.vectors.push_back(centers[c * dimension + d] + 0.4f * normal(rng));
  }
  return data;
}

// Independent double-precision reference score.
double ReferenceScore(const float* a, const float* b, int dimension, Metric metric) {
  double dot = 0, na = 0, nb = 0, l2 = 0;
  for (int d = 0; d < dimension; ++d) {
    dot += double{a[d]} * b[d];
    na += double{a[d]} * a[d];
    nb += double{b[d]} * b[d];
    l2 += (double{a[d]} - b[d]) * (double{a[d]} - b[d]);
  }
  if (metric == Metric::kCosine) return dot / std::sqrt(na * nb);
  return metric == Metric::kInnerProduct ? dot : -l2;
}

// Brute-force top-k ids (best first) among rows passing `filter`.
std::vector<int64_t> BruteForce(const Dataset& data, const float* query, int k, Metric metric,
                                const IdFilter* filter = nullptr) {
  std::vector<std::pair<double, int64_t>> all;
  for (size_t i = 0; i < data.ids.size(); ++i) {
    if (filter != nullptr && !filter->Contains(data.ids[i])) continue;
    all.push_back({ReferenceScore(query, data.row(i), data.dimension, metric), data.ids[i]});
  }
  const size_t top = std::min<size_t>(k, all.size());
  std::partial_sort(all.begin(), all.begin() + top, all.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<int64_t> ids;
  for (size_t i = 0; i < top; ++i) ids.push_back(all[i].second);
  return ids;
}

std::vector<int64_t> IdsOf(const std::vector<ScoredId>& results) {
  std::vector<int64_t> ids;
  for (const auto& r : results) ids.push_back(r.id);
  return ids;
}

double Overlap(const std::vector<int64_t>& got, const std::vector<int64_t>& truth) {
  if (truth.empty()) return 1.0;
  const std::set<int64_t> expected(truth.begin(), truth.end());
  size_t hits = 0;
  for (int64_t id : got) hits += expected.count(id);
  return static_cast<double>(hits) / static_cast<double>(truth.size());
}

std::unique_ptr<VectorIndex> Build(const VectorIndexSpec& spec, const Dataset& data) {
  auto index = VectorIndex::Create(spec);
  REQUIRE(index.ok());
  REQUIRE((*index)->Upsert(data.ids, data.vectors).ok());
  return std::move(*index);
}

// Mean recall@k of `index` over `queries` against brute force.
double Recall(const VectorIndex& index, const Dataset& data, const Dataset& queries, Metric metric,
              IndexSearchParams params) {
  double sum = 0;
  for (size_t q = 0; q < queries.ids.size(); ++q) {
    auto got = index.Search(std::span<const float>(queries.row(q), queries.dimension), params);
    REQUIRE(got.ok());
    for (const auto& r : *got) REQUIRE((params.filter == nullptr || params.filter->Contains(r.id)));
    sum += Overlap(IdsOf(*got), BruteForce(data, queries.row(q), params.k, metric, params.filter));
  }
  return sum / static_cast<double>(queries.ids.size());
}

TEST_CASE("flat search returns exactly the brute-force top-k in order for every metric", "[unit]") {
  const Dataset data = Clustered(2000, 32, 1);
  const Dataset queries = Clustered(20, 32, 2);
  for (Metric metric : {Metric::kCosine, Metric::kInnerProduct, Metric::kL2}) {
    auto index = Build({32, metric, "Flat"}, data);
    for (size_t q = 0; q < queries.ids.size(); ++q) {
      auto got = index->Search(std::span<const float>(queries.row(q), 32), {.k = 10});
      REQUIRE(got.ok());
      CHECK(IdsOf(*got) == BruteForce(data, queries.row(q), 10, metric));
    }
    auto batch = index->SearchBatch(queries.vectors, {.k = 10});
    REQUIRE(batch.ok());
    REQUIRE(batch->size() == queries.ids.size());
    for (size_t q = 0; q < queries.ids.size(); ++q)
      CHECK(IdsOf((*batch)[q]) == BruteForce(data, queries.row(q), 10, metric));
  }
}

TEST_CASE("each metric scores a hand-computed pair", "[unit]") {
  const std::vector<int64_t> ids = {1};
  const std::vector<float> stored = {3, 4};
  const std::vector<float> query = {1, 0};
  for (const std::string kind : {"Flat", "HNSW8"}) {
    const std::pair<Metric, float> cases[] = {
        {Metric::kCosine, 0.6f}, {Metric::kInnerProduct, 3.0f}, {Metric::kL2, -20.0f}};
    for (const auto& [metric, expected] : cases) {
      auto index = VectorIndex::Create({2, metric, kind});
      REQUIRE(index.ok());
      REQUIRE((*index)->Upsert(ids, stored).ok());
      auto got = (*index)->Search(query, {.k = 5});
      REQUIRE(got.ok());
      REQUIRE(got->size() == 1);
      CHECK((*got)[0].score == Approx(expected).epsilon(1e-5));
    }
  }
  auto cosine = VectorIndex::Create({2, Metric::kCosine, "Flat"});
  REQUIRE((*cosine)->Upsert(ids, stored).ok());
  CHECK(*(*cosine)->Vector(1) == std::vector<float>{0.6f, 0.8f});
  CHECK_FALSE((*cosine)->Vector(2).has_value());
}

TEST_CASE("hnsw reaches recall@10 of 0.95 against brute force", "[unit]") {
  const Dataset data = Clustered(5000, 32, 3);
  const Dataset queries = Clustered(100, 32, 4);
  for (Metric metric : {Metric::kCosine, Metric::kL2}) {
    auto index = Build({32, metric, "HNSW32"}, data);
    CHECK(index->trained());
    // Points inside a cluster are isotropic 32-d noise (low neighbour contrast): ef 64 gives ~0.95, 128 more.
    CHECK(Recall(*index, data, queries, metric, {.k = 10, .ef_search = 128}) >= 0.95);
  }
}

TEST_CASE("untrained ivf searches exactly and trains once enough vectors arrived", "[unit]") {
  const Dataset data = Clustered(5000, 32, 5);
  const Dataset queries = Clustered(50, 32, 6);
  auto created = VectorIndex::Create({32, Metric::kCosine, "IVF32,Flat"});
  REQUIRE(created.ok());
  auto& index = **created;
  const auto half = std::span<const int64_t>(data.ids).first(600);
  REQUIRE(index.Upsert(half, std::span<const float>(data.vectors).first(600 * 32)).ok());
  CHECK_FALSE(index.trained());
  Dataset first{32, {half.begin(), half.end()}, {data.vectors.begin(), data.vectors.begin() + 600 * 32}};
  for (size_t q = 0; q < 10; ++q) {
    auto got = index.Search(std::span<const float>(queries.row(q), 32), {.k = 10, .nprobe = 1});
    CHECK(IdsOf(*got) == BruteForce(first, queries.row(q), 10, Metric::kCosine));
  }
  REQUIRE(index.Upsert(data.ids, data.vectors).ok());
  CHECK(index.trained());
  CHECK(index.size() == 5000);
  CHECK(Recall(index, data, queries, Metric::kCosine, {.k = 10, .nprobe = 8}) >= 0.9);
}

TEST_CASE("ivf pq, pq and sq8 reach recall@10 of 0.9 with exact re-ranking", "[unit]") {
  const Dataset data = Clustered(5000, 32, 7);
  const Dataset queries = Clustered(50, 32, 8);
  for (const std::string kind : {"IVF32,PQ8", "IVF32,SQ8", "PQ8", "SQ8"}) {
    INFO(kind);
    auto index = Build({32, Metric::kL2, kind}, data);
    CHECK(index->trained());
    CHECK(Recall(*index, data, queries, Metric::kL2, {.k = 10, .nprobe = 16}) >= 0.9);
  }
}

TEST_CASE("upsert replaces a vector and remove forgets ids", "[unit]") {
  const Dataset data = Clustered(3000, 16, 9);
  for (const std::string kind : {"Flat", "HNSW16", "IVF16,Flat", "IVF16,PQ4"}) {
    INFO(kind);
    auto index = Build({16, Metric::kCosine, kind}, data);
    const int64_t id = data.ids[10];
    const std::vector<float> old_vector(data.row(10), data.row(10) + 16);
    std::vector<float> fresh(16, 0.0f);
    fresh[3] = -5;  // far from every cluster's direction
    REQUIRE(index->Upsert(std::span<const int64_t>(&id, 1), fresh).ok());
    CHECK(index->size() == 3000);
    auto near_fresh = index->Search(fresh, {.k = 1, .nprobe = 16});
    REQUIRE(near_fresh.ok());
    CHECK((*near_fresh)[0].id == id);
    CHECK((*near_fresh)[0].score == Approx(1.0f).epsilon(1e-4));
    const auto near_old = IdsOf(*index->Search(old_vector, {.k = 10, .nprobe = 16}));
    CHECK(std::count(near_old.begin(), near_old.end(), id) == 0);

    const std::vector<int64_t> gone = {id, data.ids[11], 999999};
    REQUIRE(index->Remove(gone).ok());
    CHECK(index->size() == 2998);
    CHECK_FALSE(index->Vector(id).has_value());
    auto after = index->Search(std::span<const float>(data.row(11), 16), {.k = 10, .nprobe = 16});
    for (const auto& r : *after) CHECK((r.id != id && r.id != data.ids[11]));
  }
}

TEST_CASE("filtered search returns only passing ids with recall 0.95 at 1% and 10% selectivity", "[unit]") {
  const Dataset data = Clustered(5000, 32, 10);
  const Dataset queries = Clustered(40, 32, 11);
  std::mt19937 rng(12);
  for (int percent : {1, 10}) {
    IdBitset filter;
    for (int64_t id : data.ids) {
      if (static_cast<int>(rng() % 100) < percent) filter.Insert(id);
    }
    for (const std::string kind : {"Flat", "HNSW16", "IVF32,Flat", "IVF32,PQ8", "SQ8"}) {
      INFO(kind << " at " << percent << "%");
      auto index = Build({32, Metric::kCosine, kind}, data);
      CHECK(Recall(*index, data, queries, Metric::kCosine, {.k = 10, .nprobe = 16, .filter = &filter}) >= 0.95);
    }
  }
}

TEST_CASE("save and load give identical results", "[unit]") {
  const Dataset data = Clustered(3000, 16, 13);
  const Dataset queries = Clustered(20, 16, 14);
  const auto dir = std::filesystem::temp_directory_path() / ("catena_vector_index_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const std::string kind : {"Flat", "HNSW16", "IVF16,PQ4", "IVF128,Flat"}) {  // the last stays untrained
    INFO(kind);
    const VectorIndexSpec spec{16, Metric::kInnerProduct, kind};
    auto index = Build(spec, data);
    REQUIRE(index->Save(dir / "index").ok());
    auto loaded = VectorIndex::Load(dir / "index", spec);
    REQUIRE(loaded.ok());
    CHECK((*loaded)->size() == index->size());
    CHECK((*loaded)->trained() == index->trained());
    auto a = index->SearchBatch(queries.vectors, {.k = 10, .nprobe = 4});
    auto b = (*loaded)->SearchBatch(queries.vectors, {.k = 10, .nprobe = 4});
    REQUIRE((a.ok() && b.ok()));
    CHECK(*a == *b);
    auto mismatch = VectorIndex::Load(dir / "index", {16, Metric::kL2, kind});
    CHECK(mismatch.status().code() == absl::StatusCode::kFailedPrecondition);
  }
  CHECK(VectorIndex::Load(dir / "missing", {16, Metric::kL2, "Flat"}).status().code() == absl::StatusCode::kNotFound);
  std::filesystem::remove_all(dir);
}

TEST_CASE("bad specs are invalid arguments that say what is wrong", "[unit]") {
  auto pq = VectorIndex::Create({384, Metric::kCosine, "IVF1024,PQ33"});
  CHECK(pq.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(pq.status().message() == "index \"IVF1024,PQ33\": PQ33 needs the dimension (384) divisible by 33");
  auto unknown = VectorIndex::Create({8, Metric::kCosine, "LSH"});
  CHECK(unknown.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(unknown.status().message()), Catch::Contains("supported forms: Flat, HNSW<M>"));
  CHECK(VectorIndex::Create({0, Metric::kCosine, "Flat"}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(VectorIndex::Create({70000, Metric::kCosine, "Flat"}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(VectorIndex::Create({8, Metric::kCosine, "HNSW2"}).status().message()),
             Catch::Contains("4..128, got 2"));
  for (const std::string bad : {"IVF,Flat", "IVF16,Foo", "IVF16,Flat,Flat", "HNSWx", "IVF0,Flat"}) {
    INFO(bad);
    CHECK(VectorIndex::Create({8, Metric::kCosine, bad}).status().code() == absl::StatusCode::kInvalidArgument);
  }
  CHECK(VectorIndex::Create({8, Metric::kCosine, "IVF16,SQ8"}).ok());
}

TEST_CASE("bad vectors and queries are invalid arguments naming expected and got", "[unit]") {
  for (const std::string kind : {"Flat", "HNSW8", "IVF4,Flat"}) {
    auto index = *VectorIndex::Create({4, Metric::kCosine, kind});
    const std::vector<int64_t> ids = {1, 2};
    auto short_vectors = index->Upsert(ids, std::vector<float>(7, 1.0f));
    CHECK(short_vectors.code() == absl::StatusCode::kInvalidArgument);
    CHECK(short_vectors.message() == "vectors: expected 2 x 4 = 8 floats, got 7");
    std::vector<float> with_nan(8, 1.0f);
    with_nan[6] = std::numeric_limits<float>::quiet_NaN();
    CHECK_THAT(std::string(index->Upsert(ids, with_nan).message()),
               Catch::Contains("id 2) has a non-finite value at position 2"));
    CHECK(index->Upsert(std::vector<int64_t>{-1}, std::vector<float>(4, 1.0f)).code() ==
          absl::StatusCode::kInvalidArgument);
    CHECK(index->size() == 0);
    auto query = index->Search(std::vector<float>(3, 1.0f), {});
    CHECK(query.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(query.status().message() == "query: expected 4 floats (the dimension), got 3");
    CHECK(index->Search(std::vector<float>(4, std::numeric_limits<float>::infinity()), {}).status().code() ==
          absl::StatusCode::kInvalidArgument);
    CHECK(index->Search(std::vector<float>(4, 1.0f), {.k = 0}).status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(index->SearchBatch(std::vector<float>(6, 1.0f), {}).status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("generic and avx2 hnsw graph builds both find the true neighbours", "[unit]") {
  const Dataset data = Clustered(3000, 24, 15);
  const Dataset queries = Clustered(40, 24, 16);
  std::vector<std::unique_ptr<HnswGraph>> graphs;
  graphs.push_back(MakeHnswGraphGeneric({.dimension = 24, .inner_product = false, .m = 16}));
  if (HnswUsesAvx2()) graphs.push_back(MakeHnswGraphAvx2({.dimension = 24, .inner_product = false, .m = 16}));
  for (auto& graph : graphs) {
    for (size_t i = 0; i < data.ids.size(); ++i) graph->Add(data.row(i), data.ids[i]);  // grows past 1024
    double recall = 0;
    for (size_t q = 0; q < queries.ids.size(); ++q) {
      std::vector<int64_t> got;
      for (const auto& [distance, id] : graph->Search(queries.row(q), 10, 128)) got.push_back(id);
      recall += Overlap(got, BruteForce(data, queries.row(q), 10, Metric::kL2));
    }
    CHECK(recall / static_cast<double>(queries.ids.size()) >= 0.95);
  }
}

TEST_CASE("searches run concurrently with upserts and removes", "[unit]") {
  const Dataset data = Clustered(2000, 16, 17);
  for (const std::string kind : {"Flat", "HNSW16", "IVF16,Flat"}) {
    INFO(kind);
    auto index = Build({16, Metric::kCosine, kind}, data);
    std::atomic<bool> stop = false;
    std::atomic<int> bad = 0;
    std::vector<std::thread> readers;
    for (int t = 0; t < 3; ++t) {
      readers.emplace_back([&, t] {
        for (size_t q = t; !stop; q = (q + 7) % data.ids.size()) {
          auto got = index->Search(std::span<const float>(data.row(q), 16), {.k = 5});
          if (!got.ok() || got->empty() || (*got)[0].id % 3 != 1) bad++;
        }
      });
    }
    for (size_t i = 0; i < 100; ++i) {  // rewrite and remove-then-restore ids while readers run
      const int64_t id = data.ids[i];
      REQUIRE(index->Upsert(std::span<const int64_t>(&id, 1), std::span<const float>(data.row(i + 1), 16)).ok());
      REQUIRE(index->Remove(std::span<const int64_t>(&id, 1)).ok());
      REQUIRE(index->Upsert(std::span<const int64_t>(&id, 1), std::span<const float>(data.row(i), 16)).ok());
    }
    stop = true;
    for (auto& reader : readers) reader.join();
    CHECK(bad == 0);
    CHECK(index->size() == data.ids.size());
  }
}

}  // namespace
}  // namespace catena::retrieval
