#include "inference/hashing_embedder.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "tests/inference/tiny_word_vectors.h"
#include "tests/support/subprocess.h"

namespace catena::inference {
namespace {

std::unique_ptr<HashingEmbedder> MakeEmbedder(HashingEmbedderOptions options = {}) {
  auto embedder = HashingEmbedder::Create(std::move(options));
  REQUIRE(embedder.ok());
  return std::move(embedder).value();
}

std::vector<float> EmbedText(const HashingEmbedder& embedder, const std::string& text) {
  const std::vector<std::string> texts = {text};
  auto result = embedder.Embed(texts, EmbedInputKind::kDocument);
  REQUIRE(result.ok());
  REQUIRE(result->size() == 1);
  return result->values;
}

double Dot(const std::vector<float>& a, const std::vector<float>& b) {
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

TEST_CASE("stable hash is fnv-1a followed by the murmur3 finalizer", "[unit]") {
  // Expected values computed independently in Python (FNV-1a 64 of "a" is the published 0xaf63dc4c8601ec8c).
  constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
  CHECK(StableHash64("a", kFnvOffset) == 0x82a2a958a9bece5bULL);
  CHECK(StableHash64("hello", kFnvOffset) == 0xe9c562c0fdb23244ULL);
}

TEST_CASE("a single word without n-grams lands in its hashed bucket with its hashed sign", "[unit]") {
  auto embedder = MakeEmbedder({.dimension = 384, .max_char_ngram = 0, .word_bigrams = false});
  const std::vector<float> vector = EmbedText(*embedder, "Hello");
  // StableHash64("hello") % 384 = 324, top bit set -> negative (computed in Python).
  std::vector<float> expected(384, 0.0f);
  expected[324] = -1.0f;
  CHECK(vector == expected);
}

TEST_CASE("hashing embedder is deterministic, unit-norm and case-insensitive", "[unit]") {
  auto embedder = MakeEmbedder();
  CHECK(embedder->info().name == "hashing-384");
  CHECK(embedder->info().kind == "hashing");
  CHECK(embedder->info().dimension == 384);
  const std::vector<float> a = EmbedText(*embedder, "Retrieval augmented generation with Catena");
  CHECK(a == EmbedText(*embedder, "Retrieval augmented generation with Catena"));
  CHECK(a == EmbedText(*embedder, "RETRIEVAL augmented Generation with catena"));
  CHECK(EmbedText(*embedder, "École Москва ΑΘΗΝΑ") == EmbedText(*embedder, "école москва αθηνα"));
  CHECK(Dot(a, a) == Approx(1.0).epsilon(1e-6));
}

TEST_CASE("texts sharing words are closer than unrelated texts", "[unit]") {
  auto embedder = MakeEmbedder();
  const auto cat = EmbedText(*embedder, "the cat sat on the mat");
  const auto cats = EmbedText(*embedder, "a cat was sitting on a mat");
  const auto physics = EmbedText(*embedder, "quantum chromodynamics lecture notes");
  const double related = Dot(cat, cats);
  const double unrelated = Dot(cat, physics);
  CHECK(related > 0.25);             // shares "cat", "on", "mat": about 0.30
  CHECK(std::abs(unrelated) < 0.1);  // no shared words: about 0.04
  CHECK(related > unrelated + 0.2);
}

TEST_CASE("empty or wordless text embeds to the zero vector", "[unit]") {
  auto embedder = MakeEmbedder({.dimension = 16});
  CHECK(EmbedText(*embedder, "") == std::vector<float>(16, 0.0f));
  CHECK(EmbedText(*embedder, " ... !? ") == std::vector<float>(16, 0.0f));
}

TEST_CASE("hashing embedder keeps batch order and equals single embeds", "[unit]") {
  auto embedder = MakeEmbedder({.dimension = 64});
  const std::vector<std::string> texts = {"first text", "", "third one"};
  auto batch = embedder->Embed(texts, EmbedInputKind::kQuery);
  REQUIRE(batch.ok());
  REQUIRE(batch->size() == 3);
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::vector<float> row(batch->Row(i).begin(), batch->Row(i).end());
    CHECK(row == EmbedText(*embedder, texts[i]));
  }
}

TEST_CASE("hashing embedder gives the same vectors from many threads at once", "[unit]") {
  auto embedder = MakeEmbedder({.dimension = 128});
  std::vector<std::string> texts;
  for (int i = 0; i < 200; ++i) texts.push_back("thread safety check number " + std::to_string(i) + " Ωμέγα");
  auto expected = embedder->Embed(texts, EmbedInputKind::kDocument);
  REQUIRE(expected.ok());
  std::vector<std::vector<float>> results(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] { results[t] = embedder->Embed(texts, EmbedInputKind::kDocument)->values; });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::vector<float>& result : results) CHECK(result == expected->values);
}

TEST_CASE("hashing golden values catch any change of the hash or features", "[unit]") {
  auto embedder = MakeEmbedder();
  const std::vector<float> vector = EmbedText(*embedder, "Catena turns documents into vectors.");
  REQUIRE(vector.size() == 384);
  // The first 8 non-zero entries (index, value), recorded from this implementation; every entry before the
  // last of them that is not listed must be zero.
  const std::vector<std::pair<size_t, float>> golden = {
      {10, 0.0758098066f},  {13, 0.0758098066f},  {35, 0.22742942f},  {38, -0.0758098066f},
      {40, -0.0758098066f}, {41, -0.0758098066f}, {45, 0.151619613f}, {46, 0.0758098066f}};
  size_t next = 0;
  for (size_t i = 0; i <= golden.back().first; ++i) {
    INFO("index " << i);
    if (next < golden.size() && golden[next].first == i) {
      CHECK(vector[i] == Approx(golden[next++].second).margin(1e-6));
    } else {
      CHECK(vector[i] == 0.0f);
    }
  }
}

TEST_CASE("hashing embedder matches the independent python reference", "[unit]") {
  const std::vector<std::string> sentences = {"The cat sat on the mat.",
                                              "the the the cat",
                                              "Naïve café owners in Zürich",
                                              "Москва и Санкт-Петербург",
                                              "ΑΘΗΝΑ, Ελλάδα",
                                              "a",
                                              "x1 y2 z3 x1 y2 z3",
                                              "Retrieval-augmented generation (RAG) pipelines",
                                              ""};
  testing::TempDir dir;
  testing::WriteFile(dir.path() / "sentences.json", nlohmann::json(sentences).dump());
  const auto run =
      catena::testing::RunToCompletion({"/usr/bin/python3", CATENA_SOURCE_DIR "/tests/inference/hashing_reference.py",
                                        "384", (dir.path() / "sentences.json").string()},
                                       std::chrono::minutes(1));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const nlohmann::json expected = nlohmann::json::parse(run.out);
  REQUIRE(expected.size() == sentences.size());
  auto embedder = MakeEmbedder();
  for (size_t i = 0; i < sentences.size(); ++i) {
    INFO("sentence " << i << ": " << sentences[i]);
    const std::vector<float> ours = EmbedText(*embedder, sentences[i]);
    double max_diff = 0;
    for (size_t d = 0; d < ours.size(); ++d)
      max_diff = std::max(max_diff, std::abs(expected[i][d].get<double>() - ours[d]));
    CHECK(max_diff < 1e-6);
  }
}

TEST_CASE("hashing embedder rejects bad options", "[unit]") {
  CHECK(HashingEmbedder::Create({.dimension = 0}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(HashingEmbedder::Create({.dimension = 100000}).status().code() == absl::StatusCode::kInvalidArgument);
  const auto bad_ngrams = HashingEmbedder::Create({.min_char_ngram = 6, .max_char_ngram = 3});
  CHECK(bad_ngrams.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(bad_ngrams.status().message().find("min_char_ngram") != std::string_view::npos);
  auto named = HashingEmbedder::Create({.dimension = 32, .name = "custom"});
  REQUIRE(named.ok());
  CHECK((*named)->info().name == "custom");
}

TEST_CASE("hashing embedder throughput on short texts", "[slow]") {
  auto embedder = MakeEmbedder();
  std::vector<std::string> texts;
  for (int i = 0; i < 20000; ++i) {
    texts.push_back("Chunk " + std::to_string(i) + " of the quarterly report discusses revenue growth in Europe.");
  }
  const auto start = std::chrono::steady_clock::now();
  auto result = embedder->Embed(texts, EmbedInputKind::kDocument);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  REQUIRE(result.ok());
  CHECK(result->size() == texts.size());
  std::cout << "hashing-384: " << static_cast<int>(texts.size() / seconds) << " short texts/s on one thread\n";
}

}  // namespace
}  // namespace catena::inference
