// Golden parity of RecursiveSplitter with LangChain.js's RecursiveCharacterTextSplitter: the cases in
// tests/retrieval/data/splitters/ were produced by tests/retrieval/make_splitter_goldens.mjs.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "retrieval/recursive_splitter.h"
#include "retrieval/text_splitter.h"

namespace catena::retrieval {
namespace {

nlohmann::json LoadGolden(const std::string& name) {
  const std::string path = std::string(CATENA_SOURCE_DIR) + "/tests/retrieval/data/splitters/" + name;
  std::ifstream in(path);
  REQUIRE(in.good());
  std::stringstream buffer;
  buffer << in.rdbuf();
  return nlohmann::json::parse(buffer.str());
}

SplitterOptions OptionsOf(const nlohmann::json& json) {
  SplitterOptions options;
  options.chunk_size = json.at("chunk_size").get<int>();
  options.chunk_overlap = json.at("chunk_overlap").get<int>();
  options.separators = json.at("separators").get<std::vector<std::string>>();
  auto keep = ParseKeepSeparator(json.at("keep_separator").get<std::string>());
  auto unit = ParseLengthUnit(json.at("length_unit").get<std::string>());
  REQUIRE(keep.ok());
  REQUIRE(unit.ok());
  options.keep_separator = *keep;
  options.length_unit = *unit;
  return options;
}

struct GoldenSummary {
  int cases = 0;
  int python_fixed = 0;
};

// Runs every case of one golden file and checks chunk texts exactly and starts against the input.
GoldenSummary RunGoldenFile(const std::string& file) {
  const nlohmann::json golden = LoadGolden(file);
  GoldenSummary summary;
  for (const nlohmann::json& test_case : golden.at("cases")) {
    const std::string name = test_case.at("name").get<std::string>();
    const std::string input = golden.at("inputs").at(test_case.at("input").get<std::string>()).get<std::string>();
    const SplitterOptions options = OptionsOf(test_case.at("options"));
    auto splitter = MakeSplitter(options);
    REQUIRE(splitter.ok());
    auto chunks = (*splitter)->Split(input);
    REQUIRE(chunks.ok());
    std::vector<std::string> texts;
    for (const Chunk& chunk : *chunks) texts.push_back(chunk.text);
    INFO("case " << name);
    CHECK(texts == test_case.at("chunks").get<std::vector<std::string>>());
    if (options.keep_separator != KeepSeparator::kNone) {
      for (const Chunk& chunk : *chunks) {
        INFO("chunk at " << chunk.start << ": " << chunk.text);
        CHECK(input.substr(chunk.start, chunk.text.size()) == chunk.text);
      }
    }
    ++summary.cases;
    if (test_case.at("reference") != "langchain.js") ++summary.python_fixed;
  }
  return summary;
}

TEST_CASE("recursive splitter matches LangChain.js chunks measured in UTF-16 units", "[unit]") {
  const GoldenSummary summary = RunGoldenFile("recursive_utf16.json");
  CHECK(summary.cases >= 40);
  CHECK(summary.python_fixed < summary.cases / 4);
}

TEST_CASE("recursive splitter matches LangChain.js chunks measured in code points", "[unit]") {
  const GoldenSummary summary = RunGoldenFile("recursive_code_points.json");
  CHECK(summary.cases >= 40);
  CHECK(summary.python_fixed < summary.cases / 4);
}

TEST_CASE("golden files cover inputs where code points and UTF-16 units chunk differently", "[unit]") {
  const nlohmann::json utf16 = LoadGolden("recursive_utf16.json");
  const nlohmann::json code_points = LoadGolden("recursive_code_points.json");
  REQUIRE(utf16.at("cases").size() == code_points.at("cases").size());
  int differing = 0;
  for (size_t i = 0; i < utf16.at("cases").size(); ++i) {
    if (utf16["cases"][i]["chunks"] != code_points["cases"][i]["chunks"]) ++differing;
  }
  CHECK(differing >= 5);
}

}  // namespace
}  // namespace catena::retrieval
