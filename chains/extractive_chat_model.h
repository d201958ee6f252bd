// ExtractiveChatModel: the built-in answer provider named "extractive" (pipelines.extractive_model, on by
// default), so that retrieval pipelines answer with no model download. It is extractive, not generative: it
// copies the sentences of the numbered passages in the prompt that best match the question, cites them as
// [n], and says plainly (in the question's language, English or French) when no passage supports an answer.
// Prompt convention (docs/pipelines.md): a line starting with "[n] " opens passage n, which runs to the next
// such line or to the end of the message; passages are read from system messages and from the last user
// message, and the question is the last user message without its passages. Deterministic and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "chains/chat_model.h"

namespace catena::chains {

inline constexpr std::string_view kExtractiveModelName = "extractive";

struct ExtractivePassage {
  int number = 0;  // the n of "[n]"
  std::string text;
};

struct ExtractiveOptions {
  int max_sentences = 3;          // most sentences in an answer
  double min_coverage = 0.34;     // share of the question's term weight a sentence must match to count
  double relative_score = 0.7;    // further sentences need this share of the best sentence's score
  double bm25_k1 = 1.2;
  double bm25_b = 0.75;
};

struct ExtractiveAnswer {
  std::string text;            // the answer with citations, or the "no answer" sentence
  std::vector<int> citations;  // passage numbers cited, in the order of the answer
  bool supported = false;      // false: no passage supports an answer
};

// The passages of `text`: each line starting with "[n]" (n a positive integer) opens passage n.
std::vector<ExtractivePassage> ParsePassages(std::string_view text);

// `text` without its passages (what comes before the first "[n]" line).
std::string TextBeforePassages(std::string_view text);

// Composes an answer to `question` from `passages`: sentences ranked by BM25 over the passages' sentences
// (question terms: ContentTerms), kept when they match min_coverage of the question's idf weight; chosen
// sentences keep passage order (PII placeholders in the question are ignored) and each ends with its citation "[n]".
ExtractiveAnswer ComposeExtractiveAnswer(std::string_view question, const std::vector<ExtractivePassage>& passages,
                                         const ExtractiveOptions& options = {});

// The sentence said when nothing supports an answer, in the language of `question`.
std::string NoAnswerText(std::string_view question);

class ExtractiveChatModel final : public ChatModel {
 public:
  explicit ExtractiveChatModel(ExtractiveOptions options = {});

  // Answers inline (ComposeExtractiveAnswer over the request's passages), streamed in whitespace pieces;
  // honours max_tokens (finish "length") and stop strings. INVALID_ARGUMENT when the request asks for a JSON
  // schema (an extractive answer cannot follow one); NOT_FOUND for any model name but "extractive".
  std::unique_ptr<ChatCancel> Chat(ChatRequest request, std::function<void(std::string_view delta)> on_delta,
                                   std::function<void(absl::StatusOr<ChatResult>)> on_done) override;
  bool HasModel(std::string_view model) const override;

  // The answer a call would stream, before max_tokens and stop strings.
  absl::StatusOr<ExtractiveAnswer> AnswerFor(const ChatRequest& request) const;

 private:
  const ExtractiveOptions options_;
};

}  // namespace catena::chains
