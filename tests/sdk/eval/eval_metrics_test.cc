// The metrics and reports of `catena eval` against hand-computed values, and ROUGE-L / BLEU against the
// independent Python reference tests/sdk/eval/reference_metrics.py (its printed values are pinned here).
#include <cmath>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "eval/eval_metrics.h"
#include "eval/eval_report.h"

namespace catena::eval {
namespace {

using Approx = Catch::Detail::Approx;
using Strings = std::vector<std::string>;

TEST_CASE("answer tokens drop citations, case, punctuation and English articles", "[unit]") {
  CHECK(AnswerTokens("The card is blocked [2]. Call +33 1!") == Strings{"card", "is", "blocked", "call", "33", "1"});
  CHECK(AnswerTokens("Déjà vu") == Strings{"déjà", "vu"});
}

TEST_CASE("exact match compares normalized answers", "[unit]") {
  CHECK(ExactMatch("The limit is 50 EUR [1].", "limit is 50 eur") == 1);
  CHECK(ExactMatch("The limit is 50 EUR.", "The limit is 60 EUR.") == 0);
}

TEST_CASE("token F1 counts repeated tokens once per occurrence in the reference", "[unit]") {
  // pred [cat sat on mat], ref [cat is on mat]: overlap 3, P = R = 3/4.
  CHECK(TokenF1("the cat sat on the mat", "the cat is on the mat") == Approx(0.75));
  // pred [card card block], ref [block card]: overlap 2, P = 2/3, R = 1, F1 = 0.8.
  CHECK(TokenF1("card card block", "block the card") == Approx(0.8));
  CHECK(TokenF1("", "") == 1);
  CHECK(TokenF1("something", "") == 0);
}

TEST_CASE("ROUGE-L is the F1 of the longest common subsequence", "[unit]") {
  // LCS([card card block], [block card]) = 1: P = 1/3, R = 1/2, F1 = 0.4.
  CHECK(RougeL("card card block", "block the card") == Approx(0.4));
  CHECK(RougeL("the cat sat on the mat", "the cat is on the mat") == Approx(0.75));
  CHECK(RougeL("cat on mat", "the cat is on the mat") == Approx(6.0 / 7));
}

TEST_CASE("sentence BLEU uses add-one smoothing above unigrams and a brevity penalty", "[unit]") {
  // p1 = 3/4, p2 = (1+1)/(3+1), p3 = (0+1)/(2+1), p4 = (0+1)/(1+1); product 1/16, fourth root 0.5; BP = 1.
  CHECK(SentenceBleu("the cat sat on the mat", "the cat is on the mat") == Approx(0.5));
  // p1 = 1, p2 = 2/3, p3 = 1/2, p4 = 1/1 (no 4-grams); BP = exp(1 - 4/3).
  CHECK(SentenceBleu("cat on mat", "the cat is on the mat") ==
        Approx(std::exp(1 - 4.0 / 3) * std::pow(1.0 / 3, 0.25)));
  CHECK(SentenceBleu("nothing shared", "the cat is on the mat") == 0);
  CHECK(SentenceBleu("", "the cat") == 0);
}

TEST_CASE("ROUGE-L and BLEU agree with the independent Python reference", "[unit]") {
  struct Case {
    const char* prediction;
    const char* reference;
    double rouge_l;
    double bleu;
  };
  const std::vector<Case> cases = {
      {"Block it at once in the app under Cards, then Block card [2].",
       "Block it at once in the Northwind app under Cards, then Block card, or call +33 1 84 60 20 24.", 0.709677,
       0.368188},
      {"50 EUR per transaction [1].", "50 EUR per transaction.", 1.0, 1.0},
      {"Le plafond est de 5 000 EUR par jour [3].", "5 000 EUR par jour, relevable jusqu'à 20 000 EUR.", 0.5,
       0.406071},
  };
  for (const Case& c : cases) {
    INFO(c.prediction);
    CHECK(RougeL(c.prediction, c.reference) == Approx(c.rouge_l).margin(1e-6));
    CHECK(SentenceBleu(c.prediction, c.reference) == Approx(c.bleu).margin(1e-6));
  }
}

TEST_CASE("citations are the bracketed positive numbers", "[unit]") {
  CHECK(Citations("a [1] b [12]. c [0] [x] [3") == std::vector<int>{1, 12});
}

TEST_CASE("retrieval metrics rank distinct documents, chunks folded into their document", "[unit]") {
  const Strings ranked = {"d3", "d1#0", "d1#1", "d2", "d5"};  // documents: d3, d1, d2, d5
  const std::set<std::string> relevant = {"d1", "d2"};
  CHECK(DocumentOf("d1#7") == "d1");
  CHECK(DocumentOf("en/fees") == "en/fees");
  CHECK(RecallAtK(ranked, relevant, 1) == 0);
  CHECK(RecallAtK(ranked, relevant, 2) == Approx(0.5));
  CHECK(RecallAtK(ranked, relevant, 3) == 1);
  CHECK(ReciprocalRank(ranked, relevant) == Approx(0.5));
  // DCG = 1/log2(3) + 1/log2(4); ideal = 1 + 1/log2(3).
  CHECK(NdcgAtK(ranked, relevant, 10) == Approx((1 / std::log2(3.0) + 0.5) / (1 + 1 / std::log2(3.0))));
  CHECK(NdcgAtK({"d1", "d2"}, relevant, 10) == Approx(1));
  CHECK(ReciprocalRank({"x"}, relevant) == 0);
}

TEST_CASE("datasets parse line by line and name the bad line and field", "[unit]") {
  auto cases = ParseEvalDataset(
      "{\"id\": \"q1\", \"question\": \"Q?\", \"expected_answer\": \"A\", \"supporting_docs\": [\"d1\"],"
      " \"inputs\": {\"language\": \"en\"}}\n\n{\"question\": \"Off topic?\"}\n");
  REQUIRE(cases.ok());
  REQUIRE(cases->size() == 2);
  CHECK((*cases)[0].inputs["language"] == "en");
  CHECK((*cases)[0].answerable());
  CHECK((*cases)[1].id == "line 3");
  CHECK_FALSE((*cases)[1].answerable());
  auto bad = ParseEvalDataset("{\"question\": \"ok\"}\n{\"id\": \"q2\"}\n");
  CHECK(bad.status().message() == "dataset line 2: missing field 'question'");
  CHECK(ParseEvalDataset("{\"question\": 5}").status().message() == "dataset line 1: field 'question' must be a string");
  CHECK(ParseEvalDataset("{\"question\": \"q\", \"supporting_docs\": \"d1\"}").status().message() ==
        "dataset line 1: field 'supporting_docs' must be an array of strings");
  CHECK(ParseEvalDataset("not json").status().message() == "dataset line 1: not a JSON object");
  CHECK(ParseEvalDataset("\n").status().message() == "the dataset has no cases");
}

TEST_CASE("case scores check citations against the supporting documents", "[unit]") {
  const EvalCase answerable{.id = "q", .question = "Q?", .expected_answer = "Block card", .supporting_docs = {"d1"}};
  const CaseScores scores = ScoreCase(answerable, "Block card [2]. See also [1] and [9].", {"d0", "d1#3"}, 5);
  CHECK(scores.citations == 3);
  CHECK(scores.correct_citations == 1);  // [2] is d1; [1] is d0; [9] is out of range
  CHECK(scores.reciprocal_rank == Approx(0.5));
  CHECK(scores.token_f1 < 1);
  const EvalCase unanswerable{.id = "u", .question = "Crypto?"};
  CHECK(ScoreCase(unanswerable, "I could not find an answer.", {"d0"}, 5).abstained);
  CHECK_FALSE(ScoreCase(unanswerable, "Maybe [1].", {"d0"}, 5).abstained);
}

TEST_CASE("the summary averages answer metrics over answerable cases and counts abstentions", "[unit]") {
  const EvalCase a{.id = "a", .question = "?", .expected_answer = "50 EUR", .supporting_docs = {"d1"}};
  const EvalCase u{.id = "u", .question = "?"};
  std::vector<CaseScores> scores = {ScoreCase(a, "50 EUR [1]", {"d1"}, 5), ScoreCase(a, "60 USD [1]", {"d2", "d1"}, 1),
                                    ScoreCase(u, "No answer.", {}, 5), CaseScores{.id = "f", .error = "boom"}};
  const EvalSummary summary = Summarize(scores, 5);
  CHECK(summary.cases == 4);
  CHECK(summary.failed == 1);
  CHECK(summary.answerable == 2);
  CHECK(summary.exact_match == Approx(0.5));
  CHECK(summary.mrr == Approx(0.75));
  CHECK(summary.recall_at_k == Approx(0.5));  // the second case scored recall@1 = 0
  CHECK(summary.citation_precision == Approx(0.5));
  CHECK(summary.abstained_unanswerable == 1);
  const std::string table = SummaryTable(summary);
  CHECK(table.find("exact match              0.5000   over 2 cases") != std::string::npos);
  CHECK(table.find("citation precision       0.5000   1 of 2 citations") != std::string::npos);
  const nlohmann::json report = ReportJson(summary, scores);
  CHECK(report["summary"]["mrr"].get<double>() == Approx(0.75));
  CHECK(report["cases"][3]["error"] == "boom");
}

}  // namespace
}  // namespace catena::eval
