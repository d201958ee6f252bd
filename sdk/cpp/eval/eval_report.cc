#include "eval/eval_report.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "eval/eval_metrics.h"

namespace catena::eval {
namespace {

using nlohmann::json;

absl::Status LineError(size_t line, std::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("dataset line ", line, ": ", std::string(message)));
}

// A string field of `object`; "" when absent; an error naming the field when it is not a string.
absl::StatusOr<std::string> StringField(const json& object, const char* field, size_t line, bool required) {
  auto it = object.find(field);
  if (it == object.end()) {
    if (required) return LineError(line, absl::StrCat("missing field '", field, "'"));
    return std::string();
  }
  if (!it->is_string()) return LineError(line, absl::StrCat("field '", field, "' must be a string"));
  return it->get<std::string>();
}

absl::StatusOr<EvalCase> ParseCase(std::string_view text, size_t line) {
  json object = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded() || !object.is_object()) return LineError(line, "not a JSON object");
  EvalCase eval_case;
  auto id = StringField(object, "id", line, false);
  auto question = StringField(object, "question", line, true);
  auto expected = StringField(object, "expected_answer", line, false);
  for (const auto* field : {&id, &question, &expected}) {
    if (!field->ok()) return field->status();
  }
  eval_case.id = id->empty() ? absl::StrCat("line ", line) : *id;
  eval_case.question = *question;
  eval_case.expected_answer = *expected;
  if (auto it = object.find("inputs"); it != object.end()) {
    if (!it->is_object()) return LineError(line, "field 'inputs' must be an object");
    eval_case.inputs = *it;
  }
  if (auto it = object.find("supporting_docs"); it != object.end()) {
    if (!it->is_array()) return LineError(line, "field 'supporting_docs' must be an array of strings");
    for (const json& doc : *it) {
      if (!doc.is_string()) return LineError(line, "field 'supporting_docs' must be an array of strings");
      eval_case.supporting_docs.insert(doc.get<std::string>());
    }
  }
  return eval_case;
}

double Mean(double sum, int count) { return count == 0 ? 0 : sum / count; }

}  // namespace

absl::StatusOr<std::vector<EvalCase>> ParseEvalDataset(std::string_view content) {
  std::vector<EvalCase> cases;
  size_t line = 0;
  size_t start = 0;
  while (start < content.size()) {
    size_t end = content.find('\n', start);
    if (end == std::string_view::npos) end = content.size();
    ++line;
    std::string_view text = content.substr(start, end - start);
    start = end + 1;
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    absl::StatusOr<EvalCase> eval_case = ParseCase(text, line);
    if (!eval_case.ok()) return eval_case.status();
    cases.push_back(*std::move(eval_case));
  }
  if (cases.empty()) return absl::InvalidArgumentError("the dataset has no cases");
  return cases;
}

CaseScores ScoreCase(const EvalCase& eval_case, std::string answer, std::vector<std::string> retrieved, int k) {
  CaseScores scores{.id = eval_case.id, .answer = std::move(answer), .retrieved = std::move(retrieved)};
  scores.answerable = eval_case.answerable();
  scores.has_retrieval = !eval_case.supporting_docs.empty();
  const std::vector<int> citations = Citations(scores.answer);
  scores.abstained = citations.empty();
  if (!scores.answerable) return scores;
  if (scores.has_retrieval) {
    scores.recall_at_k = RecallAtK(scores.retrieved, eval_case.supporting_docs, k);
    scores.reciprocal_rank = ReciprocalRank(scores.retrieved, eval_case.supporting_docs);
    scores.ndcg_at_10 = NdcgAtK(scores.retrieved, eval_case.supporting_docs, 10);
  }
  scores.exact_match = ExactMatch(scores.answer, eval_case.expected_answer);
  scores.token_f1 = TokenF1(scores.answer, eval_case.expected_answer);
  scores.rouge_l = RougeL(scores.answer, eval_case.expected_answer);
  scores.bleu = SentenceBleu(scores.answer, eval_case.expected_answer);
  for (int n : citations) {
    ++scores.citations;
    const bool in_range = n >= 1 && static_cast<size_t>(n) <= scores.retrieved.size();
    if (in_range && eval_case.supporting_docs.contains(DocumentOf(scores.retrieved[n - 1]))) {
      ++scores.correct_citations;
    }
  }
  return scores;
}

EvalSummary Summarize(const std::vector<CaseScores>& scores, int k) {
  EvalSummary s{.cases = static_cast<int>(scores.size()), .k = k};
  for (const CaseScores& c : scores) {
    if (!c.error.empty()) {
      ++s.failed;
      continue;
    }
    if (!c.answerable) {
      ++s.unanswerable;
      s.abstained_unanswerable += c.abstained ? 1 : 0;
      continue;
    }
    ++s.answerable;
    s.exact_match += c.exact_match, s.token_f1 += c.token_f1, s.rouge_l += c.rouge_l, s.bleu += c.bleu;
    s.citations += c.citations, s.correct_citations += c.correct_citations;
    if (c.has_retrieval) {
      ++s.with_retrieval;
      s.recall_at_k += c.recall_at_k, s.mrr += c.reciprocal_rank, s.ndcg_at_10 += c.ndcg_at_10;
    }
  }
  s.recall_at_k = Mean(s.recall_at_k, s.with_retrieval);
  s.mrr = Mean(s.mrr, s.with_retrieval);
  s.ndcg_at_10 = Mean(s.ndcg_at_10, s.with_retrieval);
  for (double* metric : {&s.exact_match, &s.token_f1, &s.rouge_l, &s.bleu}) *metric = Mean(*metric, s.answerable);
  s.citation_precision = s.citations == 0 ? 0 : static_cast<double>(s.correct_citations) / s.citations;
  return s;
}

std::string SummaryTable(const EvalSummary& s) {
  std::string table = absl::StrCat("cases ", s.cases, " (answerable ", s.answerable, ", unanswerable ",
                                   s.unanswerable, ", failed ", s.failed, ")\n");
  auto row = [&table](const std::string& name, double value, const std::string& over) {
    char line[160];
    std::snprintf(line, sizeof(line), "%-22s %8.4f   %s\n", name.c_str(), value, over.c_str());
    table += line;
  };
  const std::string retrieval = absl::StrCat("over ", s.with_retrieval, " cases");
  const std::string answers = absl::StrCat("over ", s.answerable, " cases");
  table += "metric                    value   averaged\n";
  row(absl::StrCat("recall@", s.k), s.recall_at_k, retrieval);
  row("MRR", s.mrr, retrieval);
  row("nDCG@10", s.ndcg_at_10, retrieval);
  row("exact match", s.exact_match, answers);
  row("token F1", s.token_f1, answers);
  row("ROUGE-L F1", s.rouge_l, answers);
  row("BLEU-4 (smoothed)", s.bleu, answers);
  row("citation precision", s.citation_precision, absl::StrCat(s.correct_citations, " of ", s.citations, " citations"));
  row("no-answer accuracy", Mean(s.abstained_unanswerable, s.unanswerable),
      absl::StrCat(s.abstained_unanswerable, " of ", s.unanswerable, " unanswerable cases without citations"));
  return table;
}

json ReportJson(const EvalSummary& s, const std::vector<CaseScores>& scores) {
  json summary = {{"cases", s.cases}, {"failed", s.failed}, {"answerable", s.answerable},
                  {"with_retrieval", s.with_retrieval}, {"unanswerable", s.unanswerable}, {"k", s.k},
                  {"recall_at_k", s.recall_at_k}, {"mrr", s.mrr}, {"ndcg_at_10", s.ndcg_at_10},
                  {"exact_match", s.exact_match}, {"token_f1", s.token_f1}, {"rouge_l", s.rouge_l},
                  {"bleu", s.bleu}, {"citations", s.citations}, {"correct_citations", s.correct_citations},
                  {"citation_precision", s.citation_precision},
                  {"abstained_unanswerable", s.abstained_unanswerable}};
  json cases = json::array();
  for (const CaseScores& c : scores) {
    json entry = {{"id", c.id}, {"answer", c.answer}, {"retrieved", c.retrieved}, {"answerable", c.answerable}};
    if (!c.error.empty()) entry["error"] = c.error;
    if (c.has_retrieval) {
      entry.update({{"recall_at_k", c.recall_at_k}, {"reciprocal_rank", c.reciprocal_rank},
                    {"ndcg_at_10", c.ndcg_at_10}});
    }
    if (c.answerable && c.error.empty()) {
      entry.update({{"exact_match", c.exact_match}, {"token_f1", c.token_f1}, {"rouge_l", c.rouge_l},
                    {"bleu", c.bleu}, {"citations", c.citations}, {"correct_citations", c.correct_citations}});
    }
    if (!c.answerable) entry["abstained"] = c.abstained;
    cases.push_back(std::move(entry));
  }
  return {{"summary", std::move(summary)}, {"cases", std::move(cases)}};
}

}  // namespace catena::eval
