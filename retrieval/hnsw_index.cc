#include "retrieval/hnsw_index.h"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/status.h"

#define CATENA_HNSW_NS hnsw_generic
#include "retrieval/hnsw_graph.inc"

namespace catena::retrieval {
namespace {

// Runs `body`, turning hnswlib's exceptions into a Status that names `what`.
template <typename Body>
absl::Status CallHnswlib(absl::string_view what, Body&& body) {
  try {
    body();
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("hnswlib ", what, ": ", e.what()));
  }
}

}  // namespace

bool HnswUsesAvx2() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

std::unique_ptr<HnswGraph> MakeHnswGraphGeneric(const HnswGraphOptions& options) {
  return std::make_unique<hnsw_generic::Graph>(options);
}

std::unique_ptr<HnswGraph> MakeHnswGraph(const HnswGraphOptions& options) {
  return HnswUsesAvx2() ? MakeHnswGraphAvx2(options) : MakeHnswGraphGeneric(options);
}

HnswIndex::HnswIndex(const VectorIndexSpec& spec, const IndexKind& kind)
    : FlatIndex(spec),
      graph_(
          MakeHnswGraph({.dimension = spec.dimension, .inner_product = spec.metric != Metric::kL2, .m = kind.hnsw_m})) {
}

absl::Status HnswIndex::AddApprox(std::span<const int64_t> ids, std::span<const float> rows, size_t replaced) {
  return CallHnswlib("addPoint", [&] {
    for (size_t i = 0; i < ids.size(); ++i) graph_->Add(rows.data() + i * spec_.dimension, ids[i]);
  });
}

absl::Status HnswIndex::RemoveApprox(std::span<const int64_t> ids) {
  return CallHnswlib("markDelete", [&] {
    for (int64_t id : ids) graph_->MarkDeleted(id);
  });
}

absl::StatusOr<std::vector<ScoredId>> HnswIndex::GraphSearch(const float* query, size_t count, size_t ef,
                                                             const IdFilter* filter, int k) const {
  std::vector<std::pair<float, int64_t>> found;
  CATENA_RETURN_IF_ERROR(CallHnswlib("searchKnn", [&] { found = graph_->Search(query, count, ef); }));
  std::vector<int64_t> candidates;
  candidates.reserve(found.size());
  for (const auto& [distance, id] : found) {
    if (filter == nullptr || filter->Contains(id)) candidates.push_back(id);
  }
  return Rerank(query, candidates, k);  // exact scores from the store, best first
}

absl::StatusOr<std::vector<ScoredId>> HnswIndex::SearchApprox(const float* query,
                                                              const IndexSearchParams& params) const {
  const size_t ef = params.ef_search > 0 ? params.ef_search : kHnswDefaultEf;
  const size_t k = static_cast<size_t>(params.k);
  if (params.filter == nullptr) return GraphSearch(query, k, ef, nullptr, params.k);
  // Post-filter: ask for enough candidates that ~k pass (1.5x margin), widening 4x while too few pass;
  // past a quarter of the collection an exact filtered scan is cheaper than the graph.
  const double pass =
      std::max(1e-6, static_cast<double>(params.filter->Count()) / std::max<size_t>(size_t{1}, store_.size()));
  size_t count = static_cast<size_t>(std::ceil(1.5 * static_cast<double>(k) / std::min(1.0, pass)));
  while (count <= store_.size() / 4) {
    CATENA_ASSIGN_OR_RETURN(auto results, GraphSearch(query, count, std::max(ef, count), params.filter, params.k));
    if (results.size() >= k) return results;
    count *= 4;
  }
  return store_.Search(query, params.k, params.filter);
}

absl::Status HnswIndex::SaveSidecar(const std::filesystem::path& path) const {
  return CallHnswlib("saveIndex", [&] { graph_->Save(path.string()); });
}

absl::Status HnswIndex::LoadSidecar(const std::filesystem::path& path, bool saved_trained) {
  return CallHnswlib("loadIndex", [&] { graph_->Load(path.string()); });
}

}  // namespace catena::retrieval
