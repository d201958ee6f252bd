// The grounding check behind "no citation, no answer": an answer is split into sentences, and each sentence
// with enough content words must be supported by the retrieved passages. Support is lexical: the share of the
// sentence's content words (lower-cased, stop words out, plural -s folded, numbers kept) found in the passages
// it cites with [n] markers (1-based), or, without markers and when citations are not required, in its best
// passage, must reach a threshold. Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace catena::guardrails {

struct GroundingOptions {
  double min_overlap = 0.6;        // share of content words a sentence's passages must contain
  bool require_citations = false;  // sentences without [n] markers are unsupported
  int min_content_words = 2;       // sentences with fewer content words ("Hello!") are not checked
};

struct SentenceSupport {
  std::string sentence;
  std::vector<int> cited;  // the [n] markers, as written (1-based)
  int best_passage = -1;   // 0-based passage that supported it best (-1: none)
  double overlap = 0;      // share of content words found
  bool checked = false;    // false for sentences with too few content words
  bool supported = true;
  std::string problem;  // why unsupported: "no citation", "cites [4] but there are 3 passages", "overlap 0.33"
};

struct GroundingReport {
  bool grounded = true;  // every checked sentence supported
  int unsupported = 0;
  std::vector<SentenceSupport> sentences;
};

// Checks `answer` against `passages` (0-based; markers [n] refer to passages[n-1]).
GroundingReport CheckGrounding(std::string_view answer, const std::vector<std::string>& passages,
                               const GroundingOptions& options);

// The sentences of `text`: split after '.', '!' or '?' (and any [n] markers after them) followed by white
// space, and at line breaks; trimmed, empty ones dropped.
std::vector<std::string> SplitSentences(std::string_view text);

// The content words of `text` (see the header comment), in order, duplicates kept.
std::vector<std::string> ContentWords(std::string_view text);

}  // namespace catena::guardrails
