// The marketing example end to end on its real files: examples/marketing/kb ingested as `make run` does (brand
// guide whole, product sheets by sentence) into a retrieval engine with the hashing embedder, copy-studio run
// for every product sheet on both channels, and segment-customers on examples/marketing/customers.jsonl,
// whose planted segments must come back (adjusted Rand index against the `segment` field of each line).
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "chains/compiled_pipeline.h"
#include "chains/runner.h"
#include "common/asset_paths.h"
#include "common/executor.h"
#include "inference/embedder_registry.h"
#include "inference/hashing_embedder.h"
#include "inference/word_vector_embedder.h"
#include "inference/word_vectors.h"
#include "nlohmann/json.hpp"
#include "retrieval/ingestor.h"
#include "retrieval/retrieval_engine.h"
#include "tests/support/temp_dir.h"

namespace catena::chains {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kRoot = CATENA_SOURCE_DIR;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<retrieval::RawDocument> Documents(const fs::path& dir) {
  std::vector<retrieval::RawDocument> documents;
  for (const auto& entry : fs::directory_iterator(dir)) {
    documents.push_back({.source = entry.path().filename().string(), .content = ReadFile(entry.path())});
  }
  std::sort(documents.begin(), documents.end(), [](auto& a, auto& b) { return a.source < b.source; });
  return documents;
}

class Example {
 public:
  Example() : dir_("marketing-example"), executor_(ExecutorOptions{.threads = 2, .name = "mkt"}) {
    auto hashing = inference::HashingEmbedder::Create();
    REQUIRE(hashing.ok());
    REQUIRE(embedders_->Register(std::shared_ptr<const inference::Embedder>(*std::move(hashing))).ok());
    auto engine = retrieval::RetrievalEngine::Open({.data_dir = dir_.path(), .embedders = embedders_});
    REQUIRE(engine.ok());
    retrieval_ = *std::move(engine);
    runner_ = std::make_unique<Runner>(RunnerOptions{
        .services = RunServices{.executor = &executor_, .embedders = embedders_.get(), .retrieval = retrieval_.get()}});
  }
  ~Example() {
    runner_.reset();
    executor_.Shutdown();
  }

  // The collection `marketing` as scripts/run-examples.sh builds it.
  void IngestKnowledgeBase() {
    retrieval::CollectionSpec spec{.dimension = 384,
                                   .embedder = "hashing-384",
                                   .fields = {{"doc_type", retrieval::FieldType::kString, true},
                                              {"product", retrieval::FieldType::kString, true},
                                              {"lang", retrieval::FieldType::kString, true}}};
    REQUIRE(retrieval_->CreateCollection("t", "marketing", spec).ok());
    auto collection = retrieval_->Find("t", "marketing");
    REQUIRE(collection.ok());
    auto brand = retrieval::Ingest(**collection, Documents(kRoot / "examples/marketing/kb/brand"), {});
    REQUIRE(brand.ok());
    CHECK(brand->chunks == 5);
    retrieval::IngestOptions by_sentence{.splitter = {.kind = "sentence", .chunk_size = 160, .chunk_overlap = 0}};
    auto products = retrieval::Ingest(**collection, Documents(kRoot / "examples/marketing/kb/products"), by_sentence);
    REQUIRE(products.ok());
    CHECK(products->failures.empty());
  }

  inference::EmbedderRegistry& embedders() { return *embedders_; }

  json Run(const std::string& file, const json& inputs) {
    auto pipeline = CompilePipeline(ReadFile(kRoot / "examples/pipelines" / file),
                                    {.file = file, .registry = &NodeRegistry::BuiltIn()});
    INFO(pipeline.status());
    REQUIRE(pipeline.ok());
    RunResult result = runner_->Run(*pipeline, tmpl::Value::FromJson(inputs), RunOptions{.tenant = "t"});
    INFO(inputs.dump() << ": " << result.status);
    REQUIRE(result.state == RunResult::State::kCompleted);
    auto outputs = tmpl::ToJson(result.outputs);
    REQUIRE(outputs.ok());
    return *outputs;
  }

 private:
  catena::testing::TempDir dir_;
  Executor executor_;
  std::shared_ptr<inference::EmbedderRegistry> embedders_ = std::make_shared<inference::EmbedderRegistry>();
  std::unique_ptr<retrieval::RetrievalEngine> retrieval_;
  std::unique_ptr<Runner> runner_;
};

// Adjusted Rand index of two labelings (Hubert and Arabie 1985).
double AdjustedRand(const std::vector<int>& a, const std::vector<std::string>& b) {
  std::map<std::pair<int, std::string>, double> both;
  std::map<int, double> rows;
  std::map<std::string, double> columns;
  for (size_t i = 0; i < a.size(); ++i) {
    ++both[{a[i], b[i]}];
    ++rows[a[i]];
    ++columns[b[i]];
  }
  auto pairs = [](double n) { return n * (n - 1) / 2; };
  double index = 0, row_sum = 0, column_sum = 0;
  for (const auto& [key, n] : both) index += pairs(n);
  for (const auto& [key, n] : rows) row_sum += pairs(n);
  for (const auto& [key, n] : columns) column_sum += pairs(n);
  const double expected = row_sum * column_sum / pairs(static_cast<double>(a.size()));
  return (index - expected) / ((row_sum + column_sum) / 2 - expected);
}

TEST_CASE("copy-studio composes brand-safe A/B variants for every product sheet on both channels", "[integration]") {
  Example example;
  example.IngestKnowledgeBase();
  int runs = 0;
  for (const auto& entry : fs::directory_iterator(kRoot / "examples/marketing/kb/products")) {
    const std::string product = entry.path().stem().string();
    const std::string text = ReadFile(entry.path());
    const size_t audience_at = text.find("\naudience: ");
    REQUIRE(audience_at != std::string::npos);
    const std::string audience = text.substr(audience_at + 11, text.find('\n', audience_at + 1) - audience_at - 11);
    for (const std::string channel : {"email", "ad"}) {
      const json out =
          example.Run("copy-studio.yaml", {{"product", product}, {"segment", audience}, {"channel", channel}});
      INFO(product << " " << channel << ": " << out.dump());
      CHECK(out["valid"] == true);
      CHECK(out["passed"] == true);
      CHECK(out["brand_checks"]["banned_words_found"] == json::array());
      const json& variants = out["variants"];
      REQUIRE(variants.size() == 2);
      CHECK(variants[0]["id"] == "A");
      CHECK(variants[1]["id"] == "B");
      CHECK(variants[0]["body"] != variants[1]["body"]);
      for (const json& variant : variants) {
        CHECK(variant["citations"] == json::array({"products/" + product}));
        CHECK(text.find(variant["headline"].get<std::string>()) != std::string::npos);
        CHECK(variant["body"].get<std::string>().find('\n') == std::string::npos);
      }
      CHECK(text.find("\ncta: " + variants[0]["call_to_action"].get<std::string>() + "\n") != std::string::npos);
      CHECK(variants[1]["call_to_action"] == "See the details");
      ++runs;
    }
  }
  CHECK(runs >= 16);
}

json Customers(std::vector<std::string>* planted) {
  json customers = json::array();
  std::ifstream in(kRoot / "examples/marketing/customers.jsonl");
  for (std::string line; std::getline(in, line);) {
    const json customer = json::parse(line);
    planted->push_back(customer["segment"].get<std::string>());
    customers.push_back({{"id", customer["id"]}, {"text", customer["text"]}});
  }
  return customers;
}

TEST_CASE("segment-customers recovers the planted customer segments", "[integration]") {
  Example example;
  std::vector<std::string> planted;
  const json customers = Customers(&planted);
  REQUIRE(customers.size() >= 40);
  // The hashing embedder groups by shared words: most customers land in their planted segment.
  const json hashing = example.Run("segment-customers.yaml", {{"customers", customers}, {"k", 4}});
  CHECK(AdjustedRand(hashing["assignments"].get<std::vector<int>>(), planted) > 0.7);
  // GloVe also groups related words (flies/travels, pension/retired): every segment comes back, k by silhouette.
  auto cache =
      inference::EnsureWordVectorCache(DefaultAssetDir(), fs::path(CATENA_BINARY_DIR) / "test-cache" / "word-vectors");
  if (!cache.ok()) {
    WARN("glove-100d not available, its part is skipped: " << cache.status());
    return;
  }
  auto table = inference::WordVectorTable::Load(*cache);
  REQUIRE(table.ok());
  auto glove = inference::WordVectorEmbedder::Create(*table);
  REQUIRE(glove.ok());
  REQUIRE(example.embedders().Register(std::shared_ptr<const inference::Embedder>(*std::move(glove))).ok());
  const json out = example.Run("segment-customers.yaml", {{"customers", customers}, {"embedder", "glove-100d"}});
  CHECK(out["k"] == 4);
  CHECK(AdjustedRand(out["assignments"].get<std::vector<int>>(), planted) == Approx(1.0));
  const json labels = out["labels"];
  INFO(labels.dump());
  for (const char* word : {"student", "abroad", "home", "savings"}) {
    CHECK(std::any_of(labels.begin(), labels.end(),
                      [&](const json& label) { return label.get<std::string>().find(word) != std::string::npos; }));
  }
}

}  // namespace
}  // namespace catena::chains
