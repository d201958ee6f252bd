// Evaluation metrics of `catena eval` (sdk/cpp/cli/eval_command.cc): retrieval metrics over ranked document
// ids (recall@k, reciprocal rank, nDCG@k with binary relevance) and answer metrics over normalized tokens
// (exact match, token F1, ROUGE-L F1, smoothed sentence BLEU), plus citation parsing. Definitions are in
// docs/eval.md. Pure functions; thread-safe.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace catena::eval {

// Answer tokens: "[n]" citations removed, lowercased (ASCII), split on anything that is not a letter, a digit
// or a non-ASCII byte, and the English articles a/an/the dropped (SQuAD-style normalization).
std::vector<std::string> AnswerTokens(std::string_view text);

// 1 when the normalized token sequences are equal, else 0.
double ExactMatch(std::string_view prediction, std::string_view reference);

// F1 of the multiset overlap of tokens; 1 when both are empty, 0 when only one is.
double TokenF1(std::string_view prediction, std::string_view reference);

// ROUGE-L F1: longest common subsequence of tokens, F = 2PR / (P + R); 1 when both are empty.
double RougeL(std::string_view prediction, std::string_view reference);

// Sentence BLEU-4 (uniform weights, brevity penalty) with Lin & Och's add-one smoothing of the 2..4-gram
// precisions (Chen & Cherry 2014, method 2 as they define it): p_n = (m_n + 1) / (c_n + 1) for n >= 2.
// 0 when no unigram matches or the prediction is empty.
double SentenceBleu(std::string_view prediction, std::string_view reference);

// The citation numbers "[n]" in `text`, in order (repeats kept; "[0]" and non-numbers ignored).
std::vector<int> Citations(std::string_view text);

// The document id of a retrieved id: a chunk id "DOC#N" gives "DOC"; anything else is returned as is.
std::string DocumentOf(std::string_view retrieved_id);

// Share of the relevant documents found in the first k distinct documents of `ranked` (0 if none relevant).
double RecallAtK(const std::vector<std::string>& ranked, const std::set<std::string>& relevant, int k);

// 1 / rank of the first relevant document of `ranked` (ranks over distinct documents), 0 when there is none.
double ReciprocalRank(const std::vector<std::string>& ranked, const std::set<std::string>& relevant);

// nDCG@k with binary relevance: sum over relevant ranks i <= k of 1 / log2(i + 1), divided by the ideal
// sum over i = 1..min(k, |relevant|). Ranks are over distinct documents.
double NdcgAtK(const std::vector<std::string>& ranked, const std::set<std::string>& relevant, int k);

}  // namespace catena::eval
