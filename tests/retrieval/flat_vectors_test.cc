// FlatVectorStore::Search (bounded int8 scan + exact re-scoring) against a double-precision brute force.
#include "retrieval/flat_vectors.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <set>
#include <sstream>
#include <unordered_map>

#include "retrieval/int8_rows.h"
#include "retrieval/vector_index.h"

namespace catena::retrieval {
namespace {

constexpr double kTolerance = 1e-5;

// Rows of about unit norm: uniform Gaussian, or tight clusters (many nearly equal scores).
std::vector<float> MakeRows(size_t n, int dimension, bool clustered, std::mt19937& rng) {
  std::normal_distribution<float> normal(0, 1.0f / std::sqrt(static_cast<float>(dimension)));
  std::vector<float> centers(8 * dimension);
  for (float& x : centers) x = normal(rng);
  std::vector<float> rows(n * dimension);
  for (size_t i = 0; i < n; ++i) {
    const size_t c = rng() % 8;
    for (int d = 0; d < dimension; ++d) {
      rows[i * dimension + d] = clustered ? centers[c * dimension + d] + 0.02f * normal(rng) : normal(rng);
    }
  }
  return rows;
}

double Reference(const float* a, const float* b, int dimension, Metric metric) {
  double dot = 0, l2 = 0;
  for (int d = 0; d < dimension; ++d) {
    dot += double{a[d]} * b[d];
    l2 += (double{a[d]} - b[d]) * (double{a[d]} - b[d]);
  }
  return metric == Metric::kL2 ? -l2 : dot;
}

// Checks store.Search against the brute force: the i-th score equals the i-th best reference score, every
// returned id passes the filter, appears once and has that reference score (so ties may come in any order).
void CheckSearch(const FlatVectorStore& store, const float* query, int k, const IdFilter* filter) {
  std::vector<double> reference;
  std::unordered_map<int64_t, double> by_id;
  for (int64_t id : store.ids()) {
    if (filter != nullptr && !filter->Contains(id)) continue;
    const double score = Reference(query, store.Row(id).data(), store.dimension(), store.metric());
    reference.push_back(score);
    by_id[id] = score;
  }
  std::sort(reference.rbegin(), reference.rend());
  const std::vector<ScoredId> got = store.Search(query, k, filter);
  REQUIRE(got.size() == std::min<size_t>(static_cast<size_t>(k), reference.size()));
  std::set<int64_t> seen;
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("rank " << i << " id " << got[i].id);
    REQUIRE(by_id.contains(got[i].id));
    CHECK(seen.insert(got[i].id).second);
    CHECK(std::fabs(got[i].score - reference[i]) <= kTolerance);
    CHECK(std::fabs(got[i].score - by_id[got[i].id]) <= kTolerance);
    if (i > 0) CHECK(got[i - 1].score >= got[i].score);
  }
}

IdBitset RandomFilter(std::span<const int64_t> ids, int percent, std::mt19937& rng) {
  IdBitset filter;
  for (int64_t id : ids) {
    if (static_cast<int>(rng() % 100) < percent) filter.Insert(id);
  }
  return filter;
}

// Queries near stored rows (the hard case: a few very close scores) and fresh ones, every k and filter.
void CheckAllQueries(const FlatVectorStore& store, bool clustered, std::mt19937& rng) {
  const int dimension = store.dimension();
  std::vector<float> queries = MakeRows(4, dimension, clustered, rng);
  for (size_t q = 0; q < 2 && q < store.size(); ++q) {
    const auto row = store.Row(store.ids()[rng() % store.size()]);
    for (int d = 0; d < dimension; ++d) queries[q * dimension + d] = row[d] + 0.001f * (queries[q * dimension + d]);
  }
  if (store.metric() == Metric::kCosine) {
    for (size_t q = 0; q < 4; ++q) NormalizeInPlace(std::span<float>(queries).subspan(q * dimension, dimension));
  }
  const IdBitset one_percent = RandomFilter(store.ids(), 1, rng);
  const IdBitset half = RandomFilter(store.ids(), 50, rng);
  for (size_t q = 0; q < 4; ++q) {
    for (int k : {1, 10, static_cast<int>(store.size()) + 5}) {
      CheckSearch(store, queries.data() + q * dimension, k, nullptr);
      CheckSearch(store, queries.data() + q * dimension, k, &one_percent);
      CheckSearch(store, queries.data() + q * dimension, k, &half);
    }
  }
}

void PutAll(FlatVectorStore& store, std::span<const float> rows, int64_t first_id) {
  const int dimension = store.dimension();
  std::vector<float> row(dimension);
  for (size_t i = 0; i < rows.size() / dimension; ++i) {
    std::copy_n(rows.begin() + i * dimension, dimension, row.begin());
    if (store.metric() == Metric::kCosine) NormalizeInPlace(row);
    store.Put(first_id + static_cast<int64_t>(i) * 7, row);
  }
}

TEST_CASE("flat search equals the double-precision brute-force top-k for every metric, dimension and filter",
          "[unit]") {
  for (Metric metric : {Metric::kInnerProduct, Metric::kCosine, Metric::kL2}) {
    for (int dimension : {384, 100, 7}) {
      for (bool clustered : {false, true}) {
        INFO("metric " << static_cast<int>(metric) << " dimension " << dimension << " clustered " << clustered);
        std::mt19937 rng(dimension * 10 + static_cast<int>(metric) + (clustered ? 1000 : 0));
        FlatVectorStore store(dimension, metric);
        PutAll(store, MakeRows(1500, dimension, clustered, rng), 3);
        CheckAllQueries(store, clustered, rng);
      }
    }
  }
}

TEST_CASE("flat search stays exact when its first pass is split over two threads (32k rows and more)", "[unit]") {
  for (Metric metric : {Metric::kInnerProduct, Metric::kL2}) {
    std::mt19937 rng(31 + static_cast<int>(metric));
    FlatVectorStore store(7, metric);
    PutAll(store, MakeRows(40000, 7, true, rng), 1);
    CheckAllQueries(store, true, rng);
  }
}

TEST_CASE("flat search stays exact after replacements, erasures and a save/load round trip", "[unit]") {
  for (Metric metric : {Metric::kInnerProduct, Metric::kL2}) {
    std::mt19937 rng(77 + static_cast<int>(metric));
    FlatVectorStore store(100, metric);
    PutAll(store, MakeRows(1200, 100, true, rng), 0);
    // Replace every third id with a row from another distribution, erase every fifth.
    const std::vector<float> replacements = MakeRows(400, 100, false, rng);
    for (size_t i = 0; i < 400; ++i) {
      store.Put(static_cast<int64_t>(i * 3) * 7, std::span<const float>(replacements).subspan(i * 100, 100));
    }
    for (int64_t id = 0; id < 1200 * 7; id += 5 * 7) CHECK(store.Erase(id));
    REQUIRE(store.size() == 1200 - 240);
    CheckAllQueries(store, true, rng);
    std::stringstream bytes;
    store.Write(bytes);
    FlatVectorStore loaded(100, metric);
    REQUIRE(loaded.Read(bytes).ok());
    CheckAllQueries(loaded, true, rng);
  }
}

TEST_CASE("flat search returns one of each set of exact duplicates with the duplicated score", "[unit]") {
  for (Metric metric : {Metric::kInnerProduct, Metric::kL2}) {
    std::mt19937 rng(5);
    const std::vector<float> rows = MakeRows(300, 32, false, rng);
    FlatVectorStore store(32, metric);
    for (int copy = 0; copy < 4; ++copy) PutAll(store, rows, copy * 100000);
    CheckAllQueries(store, false, rng);
    const std::vector<ScoredId> got = store.Search(rows.data() + 32, 8, nullptr);
    REQUIRE(got.size() == 8);
    // The four copies of row 1 (the query itself), then the four copies of one other row.
    for (int i = 0; i < 4; ++i) {
      CHECK(got[i].id % 100000 == 7);
      CHECK(got[i].score == got[0].score);
      CHECK(got[4 + i].id % 100000 == got[4].id % 100000);
      CHECK(got[4 + i].score == got[4].score);
    }
  }
}

TEST_CASE("flat search on an empty store or with k above the row count returns what exists", "[unit]") {
  FlatVectorStore store(7, Metric::kL2);
  const std::vector<float> query(7, 0.5f);
  CHECK(store.Search(query.data(), 10, nullptr).empty());
  store.Put(4, query);
  store.Put(9, std::vector<float>(7, 0.0f));
  const auto got = store.Search(query.data(), 10, nullptr);
  REQUIRE(got.size() == 2);
  CHECK(got[0].id == 4);
  CHECK(got[0].score == 0.0f);
  CHECK(got[1].id == 9);
  CHECK(store.Erase(4));
  CHECK(store.Erase(9));
  CHECK(store.Search(query.data(), 3, nullptr).empty());
}

TEST_CASE("flat index cosine search matches the brute force on unnormalized input", "[unit]") {
  std::mt19937 rng(11);
  std::vector<float> rows = MakeRows(2000, 384, true, rng);
  for (float& x : rows) x *= 30.0f;
  std::vector<int64_t> ids(2000);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>(i);
  auto index = *VectorIndex::Create({384, Metric::kCosine, "Flat"});
  REQUIRE(index->Upsert(ids, rows).ok());
  const std::span<const float> query = std::span<const float>(rows).subspan(5 * 384, 384);
  const auto got = *index->Search(query, {.k = 10});
  REQUIRE(got.size() == 10);
  std::vector<std::pair<double, int64_t>> reference;
  for (size_t i = 0; i < ids.size(); ++i) {
    double dot = 0, na = 0, nb = 0;
    for (int d = 0; d < 384; ++d) {
      dot += double{query[d]} * rows[i * 384 + d];
      na += double{query[d]} * query[d];
      nb += double{rows[i * 384 + d]} * rows[i * 384 + d];
    }
    reference.push_back({dot / std::sqrt(na * nb), ids[i]});
  }
  std::sort(reference.rbegin(), reference.rend());
  for (size_t i = 0; i < got.size(); ++i) CHECK(std::fabs(got[i].score - reference[i].first) <= kTolerance);
}

// Whether `bounds` contains the double-precision q.x.
bool Holds(const DotBounds& bounds, const std::vector<float>& q, const std::vector<float>& x) {
  double dot = 0;
  for (size_t i = 0; i < q.size(); ++i) dot += double{q[i]} * x[i];
  return std::fabs(dot - bounds.approx) <= bounds.margin;
}

TEST_CASE("int8 bounds hold when every rounding error points the same way", "[unit]") {
  for (int dimension : {7, 100, 384}) {
    INFO("dimension " << dimension);
    Int8Rows rows(dimension);
    // Row 0: zeros round to the coarse code's middle (8 steps off); a query against those errors makes the
    // row term ||q|| ||x - x^|| exact.
    std::vector<float> sparse(dimension, 0.0f), against(dimension, -1.0f);
    sparse[0] = 1.0f;
    against[0] = 0.0f;
    rows.Append(sparse);
    // Row 1: exactly representable (all codes 127); a query rounding every coordinate down by 0.49 steps along
    // it makes the query term ||q - q^|| ||x^|| exact.
    std::vector<float> flat(dimension, 1.0f), rounded(dimension, 0.49f / 127.0f);
    flat[0] = 0.0f;
    rounded[0] = 1.0f;
    rows.Append(flat);
    for (const auto& query : {against, rounded}) {
      const Int8Query code = rows.Quantize(query.data());
      DotBounds coarse[2];
      rows.CoarseBounds(code, 0, 2, coarse);
      for (size_t row = 0; row < 2; ++row) {
        const std::vector<float>& x = row == 0 ? sparse : flat;
        CHECK(Holds(coarse[row], query, x));
        CHECK(Holds(rows.FineBounds(code, row), query, x));
      }
    }
    DotBounds fine = rows.FineBounds(rows.Quantize(rounded.data()), 1);
    double dot = 0;
    for (int i = 0; i < dimension; ++i) dot += double{rounded[i]} * flat[i];
    CHECK(std::fabs(dot - fine.approx) >= 0.9 * fine.margin);  // the adversarial case is nearly tight
  }
}

TEST_CASE("flat search keeps the best row even when its coarse code is as far off as the bound allows", "[unit]") {
  // Row 1's zeros round to the coarse code's middle, 8 steps off each, all against the query: its coarse estimate
  // is as low as the margin allows. Row 2 scores a little worse, with codes that are nearly exact.
  constexpr int kDimension = 100;
  constexpr double kGap = 0.01;
  std::vector<float> query(kDimension, -1.0f), best(kDimension, 0.0f), decoy(kDimension, 0.0f);
  query[0] = 0.0f;
  best[0] = 1.0f;
  for (Metric metric : {Metric::kInnerProduct, Metric::kL2}) {
    // Inner product: q.decoy = -kGap. L2: -(d - 1)(t + 1)^2 = -(d + kGap), row 1 scores -d.
    const double t =
        metric == Metric::kL2 ? std::sqrt((kDimension + kGap) / (kDimension - 1)) - 1 : kGap / (kDimension - 1);
    std::fill(decoy.begin() + 1, decoy.end(), static_cast<float>(t));
    FlatVectorStore store(kDimension, metric);
    store.Put(1, best);
    store.Put(2, decoy);
    const auto got = store.Search(query.data(), 1, nullptr);
    REQUIRE(got.size() == 1);
    CHECK(got[0].id == 1);
    CheckSearch(store, query.data(), 1, nullptr);
  }
}

}  // namespace
}  // namespace catena::retrieval
