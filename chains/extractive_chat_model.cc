#include "chains/extractive_chat_model.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "chains/extractive_text.h"
#include "chains/test_chat_model.h"

namespace catena::chains {
namespace {

struct Candidate {
  size_t passage_index = 0;
  size_t sentence_index = 0;
  int number = 0;
  std::string text;
  std::vector<std::string> terms;
  double score = 0;
  double coverage = 0;
};

// The passage number when `line` opens a passage ("[12] text" -> 12, text offset in *rest_at); 0 otherwise.
int PassageNumber(std::string_view line, size_t* rest_at) {
  size_t i = line.find_first_not_of(" \t");
  if (i == std::string_view::npos || line[i] != '[') return 0;
  int number = 0;
  size_t digits = 0;
  for (++i; i < line.size() && line[i] >= '0' && line[i] <= '9' && digits < 6; ++i, ++digits) {
    number = number * 10 + (line[i] - '0');
  }
  if (digits == 0 || i >= line.size() || line[i] != ']' || number == 0) return 0;
  ++i;
  if (i < line.size() && line[i] == ' ') ++i;
  *rest_at = i;
  return number;
}

// Calls `visit(line)` for each line of `text` (without the newline).
template <typename Visit>
void ForEachLine(std::string_view text, Visit visit) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    visit(text.substr(start, end - start));
    start = end + 1;
  }
}

std::vector<Candidate> SentenceCandidates(const std::vector<ExtractivePassage>& passages) {
  std::vector<Candidate> candidates;
  for (size_t p = 0; p < passages.size(); ++p) {
    std::vector<std::string> sentences = SplitSentences(passages[p].text);
    for (size_t s = 0; s < sentences.size(); ++s) {
      Candidate candidate{.passage_index = p, .sentence_index = s, .number = passages[p].number};
      candidate.terms = ContentTerms(sentences[s]);
      if (candidate.terms.empty()) continue;
      candidate.text = std::move(sentences[s]);
      candidates.push_back(std::move(candidate));
    }
  }
  return candidates;
}

// Scores every candidate: BM25 over the candidates as documents, and the share of the question's idf weight
// (question terms absent from every passage count with the highest idf) that the sentence matches.
void ScoreCandidates(const std::set<std::string>& question, const ExtractiveOptions& options,
                     std::vector<Candidate>& candidates) {
  std::map<std::string, int> df;
  double total_length = 0;
  for (const Candidate& c : candidates) {
    total_length += static_cast<double>(c.terms.size());
    for (const std::string& term : std::set<std::string>(c.terms.begin(), c.terms.end())) ++df[term];
  }
  const double n = static_cast<double>(candidates.size());
  const double average_length = candidates.empty() ? 1 : total_length / n;
  auto idf = [&](const std::string& term) {
    auto it = df.find(term);
    const double d = it == df.end() ? 0 : it->second;
    return std::log(1 + (n - d + 0.5) / (d + 0.5));
  };
  double total_weight = 0;
  for (const std::string& term : question) total_weight += idf(term);
  for (Candidate& c : candidates) {
    const double norm = options.bm25_k1 * (1 - options.bm25_b + options.bm25_b * c.terms.size() / average_length);
    for (const std::string& term : question) {
      const double tf = static_cast<double>(std::count(c.terms.begin(), c.terms.end(), term));
      if (tf == 0) continue;
      c.score += idf(term) * tf * (options.bm25_k1 + 1) / (tf + norm);
      c.coverage += idf(term) / total_weight;
    }
  }
}

// "Sentence." -> "Sentence [n]."; a sentence without final punctuation gets " [n]".
std::string Cite(std::string_view sentence, int number) {
  const std::string citation = absl::StrCat(" [", number, "]");
  if (!sentence.empty() && (sentence.back() == '.' || sentence.back() == '!' || sentence.back() == '?')) {
    return absl::StrCat(std::string(sentence.substr(0, sentence.size() - 1)), citation,
                        std::string(sentence.substr(sentence.size() - 1)));
  }
  return absl::StrCat(std::string(sentence), citation);
}

// The best sentences: coverage at least min_coverage, score at least relative_score of the best, no repeats.
std::vector<const Candidate*> ChooseSentences(const std::vector<Candidate>& candidates,
                                              const ExtractiveOptions& options) {
  std::vector<const Candidate*> ranked;
  for (const Candidate& c : candidates) {
    if (c.score > 0 && c.coverage >= options.min_coverage) ranked.push_back(&c);
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const Candidate* a, const Candidate* b) { return a->score > b->score; });
  std::vector<const Candidate*> chosen;
  std::set<std::string> seen;
  for (const Candidate* c : ranked) {
    if (static_cast<int>(chosen.size()) >= options.max_sentences) break;
    if (!chosen.empty() && c->score < options.relative_score * chosen.front()->score) break;
    if (seen.insert(FoldText(c->text)).second) chosen.push_back(c);
  }
  std::sort(chosen.begin(), chosen.end(), [](const Candidate* a, const Candidate* b) {
    return std::tie(a->passage_index, a->sentence_index) < std::tie(b->passage_index, b->sentence_index);
  });
  return chosen;
}

// The last message with role user (or "" when there is none).
std::string_view LastUserContent(const ChatRequest& request) {
  for (auto it = request.messages.rbegin(); it != request.messages.rend(); ++it) {
    if (it->role == "user") return it->content;
  }
  return {};
}

}  // namespace

std::vector<ExtractivePassage> ParsePassages(std::string_view text) {
  std::vector<ExtractivePassage> passages;
  ForEachLine(text, [&](std::string_view line) {
    size_t rest_at = 0;
    if (const int number = PassageNumber(line, &rest_at); number > 0) {
      passages.push_back({.number = number, .text = std::string(line.substr(rest_at))});
    } else if (!passages.empty()) {
      absl::StrAppend(&passages.back().text, "\n", std::string(line));
    }
  });
  return passages;
}

std::string TextBeforePassages(std::string_view text) {
  std::string before;
  bool done = false;
  ForEachLine(text, [&](std::string_view line) {
    size_t rest_at = 0;
    if (done || PassageNumber(line, &rest_at) > 0) {
      done = true;
      return;
    }
    absl::StrAppend(&before, before.empty() ? "" : "\n", std::string(line));
  });
  return before;
}

std::string NoAnswerText(std::string_view question) {
  if (DetectLanguage(question) == TextLanguage::kFrench) {
    return "Je n'ai trouvé aucune réponse à cette question dans les documents fournis.";
  }
  return "I could not find an answer to this question in the documents provided.";
}

ExtractiveAnswer ComposeExtractiveAnswer(std::string_view question, const std::vector<ExtractivePassage>& passages,
                                         const ExtractiveOptions& options) {
  const std::vector<std::string> terms = ContentTerms(RemovePlaceholders(question));
  const std::set<std::string> question_terms(terms.begin(), terms.end());
  std::vector<Candidate> candidates = SentenceCandidates(passages);
  ExtractiveAnswer answer;
  if (!question_terms.empty()) {
    ScoreCandidates(question_terms, options, candidates);
    for (const Candidate* c : ChooseSentences(candidates, options)) {
      absl::StrAppend(&answer.text, answer.text.empty() ? "" : " ", Cite(c->text, c->number));
      answer.citations.push_back(c->number);
    }
  }
  answer.supported = !answer.citations.empty();
  if (!answer.supported) answer.text = NoAnswerText(question);
  return answer;
}

ExtractiveChatModel::ExtractiveChatModel(ExtractiveOptions options) : options_(options) {}

bool ExtractiveChatModel::HasModel(std::string_view model) const { return model == kExtractiveModelName; }

absl::StatusOr<ExtractiveAnswer> ExtractiveChatModel::AnswerFor(const ChatRequest& request) const {
  if (request.model != kExtractiveModelName) {
    return absl::NotFoundError(absl::StrCat("model '", request.model, "' is not the extractive model"));
  }
  if (!request.json_schema.empty()) {
    return absl::InvalidArgumentError(
        "model 'extractive' copies sentences from the passages and cannot follow a JSON schema; use a "
        "generative model for this node");
  }
  const std::string_view user = LastUserContent(request);
  std::vector<ExtractivePassage> passages;
  for (const ChatMessage& message : request.messages) {
    if (message.role != "system") continue;
    for (ExtractivePassage& passage : ParsePassages(message.content)) passages.push_back(std::move(passage));
  }
  for (ExtractivePassage& passage : ParsePassages(user)) passages.push_back(std::move(passage));
  return ComposeExtractiveAnswer(TextBeforePassages(user), passages, options_);
}

std::unique_ptr<ChatCancel> ExtractiveChatModel::Chat(ChatRequest request,
                                                      std::function<void(std::string_view delta)> on_delta,
                                                      std::function<void(absl::StatusOr<ChatResult>)> on_done) {
  absl::StatusOr<ExtractiveAnswer> answer = AnswerFor(request);
  if (!answer.ok()) {
    on_done(answer.status());
    return nullptr;
  }
  std::string text = std::move(answer->text);
  ChatResult result{.finish_reason = "stop"};
  size_t cut = std::string::npos;
  for (const std::string& stop : request.stop) {
    if (!stop.empty()) cut = std::min(cut, text.find(stop));
  }
  if (cut != std::string::npos) text.resize(cut);
  std::vector<std::string> pieces = SplitTestTokens(text);
  if (request.max_tokens > 0 && pieces.size() > static_cast<size_t>(request.max_tokens)) {
    pieces.resize(request.max_tokens);
    result.finish_reason = "length";
  }
  for (const std::string& piece : pieces) {
    on_delta(piece);
    result.text += piece;
  }
  for (const ChatMessage& message : request.messages) {
    result.usage.prompt_tokens += static_cast<int64_t>(SplitTestTokens(message.content).size());
  }
  result.usage.completion_tokens = static_cast<int64_t>(pieces.size());
  on_done(std::move(result));
  return nullptr;
}

}  // namespace catena::chains
