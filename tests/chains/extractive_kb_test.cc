// The extractive model on the banking example (examples/banking): for each question of eval.jsonl, the four
// knowledge-base documents of its language sharing most content terms with it are the passages (a stand-in
// for retrieval); the answer must cite only supporting documents and carry the expected answer's facts, and
// questions the knowledge base cannot answer must get the no-answer reply.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "chains/extractive_chat_model.h"
#include "chains/extractive_text.h"

namespace catena::chains {
namespace {

namespace fs = std::filesystem;

struct KbDocument {
  std::string id;  // path under kb/ without .md, e.g. "en/lost-stolen-card"
  std::string text;
};

const fs::path& BankingDir() {
  static const fs::path* dir = new fs::path(fs::path(CATENA_SOURCE_DIR) / "examples" / "banking");
  return *dir;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The body after the "---" front matter.
std::string Body(const std::string& text) {
  REQUIRE(text.rfind("---\n", 0) == 0);
  const size_t end = text.find("\n---\n", 4);
  REQUIRE(end != std::string::npos);
  return text.substr(end + 5);
}

std::vector<KbDocument> LoadKb(const std::string& lang) {
  std::vector<KbDocument> documents;
  for (const auto& entry : fs::directory_iterator(BankingDir() / "kb" / lang)) {
    const std::string text = ReadFile(entry.path());
    REQUIRE(text.find("\nlang: " + lang + "\n") != std::string::npos);
    const std::string id = lang + "/" + entry.path().stem().string();
    REQUIRE(text.find("\ndoc_id: " + id + "\n") != std::string::npos);
    documents.push_back({id, Body(text)});
  }
  std::sort(documents.begin(), documents.end(), [](auto& a, auto& b) { return a.id < b.id; });
  return documents;
}

// The k documents sharing most distinct content terms with `question` (ties: id order).
std::vector<const KbDocument*> TopDocuments(const std::vector<KbDocument>& kb, const std::string& question, size_t k) {
  const std::vector<std::string> terms = ContentTerms(question);
  const std::set<std::string> wanted(terms.begin(), terms.end());
  std::vector<std::pair<int, const KbDocument*>> scored;
  for (const KbDocument& document : kb) {
    const std::vector<std::string> doc_terms = ContentTerms(document.text);
    const std::set<std::string> have(doc_terms.begin(), doc_terms.end());
    int shared = 0;
    for (const std::string& term : wanted) shared += have.contains(term) ? 1 : 0;
    scored.push_back({-shared, &document});
  }
  std::stable_sort(scored.begin(), scored.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::vector<const KbDocument*> top;
  for (size_t i = 0; i < std::min(k, scored.size()); ++i) top.push_back(scored[i].second);
  return top;
}

TEST_CASE("the banking knowledge base has at least 30 documents in English and French", "[unit]") {
  const size_t english = LoadKb("en").size();
  const size_t french = LoadKb("fr").size();
  CHECK(english >= 15);
  CHECK(french >= 15);
  CHECK(english + french >= 30);
}

struct QaTally {
  int answerable = 0;
  int supported = 0;        // answerable questions that got an answer
  int with_facts = 0;       // ... holding at least half of the expected answer's content terms
  int citations = 0;
  int correct_citations = 0;  // citations of a supporting document
  int unanswerable = 0;
  int declined = 0;           // unanswerable questions that got the no-answer reply
};

// Share of `expected`'s content terms found in `answer`.
double FactShare(const std::string& expected, const std::string& answer) {
  const std::vector<std::string> want = ContentTerms(expected);
  const std::vector<std::string> got = ContentTerms(answer);
  const std::set<std::string> got_set(got.begin(), got.end());
  size_t found = 0;
  for (const std::string& term : want) found += got_set.contains(term) ? 1 : 0;
  return want.empty() ? 0 : static_cast<double>(found) / want.size();
}

void Tally(const nlohmann::json& test_case, const std::vector<KbDocument>& kb, QaTally& tally) {
  const std::string question = test_case.at("question");
  const std::set<std::string> supporting = test_case.at("supporting_docs");
  std::vector<ExtractivePassage> passages;
  std::vector<std::string> ids;
  for (const KbDocument* document : TopDocuments(kb, question, 4)) {
    passages.push_back({static_cast<int>(passages.size()) + 1, document->text});
    ids.push_back(document->id);
  }
  const ExtractiveAnswer answer = ComposeExtractiveAnswer(question, passages);
  if (std::getenv("CATENA_SHOW_ANSWERS") != nullptr) {  // to inspect the answers when tuning
    std::fprintf(stderr, "%s: %s\n", test_case.at("id").get<std::string>().c_str(), answer.text.c_str());
  }
  if (supporting.empty()) {
    ++tally.unanswerable;
    tally.declined += !answer.supported && answer.text == NoAnswerText(question) ? 1 : 0;
    return;
  }
  ++tally.answerable;
  tally.supported += answer.supported ? 1 : 0;
  tally.with_facts += FactShare(test_case.at("expected_answer"), answer.text) >= 0.5 ? 1 : 0;
  for (int citation : answer.citations) {
    ++tally.citations;
    tally.correct_citations += supporting.contains(ids[citation - 1]) ? 1 : 0;
  }
}

// Thresholds just below what the model reaches on the QA set today (docs/eval.md records the numbers): a
// regression in ranking, stemming or the coverage rule shows up here.
TEST_CASE("extractive answers to the banking QA set cite supporting documents and carry the facts", "[unit]") {
  const std::vector<KbDocument> english = LoadKb("en");
  const std::vector<KbDocument> french = LoadKb("fr");
  std::ifstream in(BankingDir() / "eval.jsonl");
  std::string line;
  QaTally tally;
  while (std::getline(in, line)) {
    const nlohmann::json test_case = nlohmann::json::parse(line);
    Tally(test_case, test_case.at("inputs").at("language") == "fr" ? french : english, tally);
  }
  INFO("answerable " << tally.answerable << ", supported " << tally.supported << ", with facts "
                     << tally.with_facts << ", citations " << tally.correct_citations << "/" << tally.citations
                     << ", unanswerable " << tally.unanswerable << ", declined " << tally.declined);
  REQUIRE(tally.answerable + tally.unanswerable >= 20);
  CHECK(tally.declined == tally.unanswerable);
  CHECK(tally.supported == tally.answerable);
  CHECK(tally.with_facts * 4 >= tally.answerable * 3);        // today 44 of 51
  CHECK(tally.correct_citations * 20 >= tally.citations * 17);  // today 84 of 98
}

}  // namespace
}  // namespace catena::chains
