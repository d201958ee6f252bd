#include "retrieval/fusion.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

namespace catena::retrieval {
namespace {

// Sorts best first with ties broken by smaller id, and keeps the top k.
std::vector<FusedHit> TopK(std::unordered_map<int64_t, FusedHit>& hits, size_t k) {
  std::vector<FusedHit> ranked;
  ranked.reserve(hits.size());
  for (auto& [id, hit] : hits) ranked.push_back(hit);
  auto better = [](const FusedHit& a, const FusedHit& b) {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  };
  if (ranked.size() > k) {
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<ptrdiff_t>(k), ranked.end(), better);
    ranked.resize(k);
  } else {
    std::sort(ranked.begin(), ranked.end(), better);
  }
  return ranked;
}

// Min-max normalization of a list's scores into [0, 1]; all-equal scores map to 1.
std::vector<float> Normalized(std::span<const ScoredId> list) {
  if (list.empty()) return {};
  auto [lo, hi] = std::minmax_element(list.begin(), list.end(),
                                      [](const ScoredId& a, const ScoredId& b) { return a.score < b.score; });
  const float range = hi->score - lo->score;
  std::vector<float> normalized;
  normalized.reserve(list.size());
  for (const ScoredId& hit : list) normalized.push_back(range > 0 ? (hit.score - lo->score) / range : 1.0f);
  return normalized;
}

}  // namespace

std::vector<FusedHit> ReciprocalRankFusion(std::span<const ScoredId> dense, std::span<const ScoredId> sparse, size_t k,
                                           double rank_constant) {
  std::unordered_map<int64_t, FusedHit> hits;
  for (size_t rank = 0; rank < dense.size(); ++rank) {
    FusedHit& hit = hits[dense[rank].id];
    hit.id = dense[rank].id;
    hit.score += static_cast<float>(1.0 / (rank_constant + static_cast<double>(rank + 1)));
    hit.dense_score = dense[rank].score;
  }
  for (size_t rank = 0; rank < sparse.size(); ++rank) {
    FusedHit& hit = hits[sparse[rank].id];
    hit.id = sparse[rank].id;
    hit.score += static_cast<float>(1.0 / (rank_constant + static_cast<double>(rank + 1)));
    hit.sparse_score = sparse[rank].score;
  }
  return TopK(hits, k);
}

std::vector<FusedHit> WeightedScoreFusion(std::span<const ScoredId> dense, std::span<const ScoredId> sparse, size_t k,
                                          double dense_weight) {
  std::unordered_map<int64_t, FusedHit> hits;
  const std::vector<float> dense_normalized = Normalized(dense);
  const std::vector<float> sparse_normalized = Normalized(sparse);
  for (size_t i = 0; i < dense.size(); ++i) {
    FusedHit& hit = hits[dense[i].id];
    hit.id = dense[i].id;
    hit.score += static_cast<float>(dense_weight * dense_normalized[i]);
    hit.dense_score = dense[i].score;
  }
  for (size_t i = 0; i < sparse.size(); ++i) {
    FusedHit& hit = hits[sparse[i].id];
    hit.id = sparse[i].id;
    hit.score += static_cast<float>((1 - dense_weight) * sparse_normalized[i]);
    hit.sparse_score = sparse[i].score;
  }
  return TopK(hits, k);
}

std::vector<size_t> MaximalMarginalRelevance(std::span<const float> relevance, size_t k, double lambda,
                                             const std::function<float(size_t, size_t)>& similarity) {
  const size_t n = relevance.size();
  std::vector<size_t> picked;
  std::vector<bool> taken(n, false);
  // max_similarity[i]: the largest similarity of candidate i to anything picked so far.
  std::vector<float> max_similarity(n, -std::numeric_limits<float>::infinity());
  while (picked.size() < std::min(k, n)) {
    size_t best = n;
    double best_score = -std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < n; ++i) {
      if (taken[i]) continue;
      const double redundancy = picked.empty() ? 0.0 : max_similarity[i];
      const double score = lambda * relevance[i] - (1 - lambda) * redundancy;
      if (score > best_score) best = i, best_score = score;
    }
    taken[best] = true;
    picked.push_back(best);
    for (size_t i = 0; i < n; ++i) {
      if (!taken[i]) max_similarity[i] = std::max(max_similarity[i], similarity(i, best));
    }
  }
  return picked;
}

}  // namespace catena::retrieval
