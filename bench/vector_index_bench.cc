// Vector index layer versus the libraries under it: for Flat, HNSW32 (ef 64/128), IVF1024,Flat (nprobe 16)
// and IVF1024,PQ32 on 100k x 384 clustered unit vectors (CATENA_BENCH_SCALE shrinks N), reports recall@10
// against exact search, single-query qps and p99, batched qps, and ours/raw-FAISS (and ours/raw-hnswlib)
// qps ratios; plus filtered recall and p99 at 1% and 10% selectivity. Everything runs on one thread, except
// the exact Flat single-query search, which splits its int8 pass over two threads from 32k rows.
#include <cblas.h>
#include <cpuid.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/index_factory.h>
#include <omp.h>
#include <x86intrin.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <random>
#include <set>
#include <string>

#define hnswlib hnswlib_bench
#define cpuid catena_bench_cpuid
#define xgetbv catena_bench_xgetbv
#define AVXCapable CatenaBenchAvxCapable
#define AVX512Capable CatenaBenchAvx512Capable
#include <hnswlib/hnswlib.h>

#include "bench/bench_util.h"
#include "retrieval/flat_vectors.h"
#include "retrieval/hnsw_index.h"
#include "retrieval/vector_index.h"

namespace {

using catena::bench::Emit;
using catena::retrieval::IdBitset;
using catena::retrieval::IndexSearchParams;
using catena::retrieval::ScoredId;
using catena::retrieval::VectorIndex;
using Clock = std::chrono::steady_clock;
using Results = std::vector<std::vector<int64_t>>;

constexpr int kDim = 384;
constexpr int kK = 10;

struct Data {
  size_t n = 0;
  size_t nq = 0;
  std::vector<float> base;  // unit rows
  std::vector<int64_t> ids;
  std::vector<float> queries;
};

Data MakeData(size_t n, size_t nq) {
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0, 1);
  std::vector<float> centers(256 * kDim);
  for (float& x : centers) x = normal(rng);
  auto fill = [&](size_t count, std::vector<float>& out) {
    out.resize(count * kDim);
    for (size_t i = 0; i < count; ++i) {
      const size_t c = rng() % 256;
      for (int d = 0; d < kDim; ++d) out[i * kDim + d] = centers[c * kDim + d] + 0.6f * normal(rng);
      catena::retrieval::NormalizeInPlace(std::span<float>(out).subspan(i * kDim, kDim));
    }
  };
  Data data{n, nq, {}, {}, {}};
  fill(n, data.base);
  fill(nq, data.queries);
  for (size_t i = 0; i < n; ++i) data.ids.push_back(static_cast<int64_t>(i));
  return data;
}

struct Timing {
  double qps = 0;
  double p99_ms = 0;
  double batched_qps = 0;  // ours only, when asked for
  Results results;
};

// Runs `search(q)` for the first `count` queries one at a time.
Timing TimeSingle(size_t count, const std::function<std::vector<int64_t>(size_t)>& search) {
  Timing timing;
  std::vector<double> latencies;
  const auto start = Clock::now();
  for (size_t q = 0; q < count; ++q) {
    const auto begin = Clock::now();
    timing.results.push_back(search(q));
    latencies.push_back(std::chrono::duration<double, std::milli>(Clock::now() - begin).count());
  }
  timing.qps = static_cast<double>(count) / std::chrono::duration<double>(Clock::now() - start).count();
  timing.p99_ms = catena::bench::Quantile(latencies, 0.99);
  return timing;
}

double Seconds(const std::function<void()>& body) {
  const auto start = Clock::now();
  body();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Recall(const Results& got, const Results& truth) {
  double sum = 0;
  for (size_t q = 0; q < got.size(); ++q) {
    const std::set<int64_t> expected(truth[q].begin(), truth[q].end());
    size_t hits = 0;
    for (int64_t id : got[q]) hits += expected.count(id);
    sum += static_cast<double>(hits) / static_cast<double>(std::max<size_t>(1, truth[q].size()));
  }
  return sum / static_cast<double>(std::max<size_t>(1, got.size()));
}

std::vector<int64_t> Ids(const std::vector<ScoredId>& results) {
  std::vector<int64_t> ids;
  for (const auto& r : results) ids.push_back(r.id);
  return ids;
}

std::vector<int64_t> FaissQuery(const faiss::Index& index, const float* query, const faiss::SearchParameters* params) {
  std::vector<float> distances(kK);
  std::vector<faiss::Index::idx_t> labels(kK);
  index.search(1, query, kK, distances.data(), labels.data(), params);
  return {labels.begin(), labels.end()};
}

// Single-query timing of our index (over `count` queries) and its batched qps.
Timing TimeOurs(const VectorIndex& index, const Data& data, size_t count, const IndexSearchParams& params,
                bool batched) {
  Timing timing = TimeSingle(count, [&](size_t q) {
    return Ids(*index.Search(std::span<const float>(data.queries).subspan(q * kDim, kDim), params));
  });
  if (batched) {
    const auto queries = std::span<const float>(data.queries).first(count * kDim);
    timing.batched_qps = static_cast<double>(count) / Seconds([&] { (void)*index.SearchBatch(queries, params); });
  }
  return timing;
}

void Report(const std::string& name, const Timing& ours, const Timing& raw, const Results& truth) {
  Emit("retrieval", name + "/inproc", "recall_at_10", Recall(ours.results, truth), "ratio");
  Emit("retrieval", name + "/inproc", "qps", ours.qps, "1/s");
  Emit("retrieval", name + "/inproc", "qps_batched", ours.batched_qps, "1/s");
  if (ours.batched_qps > 0)
    Emit("retrieval", name + "/inproc", "single_vs_batched", ours.qps / ours.batched_qps, "ratio");
  Emit("retrieval", name + "/inproc", "p99_ms", ours.p99_ms, "ms");
  Emit("retrieval", name + "/raw_faiss", "recall_at_10", Recall(raw.results, truth), "ratio");
  Emit("retrieval", name + "/raw_faiss", "qps", raw.qps, "1/s");
  Emit("retrieval", name + "/raw_faiss", "p99_ms", raw.p99_ms, "ms");
  Emit("retrieval", name + "/inproc", "ratio_vs_raw_faiss", ours.qps / raw.qps, "ratio");
}

// Filtered recall (against exact filtered search by `exact`) and p99 at 1% and 10% selectivity.
void ReportFiltered(const std::string& name, const VectorIndex& index, const VectorIndex& exact, const Data& data,
                    size_t count, IndexSearchParams params) {
  for (int percent : {1, 10}) {
    std::mt19937 rng(7 + percent);
    IdBitset filter;
    for (int64_t id : data.ids) {
      if (static_cast<int>(rng() % 100) < percent) filter.Insert(id);
    }
    params.filter = &filter;
    const Timing got = TimeOurs(index, data, count, params, false);
    const Timing truth = TimeOurs(exact, data, count, {.k = kK, .filter = &filter}, false);
    const std::string c = name + "/filter" + std::to_string(percent) + "pct/inproc";
    Emit("retrieval", c, "filtered_recall_at_10", Recall(got.results, truth.results), "ratio");
    Emit("retrieval", c, "p99_ms", got.p99_ms, "ms");
  }
}

std::unique_ptr<VectorIndex> BuildOurs(const std::string& kind, const Data& data) {
  auto index = *VectorIndex::Create({kDim, catena::retrieval::Metric::kCosine, kind});
  const double seconds = Seconds([&] { (void)index->Upsert(data.ids, data.base); });
  Emit("retrieval", kind + "/inproc", "build_s", seconds, "s");
  Emit("retrieval", kind + "/inproc", "trained", index->trained() ? 1 : 0, "bool");
  return index;
}

std::unique_ptr<faiss::Index> BuildRawFaiss(const std::string& kind, const Data& data,
                                            const std::function<faiss::Index*()>& make) {
  std::unique_ptr<faiss::Index> index(make());
  const double seconds = Seconds([&] {
    index->train(static_cast<faiss::Index::idx_t>(data.n), data.base.data());
    index->add(static_cast<faiss::Index::idx_t>(data.n), data.base.data());
  });
  Emit("retrieval", kind + "/raw_faiss", "build_s", seconds, "s");
  return index;
}

Timing TimeRawFaiss(const faiss::Index& index, const Data& data, size_t count, const faiss::SearchParameters* params) {
  return TimeSingle(count, [&](size_t q) { return FaissQuery(index, data.queries.data() + q * kDim, params); });
}

void RunFlat(const Data& data, const VectorIndex& exact, const Results& truth, size_t slow_count) {
  faiss::IndexFlatIP raw(kDim);
  raw.add(static_cast<faiss::Index::idx_t>(data.n), data.base.data());
  const Results truth_slow(truth.begin(), truth.begin() + slow_count);
  const Timing ours = TimeOurs(exact, data, slow_count, {.k = kK}, true);
  Report("flat", ours, TimeRawFaiss(raw, data, slow_count, nullptr), truth_slow);
  ReportFiltered("flat", exact, exact, data, slow_count, {.k = kK});
}

void RunHnsw(const Data& data, const VectorIndex& exact, const Results& truth) {
  auto ours = BuildOurs("HNSW32", data);
  auto raw = BuildRawFaiss("HNSW32", data, [] {
    auto* index = new faiss::IndexHNSWFlat(kDim, 32, faiss::METRIC_INNER_PRODUCT);
    index->hnsw.efConstruction = catena::retrieval::kHnswEfConstruction;
    return index;
  });
  hnswlib_bench::InnerProductSpace space(kDim);
  hnswlib_bench::HierarchicalNSW<float> lib(&space, data.n, 32, catena::retrieval::kHnswEfConstruction);
  Emit("retrieval", "HNSW32/raw_hnswlib", "build_s", Seconds([&] {
         for (size_t i = 0; i < data.n; ++i) lib.addPoint(data.base.data() + i * kDim, i);
       }),
       "s");
  for (int ef : {64, 128}) {
    const std::string name = "hnsw32_ef" + std::to_string(ef);
    const Timing mine = TimeOurs(*ours, data, data.nq, {.k = kK, .ef_search = ef}, true);
    faiss::SearchParametersHNSW params;
    params.efSearch = ef;
    Report(name, mine, TimeRawFaiss(*raw, data, data.nq, &params), truth);
    lib.setEf(ef);
    const Timing bare = TimeSingle(data.nq, [&](size_t q) {
      std::vector<int64_t> ids;
      for (const auto& [d, label] : lib.searchKnnCloserFirst(data.queries.data() + q * kDim, kK)) ids.push_back(label);
      return ids;
    });
    Emit("retrieval", name + "/raw_hnswlib", "recall_at_10", Recall(bare.results, truth), "ratio");
    Emit("retrieval", name + "/raw_hnswlib", "qps", bare.qps, "1/s");
    Emit("retrieval", name + "/raw_hnswlib", "p99_ms", bare.p99_ms, "ms");
    Emit("retrieval", name + "/inproc", "ratio_vs_hnswlib", mine.qps / bare.qps, "ratio");
    if (ef == 64) ReportFiltered(name, *ours, exact, data, data.nq, {.k = kK, .ef_search = ef});
  }
}

void RunIvf(const std::string& kind, const std::string& name, const Data& data, const VectorIndex& exact,
            const Results& truth) {
  auto ours = BuildOurs(kind, data);
  auto raw = BuildRawFaiss(kind, data, [&] {
    faiss::Index* index = faiss::index_factory(kDim, kind.c_str(), faiss::METRIC_INNER_PRODUCT);
    // As in faiss_index.cc: no polysemous training (it only serves Hamming-threshold search).
    if (auto* ivf_pq = dynamic_cast<faiss::IndexIVFPQ*>(index)) ivf_pq->do_polysemous_training = false;
    return index;
  });
  const Timing mine = TimeOurs(*ours, data, data.nq, {.k = kK, .nprobe = 16}, true);
  faiss::SearchParametersIVF params;
  params.nprobe = 16;
  Report(name, mine, TimeRawFaiss(*raw, data, data.nq, &params), truth);
  if (kind == "IVF1024,Flat") ReportFiltered(name, *ours, exact, data, data.nq, {.k = kK, .nprobe = 16});
}

}  // namespace

int main() {
  omp_set_num_threads(1);
  openblas_set_num_threads(1);
  const char* scale_env = std::getenv("CATENA_BENCH_SCALE");
  const double scale = scale_env != nullptr ? std::clamp(std::atof(scale_env), 0.001, 1.0) : 1.0;
  const Data data = MakeData(static_cast<size_t>(100000 * scale), 1000);
  std::fprintf(stderr, "retrieval_index_bench: %zu x %d vectors, %zu queries, hnsw avx2=%d\n", data.n, kDim, data.nq,
               catena::retrieval::HnswUsesAvx2() ? 1 : 0);
  auto exact = BuildOurs("Flat", data);
  Results truth;
  const auto exact_results = exact->SearchBatch(data.queries, {.k = kK});
  for (const auto& row : *exact_results) truth.push_back(Ids(row));
  // CATENA_BENCH_CASES picks cases (comma list of flat, hnsw, ivf_flat, ivf_pq); default all.
  const char* cases_env = std::getenv("CATENA_BENCH_CASES");
  const std::string cases = cases_env != nullptr && *cases_env != '\0' ? cases_env : "flat,hnsw,ivf_flat,ivf_pq";
  auto wanted = [&](const std::string& name) {
    return ("," + cases + ",").find("," + name + ",") != std::string::npos;
  };
  if (wanted("flat")) RunFlat(data, *exact, truth, std::min<size_t>(data.nq, 200));
  if (wanted("hnsw")) RunHnsw(data, *exact, truth);
  if (wanted("ivf_flat")) RunIvf("IVF1024,Flat", "ivf1024_flat_nprobe16", data, *exact, truth);
  if (wanted("ivf_pq")) RunIvf("IVF1024,PQ32", "ivf1024_pq32_nprobe16", data, *exact, truth);
  return 0;
}
