// Result-list fusion and diversification for hybrid search: reciprocal rank fusion, weighted score fusion
// and maximal marginal relevance. Pure functions over ranked lists; thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "retrieval/types.h"

namespace catena::retrieval {

// A fused hit remembers where it came from (score of each side, when present).
struct FusedHit {
  int64_t id = 0;
  float score = 0;
  std::optional<float> dense_score;
  std::optional<float> sparse_score;
};

// Reciprocal rank fusion: score(d) = sum over lists of 1 / (rank_constant + rank), ranks starting at 1
// (Cormack et al. 2009; rank_constant 60 as in Elasticsearch and Qdrant). Best first; ties by smaller id.
std::vector<FusedHit> ReciprocalRankFusion(std::span<const ScoredId> dense, std::span<const ScoredId> sparse, size_t k,
                                           double rank_constant = 60);

// Weighted score fusion: each list's scores are min-max normalized to [0, 1] (a list whose scores are all
// equal maps to 1), then score(d) = dense_weight * dense + (1 - dense_weight) * sparse, a missing side
// counting 0. Best first; ties by smaller id.
std::vector<FusedHit> WeightedScoreFusion(std::span<const ScoredId> dense, std::span<const ScoredId> sparse, size_t k,
                                          double dense_weight);

// Maximal marginal relevance (Carbonell & Goldstein 1998): greedily picks k of `candidates` maximizing
// lambda * relevance - (1 - lambda) * max similarity to the already picked ones. `relevance` is each
// candidate's similarity to the query (same order as candidates); `similarity(a, b)` compares two
// candidates by index. Returns indexes into candidates in pick order.
std::vector<size_t> MaximalMarginalRelevance(std::span<const float> relevance, size_t k, double lambda,
                                             const std::function<float(size_t, size_t)>& similarity);

}  // namespace catena::retrieval
