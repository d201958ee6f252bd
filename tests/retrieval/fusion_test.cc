#include "retrieval/fusion.h"

#include <catch2/catch.hpp>
#include <cmath>

#include "retrieval/highlight.h"

namespace catena::retrieval {
namespace {

TEST_CASE("reciprocal rank fusion sums 1/(60+rank) over both lists", "[unit]") {
  const std::vector<ScoredId> dense = {{1, 0.9f}, {2, 0.8f}, {3, 0.7f}};
  const std::vector<ScoredId> sparse = {{3, 12.0f}, {4, 9.0f}, {1, 3.0f}};
  const auto fused = ReciprocalRankFusion(dense, sparse, 10);
  REQUIRE(fused.size() == 4);
  // id 1: ranks 1 and 3; id 3: ranks 3 and 1 -> equal scores, smaller id first.
  CHECK(fused[0].id == 1);
  CHECK(fused[1].id == 3);
  CHECK(fused[0].score == Approx(1.0 / 61 + 1.0 / 63));
  CHECK(fused[1].score == Approx(1.0 / 63 + 1.0 / 61));
  CHECK(fused[2].id == 2);  // 1/62, tied with id 4: the smaller id first
  CHECK(fused[3].id == 4);
  CHECK(fused[0].dense_score == 0.9f);
  CHECK(fused[0].sparse_score == 3.0f);
  CHECK_FALSE(fused[3].dense_score.has_value());
  CHECK(ReciprocalRankFusion(dense, sparse, 2).size() == 2);
}

TEST_CASE("weighted fusion min-max normalizes each side before weighting", "[unit]") {
  const std::vector<ScoredId> dense = {{1, 0.9f}, {2, 0.5f}, {3, 0.1f}};
  const std::vector<ScoredId> sparse = {{3, 10.0f}, {2, 5.0f}};
  const auto fused = WeightedScoreFusion(dense, sparse, 3, 0.25);
  REQUIRE(fused.size() == 3);
  // id1: 0.25*1 = 0.25; id2: 0.25*0.5 + 0.75*0 = 0.125; id3: 0.25*0 + 0.75*1 = 0.75.
  CHECK(fused[0].id == 3);
  CHECK(fused[0].score == Approx(0.75));
  CHECK(fused[1].id == 1);
  CHECK(fused[1].score == Approx(0.25));
  CHECK(fused[2].id == 2);
  CHECK(fused[2].score == Approx(0.125));
}

TEST_CASE("maximal marginal relevance trades relevance for diversity by lambda", "[unit]") {
  // Candidates 0 and 1 are near duplicates; 2 is different but slightly less relevant.
  const std::vector<float> relevance = {0.95f, 0.94f, 0.80f};
  const float similarity[3][3] = {{1, 0.99f, 0.1f}, {0.99f, 1, 0.1f}, {0.1f, 0.1f, 1}};
  auto sim = [&](size_t a, size_t b) { return similarity[a][b]; };
  CHECK(MaximalMarginalRelevance(relevance, 2, 1.0, sim) == std::vector<size_t>{0, 1});
  CHECK(MaximalMarginalRelevance(relevance, 2, 0.5, sim) == std::vector<size_t>{0, 2});
  CHECK(MaximalMarginalRelevance(relevance, 5, 0.5, sim).size() == 3);
}

TEST_CASE("highlights mark whole query words case-insensitively with context", "[unit]") {
  const std::string text = "Credit cards are issued by banks. A card fee applies to premium Cards only.";
  const auto snippets = Highlight(text, "cards fee", {.max_snippets = 3, .context_bytes = 10});
  REQUIRE(snippets.size() == 3);
  CHECK(snippets[0] == "Credit <em>cards</em> are issue…");
  CHECK(snippets[1] == "…s. A card <em>fee</em> applies t…");
  CHECK(snippets[2] == "…o premium <em>Cards</em> only.");
  CHECK(Highlight(text, "xyz").empty());
  // "card" does not match inside "cards".
  CHECK(Highlight("cards only", "card").empty());
}

TEST_CASE("highlight context never cuts a UTF-8 character", "[unit]") {
  const std::string text = "ééééé bank ééééé";
  const auto snippets = Highlight(text, "bank", {.max_snippets = 1, .context_bytes = 3});
  REQUIRE(snippets.size() == 1);
  CHECK(snippets[0] == "…é <em>bank</em> é…");
}

}  // namespace
}  // namespace catena::retrieval
