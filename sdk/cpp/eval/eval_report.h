// The data of `catena eval`: QA datasets (JSONL, one case a line), per-case scores from a run's answer and
// retrieved document ids, their aggregate, and its rendering as a text table or JSON. The CLI
// (sdk/cpp/cli/eval_command.cc) runs the pipeline; everything here is pure and thread-safe.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace catena::eval {

struct EvalCase {
  std::string id;                      // "id", or "line N" when absent
  std::string question;                // "question" (required)
  nlohmann::json inputs = nlohmann::json::object();  // "inputs": extra pipeline inputs
  std::string expected_answer;         // "expected_answer" ("" with no supporting docs: unanswerable)
  std::set<std::string> supporting_docs;  // "supporting_docs": ids of the documents holding the answer
  bool answerable() const { return !supporting_docs.empty() || !expected_answer.empty(); }
};

// Parses a JSONL dataset; INVALID_ARGUMENT naming the line (and field) of the first bad case. Blank lines are
// skipped; an empty dataset is an error.
absl::StatusOr<std::vector<EvalCase>> ParseEvalDataset(std::string_view content);

struct CaseScores {
  std::string id;
  std::string answer;
  std::vector<std::string> retrieved;  // ranked ids as the pipeline returned them
  std::string error;                   // the run failed: no scores
  bool answerable = true;
  bool has_retrieval = false;  // answerable with supporting docs: retrieval metrics apply
  double recall_at_k = 0, reciprocal_rank = 0, ndcg_at_10 = 0;
  double exact_match = 0, token_f1 = 0, rouge_l = 0, bleu = 0;
  int citations = 0;          // citations [n] in the answer
  int correct_citations = 0;  // ... whose retrieved document n is a supporting document
  bool abstained = false;     // the answer cites nothing (the right outcome for unanswerable cases)
};

// Scores one case from the run's answer text and ranked retrieved ids (recall at `k`).
CaseScores ScoreCase(const EvalCase& eval_case, std::string answer, std::vector<std::string> retrieved, int k);

struct EvalSummary {
  int cases = 0, failed = 0, answerable = 0, with_retrieval = 0, unanswerable = 0;
  int k = 5;
  double recall_at_k = 0, mrr = 0, ndcg_at_10 = 0;           // means over cases with retrieval
  double exact_match = 0, token_f1 = 0, rouge_l = 0, bleu = 0;  // means over answerable cases that ran
  int citations = 0, correct_citations = 0;                  // summed over answerable cases
  double citation_precision = 0;                             // correct_citations / citations (0 with none)
  int abstained_unanswerable = 0;                            // unanswerable cases answered without citations
};

// Aggregates per-case scores (failed runs count in `failed` only).
EvalSummary Summarize(const std::vector<CaseScores>& scores, int k);

// A text table: one row per metric with its value and the number of cases it is averaged over.
std::string SummaryTable(const EvalSummary& summary);

// {"summary": {...}, "cases": [...]}: every metric of the summary and of each case.
nlohmann::json ReportJson(const EvalSummary& summary, const std::vector<CaseScores>& scores);

}  // namespace catena::eval
