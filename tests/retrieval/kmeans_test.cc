// Spherical k-means (retrieval/kmeans.h) on hashing-embedder vectors of texts with planted groups: the partition
// is recovered, runs are deterministic per seed, bad shapes and k are errors, and seeding, Lloyd assignments,
// inertia and silhouette match the independent numpy implementation in kmeans_reference.py.
#include "retrieval/kmeans.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "inference/hashing_embedder.h"
#include "nlohmann/json.hpp"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace catena::retrieval {
namespace {

// Three planted groups of four texts each (group = index / 4).
const std::vector<std::string>& PlantedTexts() {
  static const auto* texts = new std::vector<std::string>{
      "university student on a tight budget, studies and lives in a student flat",
      "student at university, pays rent with a part-time job on campus",
      "first-year student who needs a cheap account for studies",
      "student living on a student loan and a part-time campus job",
      "frequent traveller, flies abroad for work and pays in foreign currency",
      "flies abroad every month and pays in dollars and pounds when travelling",
      "travels abroad for work, hotels, flights and foreign currency payments",
      "frequent flyer who travels abroad and withdraws foreign currency",
      "retired couple saving their pension, want safe savings and interest",
      "retiree with a pension who saves and wants interest on savings",
      "retired teacher saving part of her pension in a savings account",
      "pensioner who wants safe savings that earn interest",
  };
  return *texts;
}

std::vector<float> Embed(const std::vector<std::string>& texts, int* dimension) {
  auto embedder = inference::HashingEmbedder::Create();
  REQUIRE(embedder.ok());
  auto embeddings = (*embedder)->Embed(texts, inference::EmbedInputKind::kDocument);
  REQUIRE(embeddings.ok());
  *dimension = embeddings->dimension;
  std::vector<float> rows;
  for (size_t i = 0; i < texts.size(); ++i) {
    auto row = embeddings->Row(i);
    rows.insert(rows.end(), row.begin(), row.end());
  }
  return rows;
}

// Whether two labelings describe the same partition.
bool SamePartition(const std::vector<int>& a, const std::vector<int>& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    for (size_t j = 0; j < a.size(); ++j) {
      if ((a[i] == a[j]) != (b[i] == b[j])) return false;
    }
  }
  return true;
}

TEST_CASE("spherical k-means recovers planted groups of texts", "[unit]") {
  int dimension = 0;
  const std::vector<float> rows = Embed(PlantedTexts(), &dimension);
  std::vector<int> planted;
  for (size_t i = 0; i < PlantedTexts().size(); ++i) planted.push_back(static_cast<int>(i / 4));
  for (uint64_t seed : {1u, 7u, 42u}) {
    auto result = SphericalKMeans(rows, dimension, {.k = 3, .seed = seed});
    REQUIRE(result.ok());
    INFO("seed " << seed);
    CHECK(SamePartition(result->assignments, planted));
    CHECK(result->centroids.size() == 3u * dimension);
    CHECK(result->inertia > 0);
  }
}

TEST_CASE("spherical k-means is deterministic for a seed", "[unit]") {
  int dimension = 0;
  const std::vector<float> rows = Embed(PlantedTexts(), &dimension);
  auto first = SphericalKMeans(rows, dimension, {.k = 4, .seed = 9, .restarts = 2});
  auto second = SphericalKMeans(rows, dimension, {.k = 4, .seed = 9, .restarts = 2});
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(first->assignments == second->assignments);
  CHECK(first->centroids == second->centroids);
  CHECK(first->inertia == second->inertia);
}

TEST_CASE("spherical k-means rejects empty input, bad shapes and k out of range", "[unit]") {
  const std::vector<float> rows = {1, 0, 0, 1, 1, 1};
  CHECK(absl::IsInvalidArgument(SphericalKMeans({}, 2, {.k = 1}).status()));
  CHECK(absl::IsInvalidArgument(SphericalKMeans(std::span<const float>(rows).first(5), 2, {.k = 1}).status()));
  auto too_many = SphericalKMeans(rows, 2, {.k = 4});
  CHECK(absl::IsInvalidArgument(too_many.status()));
  CHECK_THAT(std::string(too_many.status().message()), Catch::Contains("k must be in 1..3"));
  CHECK(absl::IsInvalidArgument(SphericalKMeans(rows, 2, {.k = 0}).status()));
  auto all = SphericalKMeans(rows, 2, {.k = 3});  // k == rows: every row its own cluster
  REQUIRE(all.ok());
  CHECK(std::set<int>(all->assignments.begin(), all->assignments.end()).size() == 3);
  CHECK(all->inertia == Approx(0).margin(1e-6));
}

TEST_CASE("silhouette is high for planted groups and lower for a wrong k", "[unit]") {
  int dimension = 0;
  const std::vector<float> unit = NormalizeRows(Embed(PlantedTexts(), &dimension), dimension);
  auto three = SphericalKMeans(unit, dimension, {.k = 3});
  auto five = SphericalKMeans(unit, dimension, {.k = 5});
  REQUIRE(three.ok());
  REQUIRE(five.ok());
  const double s3 = CosineSilhouette(unit, dimension, three->assignments, 3);
  const double s5 = CosineSilhouette(unit, dimension, five->assignments, 5);
  CHECK(s3 > 0.05);
  CHECK(s3 > s5);
  CHECK(CosineSilhouette(unit, dimension, three->assignments, 1) == 0);
}

TEST_CASE("seeding, Lloyd iterations and silhouette match the numpy reference", "[integration]") {
  std::vector<std::string> texts = PlantedTexts();
  texts.insert(texts.end(), {"student travelling abroad on exchange", "retired traveller who flies abroad",
                             "saving for a flat while studying", "mortgage for a family home"});
  int dimension = 0;
  const std::vector<float> unit = NormalizeRows(Embed(texts, &dimension), dimension);
  catena::testing::TempDir dir("kmeans-reference");
  for (int k : {2, 3, 5}) {
    const uint64_t seed = 11 + k;
    const int iterations = 20;
    nlohmann::json input = {{"k", k}, {"seed", seed}, {"iterations", iterations}, {"rows", nlohmann::json::array()}};
    for (size_t i = 0; i < texts.size(); ++i) {
      input["rows"].push_back(std::vector<float>(unit.begin() + i * dimension, unit.begin() + (i + 1) * dimension));
    }
    const auto path = dir.path() / "input.json";
    std::ofstream(path) << input.dump();
    const auto run = catena::testing::RunToCompletion(
        {"/usr/bin/python3", CATENA_SOURCE_DIR "/tests/retrieval/kmeans_reference.py", path.string()},
        std::chrono::seconds(60));
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    const auto reference = nlohmann::json::parse(run.out);
    INFO("k " << k);
    const std::vector<float> seeds = KMeansPlusPlusSeeds(unit, dimension, k, seed);
    const auto chosen = reference["seeds"].get<std::vector<int>>();
    for (int c = 0; c < k; ++c) {
      CHECK(std::equal(seeds.begin() + c * dimension, seeds.begin() + (c + 1) * dimension,
                       unit.begin() + chosen[c] * dimension));
    }
    auto result = SphericalKMeansFrom(unit, dimension, seeds, iterations);
    REQUIRE(result.ok());
    CHECK(result->assignments == reference["assignments"].get<std::vector<int>>());
    CHECK(result->inertia == Approx(reference["inertia"].get<double>()).epsilon(1e-4));
    CHECK(CosineSilhouette(unit, dimension, result->assignments, k) ==
          Approx(reference["silhouette"].get<double>()).epsilon(1e-5));
  }
}

}  // namespace
}  // namespace catena::retrieval
