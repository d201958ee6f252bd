// Collections end to end on a real RocksDB and real FAISS/hnswlib indexes: upsert/replace/delete, dense,
// sparse and hybrid search with filters, reopening, tenant isolation and idempotent ingestion.
#include <catch2/catch.hpp>
#include <filesystem>
#include <random>

#include "inference/embedder_registry.h"
#include "retrieval/ingestor.h"
#include "retrieval/retrieval_engine.h"
#include "tests/support/temp_dir.h"

namespace catena::retrieval {
namespace {

using inference::EmbedInputKind;

// Bag of letters: dimension 26, one count per ASCII letter, unit length. Independent of the real embedders.
class LetterEmbedder final : public inference::Embedder {
 public:
  const inference::EmbedderInfo& info() const override { return info_; }
  absl::StatusOr<inference::Embeddings> Embed(std::span<const std::string> texts, EmbedInputKind) const override {
    inference::Embeddings embeddings{.dimension = 26};
    for (const std::string& text : texts) {
      std::vector<float> row(26, 0);
      for (char c : text) {
        if (std::isalpha(static_cast<unsigned char>(c))) row[std::tolower(static_cast<unsigned char>(c)) - 'a'] += 1;
      }
      inference::NormalizeL2(row);
      embeddings.values.insert(embeddings.values.end(), row.begin(), row.end());
    }
    return embeddings;
  }

 private:
  inference::EmbedderInfo info_{.name = "letters", .dimension = 26, .kind = "test"};
};

std::shared_ptr<inference::EmbedderRegistry> Registry() {
  auto registry = std::make_shared<inference::EmbedderRegistry>();
  REQUIRE(registry->Register(std::make_shared<LetterEmbedder>()).ok());
  return registry;
}

std::unique_ptr<RetrievalEngine> OpenEngine(const std::filesystem::path& dir) {
  auto engine = RetrievalEngine::Open({.data_dir = dir, .embedders = Registry()});
  REQUIRE(engine.ok());
  return *std::move(engine);
}

StoredDocument Doc(std::string id, std::string text, nlohmann::json metadata = nlohmann::json::object()) {
  return StoredDocument{.id = std::move(id), .text = std::move(text), .metadata = std::move(metadata)};
}

CollectionSpec LetterSpec(std::string index = "Flat") {
  return CollectionSpec{
      .dimension = 26,
      .index = std::move(index),
      .embedder = "letters",
      .fields = {{"lang", FieldType::kString}, {"year", FieldType::kInt}, {"tags", FieldType::kStringList}}};
}

TEST_CASE("upsert, get, replace and delete keep the store and the indexes in step", "[integration]") {
  testing::TempDir dir("collection");
  auto engine = OpenEngine(dir.path());
  REQUIRE(engine->CreateCollection("t1", "kb", LetterSpec()).ok());
  auto kb = *engine->Find("t1", "kb");
  auto ids = kb->Upsert({Doc("a", "credit card fees", {{"lang", "en"}, {"year", 2024}}),
                         Doc("b", "mortgage rates", {{"lang", "en"}, {"year", 2021}}),
                         Doc("", "zzz qqq", {{"lang", "de"}, {"year", 2023.0}})});
  REQUIRE(ids.ok());
  CHECK((*ids)[0] == "a");
  CHECK((*ids)[2].size() == 32);  // generated
  CHECK(kb->document_count() == 3);

  auto got = kb->Get(std::vector<std::string>{"b", "missing", "a"});
  REQUIRE(got.ok());
  REQUIRE(got->size() == 2);
  CHECK((*got)[0].text == "mortgage rates");
  CHECK((*got)[1].metadata["year"] == 2024);

  // Replacing "a" changes both its vector and its BM25 terms.
  REQUIRE(kb->Upsert({Doc("a", "zzz qqq zzz", {{"lang", "en"}, {"year", 2024}})}).ok());
  CHECK(kb->document_count() == 3);
  auto sparse = kb->Search({.text = "credit", .mode = SearchMode::kSparse});
  REQUIRE(sparse.ok());
  CHECK(sparse->empty());
  auto dense = kb->Search({.text = "qqq zzz zzz", .k = 1});
  REQUIRE(dense.ok());
  REQUIRE(dense->size() == 1);
  CHECK((*dense)[0].document.id == "a");
  CHECK((*dense)[0].score == Approx(1.0).margin(1e-5));

  CHECK(*kb->DeleteIds(std::vector<std::string>{"a", "nope"}) == 1);
  CHECK(*kb->DeleteWhere("lang == \"de\"") == 1);
  CHECK(kb->document_count() == 1);
  auto rest = kb->Search({.text = "zzz", .k = 10});
  REQUIRE(rest.ok());
  REQUIRE(rest->size() == 1);
  CHECK((*rest)[0].document.id == "b");
}

TEST_CASE("filters restrict dense, sparse and hybrid results", "[integration]") {
  testing::TempDir dir("collection");
  auto engine = OpenEngine(dir.path());
  REQUIRE(engine->CreateCollection("t1", "kb", LetterSpec("HNSW16")).ok());
  auto kb = *engine->Find("t1", "kb");
  std::vector<StoredDocument> documents;
  for (int i = 0; i < 200; ++i) {
    documents.push_back(Doc("d" + std::to_string(i), i % 2 == 0 ? "card card fee" : "loan rate term",
                            {{"lang", i % 4 == 0 ? "en" : "fr"},
                             {"year", 2000 + i % 30},
                             {"tags", i % 10 == 0 ? nlohmann::json{"cards", "promo"} : nlohmann::json{"misc"}}}));
  }
  REQUIRE(kb->Upsert(documents).ok());
  for (SearchMode mode : {SearchMode::kDense, SearchMode::kSparse, SearchMode::kHybrid}) {
    auto hits = kb->Search({.text = "card fee",
                            .k = 50,
                            .mode = mode,
                            .filter = "lang == \"en\" and year >= 2010 and tags contains \"cards\""});
    REQUIRE(hits.ok());
    REQUIRE_FALSE(hits->empty());
    for (const SearchResult& hit : *hits) {
      const int i = std::stoi(hit.document.id.substr(1));
      CHECK(i % 4 == 0);
      CHECK(2000 + i % 30 >= 2010);
      CHECK(i % 10 == 0);
    }
    // Exactly the documents that pass: i % 20 == 0 with year >= 2010.
    int expected = 0;
    for (int i = 0; i < 200; i += 20) expected += 2000 + i % 30 >= 2010 ? 1 : 0;
    CHECK(static_cast<int>(hits->size()) == expected);
  }
  auto bad = kb->Search({.text = "card", .filter = "yeer >= 2010"});
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("yeer") && Catch::Contains("year"));
}

TEST_CASE("hybrid search fuses both rankings and MMR removes near duplicates", "[integration]") {
  testing::TempDir dir("collection");
  auto engine = OpenEngine(dir.path());
  REQUIRE(engine->CreateCollection("t1", "kb", LetterSpec()).ok());
  auto kb = *engine->Find("t1", "kb");
  REQUIRE(kb->Upsert({Doc("dup1", "annual card fee"), Doc("dup2", "annual card fee!"), Doc("other", "fee waiver"),
                      Doc("noise", "mortgage")})
              .ok());
  auto hybrid = kb->Search({.text = "annual card fee", .k = 3, .mode = SearchMode::kHybrid});
  REQUIRE(hybrid.ok());
  REQUIRE(hybrid->size() == 3);
  CHECK(((*hybrid)[0].document.id == "dup1" || (*hybrid)[0].document.id == "dup2"));
  CHECK((*hybrid)[0].dense_score.has_value());
  CHECK((*hybrid)[0].sparse_score.has_value());
  CHECK_FALSE((*hybrid)[0].highlights.empty());

  auto diverse = kb->Search({.text = "annual card fee", .k = 2, .mmr_lambda = 0.3f});
  REQUIRE(diverse.ok());
  REQUIRE(diverse->size() == 2);
  const std::set<std::string> picked = {(*diverse)[0].document.id, (*diverse)[1].document.id};
  CHECK(picked.count("dup1") + picked.count("dup2") == 1);  // never both near-duplicates
}

TEST_CASE("collections reopen with the same documents and search results", "[integration]") {
  testing::TempDir dir("collection");
  std::vector<SearchResult> before;
  {
    auto engine = OpenEngine(dir.path());
    REQUIRE(engine->CreateCollection("t1", "kb", LetterSpec("HNSW16")).ok());
    auto kb = *engine->Find("t1", "kb");
    std::vector<StoredDocument> documents;
    std::mt19937 random(7);
    for (int i = 0; i < 300; ++i) {
      std::string text;
      for (int w = 0; w < 6; ++w) text += std::string(1 + random() % 5, static_cast<char>('a' + random() % 26)) + " ";
      documents.push_back(Doc("d" + std::to_string(i), text, {{"year", 2000 + i % 7}}));
    }
    REQUIRE(kb->Upsert(documents).ok());
    REQUIRE(*kb->DeleteIds(std::vector<std::string>{"d5", "d6"}) == 2);
    before = *kb->Search({.text = "abc def", .k = 10, .mode = SearchMode::kHybrid, .filter = "year != 2003"});
  }
  auto engine = OpenEngine(dir.path());
  auto kb = engine->Find("t1", "kb");
  REQUIRE(kb.ok());
  CHECK((*kb)->document_count() == 298);
  auto after = (*kb)->Search({.text = "abc def", .k = 10, .mode = SearchMode::kHybrid, .filter = "year != 2003"});
  REQUIRE(after.ok());
  REQUIRE(after->size() == before.size());
  for (size_t i = 0; i < before.size(); ++i) {
    CHECK((*after)[i].document.id == before[i].document.id);
    CHECK((*after)[i].score == Approx(before[i].score));
  }
}

TEST_CASE("tenants are isolated and names are validated", "[integration]") {
  testing::TempDir dir("collection");
  auto engine = OpenEngine(dir.path());
  REQUIRE(engine->CreateCollection("bank", "kb", LetterSpec()).ok());
  CHECK(engine->Find("shop", "kb").status().code() == absl::StatusCode::kNotFound);
  CHECK(engine->List("shop", 50, "").collections.empty());
  CHECK(engine->CreateCollection("bank", "kb", LetterSpec()).status().code() == absl::StatusCode::kAlreadyExists);
  REQUIRE(engine->CreateCollection("shop", "kb", LetterSpec()).ok());
  REQUIRE((*engine->Find("bank", "kb"))->Upsert({Doc("x", "secret bank memo")}).ok());
  auto shop_hits = (*engine->Find("shop", "kb"))->Search({.text = "secret bank memo", .k = 5});
  REQUIRE(shop_hits.ok());
  CHECK(shop_hits->empty());
  CHECK(engine->CreateCollection("bank", "bad name", LetterSpec()).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CollectionSpec bad_dimension = LetterSpec();
  bad_dimension.dimension = 10;
  auto mismatch = engine->CreateCollection("bank", "kb2", bad_dimension);
  CHECK(mismatch.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(mismatch.status().message()), Catch::Contains("spec.embedder"));
  REQUIRE(engine->DeleteCollection("bank", "kb").ok());
  CHECK(engine->Find("bank", "kb").status().code() == absl::StatusCode::kNotFound);
  // A re-created collection starts empty.
  REQUIRE(engine->CreateCollection("bank", "kb", LetterSpec()).ok());
  CHECK((*engine->Find("bank", "kb"))->document_count() == 0);
}

TEST_CASE("a collection created without a dimension takes its embedder's", "[integration]") {
  testing::TempDir dir("collection");
  auto engine = OpenEngine(dir.path());
  CollectionSpec named = LetterSpec();
  named.dimension = 0;
  auto created = engine->CreateCollection("bank", "named", named);
  REQUIRE(created.ok());
  CHECK(created->spec.dimension == 26);
  CollectionSpec by_default = LetterSpec();
  by_default.dimension = 0;
  by_default.embedder = "";
  auto defaulted = engine->CreateCollection("bank", "defaulted", by_default);
  REQUIRE(defaulted.ok());
  CHECK(defaulted->spec.dimension == 26);
  CHECK(defaulted->spec.embedder == "letters");
  CollectionSpec unknown = LetterSpec();
  unknown.dimension = 0;
  unknown.embedder = "glove-1000d";
  auto missing = engine->CreateCollection("bank", "unknown", unknown);
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(missing.status().message()), Catch::Contains("spec.dimension is 0 and spec.embedder"));
}

TEST_CASE("ingestion is idempotent by content hash and replaces changed sources", "[integration]") {
  testing::TempDir dir("collection");
  auto engine = OpenEngine(dir.path());
  REQUIRE(engine->CreateCollection("t1", "kb", LetterSpec()).ok());
  auto kb = *engine->Find("t1", "kb");
  IngestOptions options;
  options.splitter.chunk_size = 40;
  options.splitter.chunk_overlap = 0;
  std::vector<RawDocument> documents = {
      {.source = "guide.md", .content = "# Cards\n\nBlock a lost card in the app.\n\n# Loans\n\nRates start at 5%.\n"},
      {.source = "notes.txt", .content = "savings accounts and interest"},
      {.source = "bad.json", .content = "{not json"}};
  std::vector<IngestProgress> progress;
  auto first = Ingest(*kb, documents, options, [&](const IngestProgress& p) { progress.push_back(p); });
  REQUIRE(first.ok());
  CHECK(first->documents == 2);
  CHECK(first->chunks >= 3);
  REQUIRE(first->failures.size() == 1);
  CHECK(first->failures[0].first == "bad.json");
  REQUIRE(progress.size() == 3);
  CHECK(progress.back().documents_done == 3);
  const int64_t count = kb->document_count();
  CHECK(count == first->chunks);

  documents.pop_back();
  auto second = Ingest(*kb, documents, options);
  REQUIRE(second.ok());
  CHECK(second->unchanged == 2);
  CHECK(second->chunks == 0);
  CHECK(kb->document_count() == count);

  documents[0].content = "# Cards\n\nOnly one short section now.\n";
  auto third = Ingest(*kb, documents, options);
  REQUIRE(third.ok());
  CHECK(third->documents == 1);
  CHECK(kb->document_count() == third->chunks + 1);  // stale guide.md chunks are gone
  auto hits = kb->Search({.text = "Rates", .mode = SearchMode::kSparse});
  REQUIRE(hits.ok());
  CHECK(hits->empty());
}

}  // namespace
}  // namespace catena::retrieval

namespace catena::retrieval {
namespace {

TEST_CASE("a cached filter result is invalidated by writes", "[integration]") {
  testing::TempDir dir("collection");
  auto engine = OpenEngine(dir.path());
  REQUIRE(engine->CreateCollection("t1", "kb", LetterSpec()).ok());
  auto kb = *engine->Find("t1", "kb");
  REQUIRE(kb->Upsert({Doc("a", "alpha", {{"lang", "en"}}), Doc("b", "beta", {{"lang", "fr"}})}).ok());
  const SearchQuery query{.text = "alpha beta", .k = 10, .filter = "lang == \"en\""};
  for (int repeat = 0; repeat < 2; ++repeat) {  // the second search is answered from the cache
    auto hits = kb->Search(query);
    REQUIRE(hits.ok());
    REQUIRE(hits->size() == 1);
    CHECK((*hits)[0].document.id == "a");
  }
  REQUIRE(kb->Upsert({Doc("b", "beta", {{"lang", "en"}})}).ok());
  auto after_upsert = kb->Search(query);
  REQUIRE(after_upsert.ok());
  CHECK(after_upsert->size() == 2);
  REQUIRE(*kb->DeleteIds(std::vector<std::string>{"a"}) == 1);
  auto after_delete = kb->Search(query);
  REQUIRE(after_delete.ok());
  REQUIRE(after_delete->size() == 1);
  CHECK((*after_delete)[0].document.id == "b");
}

}  // namespace
}  // namespace catena::retrieval
