// Collection::Search: dense, sparse and hybrid search with metadata filters, fusion, MMR and highlights.
#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "retrieval/collection.h"
#include "retrieval/filter.h"
#include "retrieval/fusion.h"
#include "retrieval/highlight.h"

namespace catena::retrieval {
namespace {

// Candidates fetched from each side before fusion or MMR, relative to k.
constexpr int kCandidateFactor = 4;
constexpr int kMinCandidates = 40;
// Collections up to this size count filter matches exactly; larger ones estimate from a sample.
constexpr size_t kExactCountLimit = 20000;
constexpr size_t kSampleSize = 2000;

// Filters up to this many cached results per collection.
constexpr size_t kFilterCacheEntries = 32;

// A compiled metadata filter seen as a set of document numbers. Contains() evaluates lazily, so graph
// searches only pay for the nodes they visit; Count() is exact for small collections and sampled otherwise.
// When an index asks for the full id list (a selective filter, answered by an exact scan), the result is
// kept in the collection's filter cache until the next write, so a repeated filter costs no metadata scan.
class MetadataIdFilter final : public IdFilter {
 public:
  using Store = std::function<void(std::shared_ptr<const IdBitset>)>;

  MetadataIdFilter(const Filter& filter, const std::vector<nlohmann::json>& metadata, int64_t live,
                   std::shared_ptr<const IdBitset> cached, Store store)
      : filter_(filter), metadata_(metadata), cached_(std::move(cached)), store_(std::move(store)) {
    if (cached_ != nullptr) {
      count_ = cached_->Count();
    } else if (metadata.size() <= kExactCountLimit) {
      count_ = Ids().size();
    } else {
      count_ = SampledCount(live);
    }
  }

  bool Contains(int64_t id) const override {
    if (cached_ != nullptr) return cached_->Contains(id);
    return id >= 0 && static_cast<size_t>(id) < metadata_.size() && !metadata_[id].is_null() &&
           filter_.Matches(metadata_[id]);
  }
  size_t Count() const override { return count_; }
  std::vector<int64_t> Ids() const override {
    if (cached_ != nullptr) return cached_->Ids();
    std::vector<int64_t> ids;
    for (size_t i = 0; i < metadata_.size(); ++i) {
      if (!metadata_[i].is_null() && filter_.Matches(metadata_[i])) ids.push_back(static_cast<int64_t>(i));
    }
    if (store_) store_(std::make_shared<const IdBitset>(ids));
    return ids;
  }

 private:
  size_t SampledCount(int64_t live) const {
    const size_t stride = metadata_.size() / kSampleSize;
    size_t sampled = 0, matched = 0;
    for (size_t i = 0; i < metadata_.size(); i += stride) {
      if (metadata_[i].is_null()) continue;
      ++sampled;
      matched += filter_.Matches(metadata_[i]) ? 1 : 0;
    }
    return sampled == 0 ? 0 : static_cast<size_t>(static_cast<double>(matched) / sampled * live);
  }

  const Filter& filter_;
  const std::vector<nlohmann::json>& metadata_;
  std::shared_ptr<const IdBitset> cached_;
  Store store_;
  size_t count_ = 0;
};

float Dot(std::span<const float> a, std::span<const float> b) {
  float sum = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) sum += a[i] * b[i];
  return sum;
}

std::vector<FusedHit> AsFused(std::span<const ScoredId> hits, bool dense) {
  std::vector<FusedHit> fused;
  for (const ScoredId& hit : hits) {
    FusedHit entry{.id = hit.id, .score = hit.score};
    (dense ? entry.dense_score : entry.sparse_score) = hit.score;
    fused.push_back(entry);
  }
  return fused;
}

}  // namespace

absl::StatusOr<std::vector<float>> Collection::QueryVector(const SearchQuery& query) const {
  if (!query.vector.empty()) {
    if (query.vector.size() != static_cast<size_t>(info_.spec.dimension)) {
      return absl::InvalidArgumentError(absl::StrCat("vector has ", query.vector.size(),
                                                     " values; the collection dimension is ", info_.spec.dimension));
    }
    return query.vector;
  }
  if (query.text.empty()) return absl::InvalidArgumentError("query is required (or vector, for dense search)");
  if (embedder_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("collection '", info_.name, "' has no embedder: give a query vector or use sparse mode"));
  }
  const std::string texts[] = {query.text};
  CATENA_ASSIGN_OR_RETURN(inference::Embeddings embeddings, embedder_->Embed(texts, inference::EmbedInputKind::kQuery));
  std::span<const float> row = embeddings.Row(0);
  return std::vector<float>(row.begin(), row.end());
}

absl::StatusOr<std::vector<ScoredId>> Collection::DenseSearch(std::span<const float> vector, int k,
                                                              const SearchQuery& query, const IdFilter* filter) const {
  IndexSearchParams params{.k = k, .ef_search = query.ef_search, .nprobe = query.nprobe, .filter = filter};
  return index_->Search(vector, params);
}

absl::StatusOr<std::vector<SearchResult>> Collection::Search(const SearchQuery& query) const {
  std::optional<Filter> filter;
  if (!query.filter.empty()) {
    auto parsed = Filter::Parse(query.filter, schema_);
    if (!parsed.ok()) return parsed.status();
    filter = *std::move(parsed);
  }
  if (query.mode != SearchMode::kDense && bm25_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("collection '", info_.name, "' has no sparse index (created with sparse=false)"));
  }
  if (query.mode != SearchMode::kDense && query.text.empty()) {
    return absl::InvalidArgumentError("query is required for sparse and hybrid search");
  }
  const bool needs_vector = query.mode != SearchMode::kSparse || query.mmr_lambda > 0;
  std::vector<float> query_vector;
  if (needs_vector) {
    CATENA_ASSIGN_OR_RETURN(query_vector, QueryVector(query));
  }

  std::shared_lock lock(mutex_);
  std::optional<MetadataIdFilter> id_filter;
  if (filter.has_value()) {
    std::shared_ptr<const IdBitset> cached;
    {
      std::lock_guard cache_lock(filter_cache_mutex_);
      if (auto it = filter_cache_.find(query.filter); it != filter_cache_.end()) cached = it->second;
    }
    // Searches hold the collection's shared lock, so no write (which clears the cache) runs meanwhile.
    auto store = [this, expression = query.filter](std::shared_ptr<const IdBitset> ids) {
      std::lock_guard cache_lock(filter_cache_mutex_);
      if (filter_cache_.size() >= kFilterCacheEntries) filter_cache_.clear();
      filter_cache_[expression] = std::move(ids);
    };
    id_filter.emplace(*filter, metadata_, live_documents_, std::move(cached), std::move(store));
  }
  const IdFilter* allowed = id_filter.has_value() ? &*id_filter : nullptr;
  const bool widen = query.mode == SearchMode::kHybrid || query.mmr_lambda > 0;
  const int candidates = widen ? std::max(query.k * kCandidateFactor, kMinCandidates) : query.k;

  std::vector<ScoredId> dense, sparse;
  if (query.mode != SearchMode::kSparse) {
    CATENA_ASSIGN_OR_RETURN(dense, DenseSearch(query_vector, candidates, query, allowed));
  }
  if (query.mode != SearchMode::kDense) {
    CATENA_ASSIGN_OR_RETURN(sparse, bm25_->Search(query.text, candidates, allowed));
  }

  std::vector<FusedHit> fused;
  const size_t keep = query.mmr_lambda > 0 ? static_cast<size_t>(candidates) : static_cast<size_t>(query.k);
  if (query.mode == SearchMode::kDense) fused = AsFused(dense, true);
  if (query.mode == SearchMode::kSparse) fused = AsFused(sparse, false);
  if (query.mode == SearchMode::kHybrid) {
    fused = query.fusion == Fusion::kWeighted ? WeightedScoreFusion(dense, sparse, keep, query.dense_weight)
                                              : ReciprocalRankFusion(dense, sparse, keep);
  }
  if (fused.size() > keep) fused.resize(keep);

  std::vector<SearchResult> results;
  for (const FusedHit& hit : fused) {
    CATENA_ASSIGN_OR_RETURN(StoredDocument document, ReadDocument(hit.id));
    SearchResult result{.document = std::move(document),
                        .score = hit.score,
                        .dense_score = hit.dense_score,
                        .sparse_score = hit.sparse_score};
    results.push_back(std::move(result));
  }
  if (query.mmr_lambda > 0) results = Diversify(std::move(results), query_vector, query);
  if (query.with_highlights && !query.text.empty()) {
    for (SearchResult& result : results) result.highlights = Highlight(result.document.text, query.text);
  }
  return results;
}

std::vector<SearchResult> Collection::Diversify(std::vector<SearchResult> candidates,
                                                std::span<const float> query_vector, const SearchQuery& query) const {
  // Similarities use the index's stored vectors (unit length for cosine collections).
  std::vector<std::vector<float>> vectors;
  std::vector<float> relevance;
  for (const SearchResult& candidate : candidates) {
    vectors.push_back(index_->Vector(candidate.document.number).value_or(candidate.document.embedding));
    relevance.push_back(Dot(vectors.back(), query_vector));
  }
  if (info_.spec.metric == Metric::kCosine) {
    float norm = std::sqrt(Dot(query_vector, query_vector));
    if (norm > 0) {
      for (float& value : relevance) value /= norm;
    }
  }
  const std::vector<size_t> picked =
      MaximalMarginalRelevance(relevance, static_cast<size_t>(query.k), query.mmr_lambda,
                               [&](size_t a, size_t b) { return Dot(vectors[a], vectors[b]); });
  std::vector<SearchResult> diversified;
  for (size_t index : picked) diversified.push_back(std::move(candidates[index]));
  return diversified;
}

}  // namespace catena::retrieval
