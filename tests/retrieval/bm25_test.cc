#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <time.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "retrieval/bm25_index.h"
#include "storage/rocksdb_util.h"

namespace catena::retrieval {
namespace {

// A RocksDB database in a fresh temporary directory, removed at the end.
class TempDb {
 public:
  TempDb() {
    char pattern[] = "/tmp/catena_bm25_XXXXXX";
    path_ = ::mkdtemp(pattern);
    Reopen();
  }
  ~TempDb() {
    db_.reset();
    std::filesystem::remove_all(path_);
  }
  void Reopen() {
    db_.reset();
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    REQUIRE(rocksdb::DB::Open(options, path_, &db).ok());
    db_.reset(db);
  }
  void Close() { db_.reset(); }
  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* cf() { return db_->DefaultColumnFamily(); }
  void Write(rocksdb::WriteBatch& batch) { REQUIRE(db_->Write(rocksdb::WriteOptions(), &batch).ok()); }

 private:
  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
};

Bm25Options NoStopWords() {
  Bm25Options options;
  options.analyzer.stop_words = false;
  return options;
}

std::unique_ptr<Bm25Index> OpenIndex(TempDb& db, Bm25Options options = NoStopWords(), std::string prefix = "c/bm25/") {
  absl::StatusOr<std::unique_ptr<Bm25Index>> index = Bm25Index::Open(db.db(), db.cf(), prefix, options);
  REQUIRE(index.ok());
  return *std::move(index);
}

void AddAll(TempDb& db, Bm25Index& index, const std::map<int64_t, std::string>& docs) {
  rocksdb::WriteBatch batch;
  for (const auto& [doc, text] : docs) REQUIRE(index.Add(doc, text, batch).ok());
  db.Write(batch);
}

std::vector<ScoredId> Search(const Bm25Index& index, std::string_view query, int k = 10,
                             const IdFilter* filter = nullptr) {
  absl::StatusOr<std::vector<ScoredId>> hits = index.Search(query, k, filter);
  REQUIRE(hits.ok());
  return *hits;
}

std::vector<int64_t> Ids(const std::vector<ScoredId>& hits) {
  std::vector<int64_t> ids;
  for (const ScoredId& hit : hits) ids.push_back(hit.id);
  return ids;
}

// Okapi BM25 with Lucene's idf, written out independently of the index.
double HandScore(double tf, double doc_length, double avg_length, double n_docs, double doc_freq) {
  const double k1 = 1.2, b = 0.75;
  const double idf = std::log(1 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5));
  return idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * doc_length / avg_length));
}

const std::map<int64_t, std::string> kCorpus = {
    {1, "apple banana apple"}, {2, "banana cherry"}, {3, "apple cherry cherry durian"}, {4, "elderberry"}};

TEST_CASE("bm25 scores equal a hand computation of okapi bm25", "[unit]") {
  TempDb db;
  auto index = OpenIndex(db);
  AddAll(db, *index, kCorpus);
  CHECK(index->document_count() == 4);
  // N = 4, avgdl = (3 + 2 + 4 + 1) / 4 = 2.5; apple in docs 1 and 3, cherry in docs 2 and 3.
  const double doc1 = HandScore(2, 3, 2.5, 4, 2);
  const double doc2 = HandScore(1, 2, 2.5, 4, 2);
  const double doc3 = HandScore(1, 4, 2.5, 4, 2) + HandScore(2, 4, 2.5, 4, 2);
  const std::vector<ScoredId> hits = Search(*index, "Apple CHERRY apple");
  REQUIRE(Ids(hits) == std::vector<int64_t>{3, 1, 2});
  CHECK(hits[0].score == Approx(doc3).epsilon(1e-6));
  CHECK(hits[1].score == Approx(doc1).epsilon(1e-6));
  CHECK(hits[2].score == Approx(doc2).epsilon(1e-6));
  CHECK(Search(*index, "apple cherry", 1).size() == 1);
  CHECK(Search(*index, "kiwi").empty());
  CHECK(Search(*index, "").empty());
}

TEST_CASE("bm25 search folds case and ignores stop words with the default analyzer", "[unit]") {
  TempDb db;
  auto index = OpenIndex(db, Bm25Options());
  AddAll(db, *index,
         {{1, "The Cat sat on the mat"}, {2, "A dog and THE cat"}, {3, "Ελληνικά ΚΕΊΜΕΝΑ"}, {4, "東京の天気"}});
  CHECK(Search(*index, "the and a on").empty());
  CHECK(Ids(Search(*index, "CAT")) == std::vector<int64_t>{2, 1});  // Shorter document first.
  CHECK(Ids(Search(*index, "the mat")) == std::vector<int64_t>{1});
  CHECK(Ids(Search(*index, "κείμενα")) == std::vector<int64_t>{3});
  CHECK(Ids(Search(*index, "天気")) == std::vector<int64_t>{4});
}

TEST_CASE("bm25 breaks ties by the smaller document number and applies the id filter", "[unit]") {
  TempDb db;
  auto index = OpenIndex(db);
  AddAll(db, *index, {{9, "red fish"}, {4, "red fish"}, {6, "blue fish"}, {2, "blue whale"}});
  CHECK(Ids(Search(*index, "red")) == std::vector<int64_t>{4, 9});
  const std::vector<int64_t> allowed = {6, 9};
  const IdBitset filter(allowed);
  CHECK(Ids(Search(*index, "fish", 10, &filter)) == std::vector<int64_t>{6, 9});
  CHECK(Search(*index, "whale", 10, &filter).empty());
}

TEST_CASE("bm25 rejects bad k, duplicate documents and bad options", "[unit]") {
  TempDb db;
  auto index = OpenIndex(db);
  AddAll(db, *index, kCorpus);
  CHECK(index->Search("apple", 0).status().message() == "bm25: k must be in [1, 10000], got 0");
  CHECK(index->Search("apple", 10001).status().code() == absl::StatusCode::kInvalidArgument);
  rocksdb::WriteBatch batch;
  CHECK(index->Add(1, "again", batch).message() == "bm25: document 1 is already indexed; remove it first");
  CHECK(index->Remove(12345, batch).ok());
  CHECK(batch.Count() == 0);
  Bm25Options bad = NoStopWords();
  bad.b = 1.5f;
  CHECK(Bm25Index::Open(db.db(), db.cf(), "x/", bad).status().message() == "bm25: b must be in [0, 1], got 1.5");
  CHECK(Bm25Index::Open(db.db(), db.cf(), "", NoStopWords()).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("remove then re-add replaces a document's text", "[unit]") {
  TempDb db;
  auto index = OpenIndex(db);
  AddAll(db, *index, kCorpus);
  rocksdb::WriteBatch batch;
  REQUIRE(index->Remove(3, batch).ok());
  CHECK(index->document_count() == 3);
  CHECK(Ids(Search(*index, "durian")).empty());
  REQUIRE(index->Add(3, "durian durian", batch).ok());
  db.Write(batch);
  CHECK(Ids(Search(*index, "durian")) == std::vector<int64_t>{3});
  CHECK(Ids(Search(*index, "cherry")) == std::vector<int64_t>{2});
  // Same scores as a fresh index built from the final texts.
  TempDb fresh_db;
  auto fresh = OpenIndex(fresh_db);
  std::map<int64_t, std::string> final_corpus = kCorpus;
  final_corpus[3] = "durian durian";
  AddAll(fresh_db, *fresh, final_corpus);
  for (const char* query : {"apple", "banana cherry", "durian elderberry"}) {
    CHECK(Search(*index, query) == Search(*fresh, query));
  }
}

TEST_CASE("an index reopened from rocksdb returns identical results", "[integration]") {
  TempDb db;
  const std::vector<std::string> queries = {"apple", "banana cherry", "durian apple", "мир", "東京", "ελλάδα"};
  std::vector<std::vector<ScoredId>> before;
  {
    auto index = OpenIndex(db);
    AddAll(db, *index, kCorpus);
    AddAll(db, *index,
           {{10, "Привет, мир! Мир большой."},
            {11, "東京タワーは東京にあります"},
            {12, "Η Ελλάδα είναι όμορφη"},
            {-5, "negative apple"}});
    rocksdb::WriteBatch batch;
    REQUIRE(index->Remove(2, batch).ok());
    db.Write(batch);
    for (const std::string& query : queries) before.push_back(Search(*index, query));
    CHECK(Ids(before[3]) == std::vector<int64_t>{10});
    CHECK(Ids(before[4]) == std::vector<int64_t>{11});
    CHECK(Ids(before[5]) == std::vector<int64_t>{12});
  }
  db.Close();
  db.Reopen();
  auto reopened = OpenIndex(db);
  CHECK(reopened->document_count() == 7);
  CHECK_FALSE(reopened->Contains(2));
  for (size_t i = 0; i < queries.size(); ++i) {
    INFO(queries[i]);
    CHECK(Search(*reopened, queries[i]) == before[i]);
  }
}

TEST_CASE("drop all removes only this index's records", "[integration]") {
  TempDb db;
  auto first = OpenIndex(db, NoStopWords(), "a/");
  auto second = OpenIndex(db, NoStopWords(), "b/");
  AddAll(db, *first, kCorpus);
  AddAll(db, *second, kCorpus);
  rocksdb::WriteBatch batch;
  REQUIRE(first->DropAll(batch).ok());
  db.Write(batch);
  CHECK(first->document_count() == 0);
  CHECK(Search(*first, "apple").empty());
  CHECK(OpenIndex(db, NoStopWords(), "a/")->document_count() == 0);
  CHECK(OpenIndex(db, NoStopWords(), "b/")->document_count() == 4);
}

TEST_CASE("an undecodable record is reported as data loss", "[integration]") {
  TempDb db;
  std::string key = "c/bm25/d";
  storage::AppendOrderedInt64(key, 0);
  REQUIRE(db.db()->Put(rocksdb::WriteOptions(), key, "\x07garbage").ok());
  const absl::Status status = Bm25Index::Open(db.db(), db.cf(), "c/bm25/", NoStopWords()).status();
  CHECK(status.code() == absl::StatusCode::kDataLoss);
  CHECK(std::string(status.message()) == "bm25: undecodable record under prefix 'c/bm25/' for document 0");
}

TEST_CASE("searches run concurrently with writes", "[unit]") {
  TempDb db;
  auto index = OpenIndex(db);
  AddAll(db, *index, kCorpus);
  std::atomic<bool> ok = true;
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      for (int i = 0; i < 300; ++i) {
        auto hits = index->Search("apple cherry", 5);
        if (!hits.ok() || hits->empty() ||
            !std::is_sorted(hits->begin(), hits->end(), [](auto& a, auto& b) { return a.score > b.score; })) {
          ok = false;
        }
      }
    });
  }
  for (int64_t doc = 100; doc < 400; ++doc) {
    rocksdb::WriteBatch batch;
    REQUIRE(index->Add(doc, "apple pie number " + std::to_string(doc), batch).ok());
    if (doc % 2 == 0) REQUIRE(index->Remove(doc - 1, batch).ok());
  }
  for (std::thread& reader : readers) reader.join();
  CHECK(ok);
  CHECK(index->document_count() == 4 + 300 - 149);  // Removing 99 was a no-op; 101..397 (odd) were removed.
}

TEST_CASE("bm25 latency over 100k synthetic documents", "[slow]") {
  TempDb db;
  auto index = OpenIndex(db, Bm25Options());
  constexpr int kVocabulary = 50000, kDocs = 100000, kWords = 100;
  std::vector<double> cdf(kVocabulary);
  double total = 0;
  for (int r = 0; r < kVocabulary; ++r) cdf[r] = total += 1.0 / (r + 1);
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> uniform(0, total);
  const auto word = [&] {
    return "w" + std::to_string(std::lower_bound(cdf.begin(), cdf.end(), uniform(rng)) - cdf.begin());
  };
  const auto build_start = std::chrono::steady_clock::now();
  rocksdb::WriteBatch batch;
  for (int doc = 0; doc < kDocs; ++doc) {
    std::string text;
    for (int w = 0; w < kWords; ++w) text += word() + " ";
    REQUIRE(index->Add(doc, text, batch).ok());
    if (doc % 1000 == 999) batch.Clear();  // Latency is the point here, not persistence.
  }
  const double build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - build_start).count();
  // Wall time and this thread's CPU time (the latter is meaningful on a shared, loaded machine).
  const auto cpu_ms = [] {
    timespec ts;
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
  };
  std::vector<double> wall_ms, thread_ms;
  for (int q = 0; q < 1000; ++q) {
    std::string query;
    for (int w = 2 + q % 4; w > 0; --w) query += word() + " ";
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_ms();
    const auto hits = index->Search(query, 10);
    thread_ms.push_back(cpu_ms() - cpu_start);
    wall_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    REQUIRE(hits.ok());
  }
  std::sort(wall_ms.begin(), wall_ms.end());
  std::sort(thread_ms.begin(), thread_ms.end());
  std::printf("bm25 100k docs: build %.1f s; search wall p50 %.3f ms p99 %.3f ms; cpu p50 %.3f ms p99 %.3f ms\n",
              build_s, wall_ms[500], wall_ms[990], thread_ms[500], thread_ms[990]);
  CHECK(index->document_count() == static_cast<size_t>(kDocs));
}

}  // namespace
}  // namespace catena::retrieval
