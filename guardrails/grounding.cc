// The grounding check (grounding.h).
#include "guardrails/grounding.h"

#include <unordered_set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace catena::guardrails {
namespace {

const std::unordered_set<std::string>& StopWords() {
  static const auto* words = new std::unordered_set<std::string>{
      "the", "and", "for", "with", "that", "this", "are", "was", "were", "you", "your", "our", "can", "will",
      "has", "have", "had", "from", "not", "but", "which", "what", "when", "also", "into", "than", "then",
      "there", "their", "they", "them", "its", "may", "must", "should", "would", "could", "been", "being",
      "any", "all", "each", "such", "only", "more", "most", "other", "some", "these", "those", "per", "via",
      "about", "over", "under", "after", "before", "between", "both", "does", "did", "how", "who", "why",
      "where", "here", "just", "very", "yes", "please", "thank", "thanks", "is", "a", "an", "of", "to", "in",
      "on", "at", "by", "or", "as", "be", "it", "if", "so", "we", "us", "do", "no", "up", "out", "get", "according"};
  return *words;
}

std::string Fold(std::string word) {
  if (word.size() > 4 && word.compare(word.size() - 3, 3, "ies") == 0) return word.substr(0, word.size() - 3) + "y";
  if (word.size() > 3 && word.back() == 's' && word[word.size() - 2] != 's') word.pop_back();
  return word;
}

bool IsWordByte(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || (c & 0x80) != 0; }

// The [n] markers in `sentence`.
std::vector<int> Citations(std::string_view s) {
  std::vector<int> out;
  for (size_t i = s.find('['); i != std::string_view::npos; i = s.find('[', i + 1)) {
    size_t k = i + 1;
    int n = 0;
    while (k < s.size() && k - i <= 4 && absl::ascii_isdigit(static_cast<unsigned char>(s[k]))) n = n * 10 + (s[k++] - '0');
    if (k > i + 1 && k < s.size() && s[k] == ']') out.push_back(n);
  }
  return out;
}

void Check(SentenceSupport& sentence, const std::vector<std::unordered_set<std::string>>& passages,
           const GroundingOptions& options) {
  const std::vector<std::string> words = ContentWords(sentence.sentence);
  sentence.cited = Citations(sentence.sentence);
  sentence.checked = static_cast<int>(words.size()) >= options.min_content_words;
  if (!sentence.checked) return;
  std::vector<int> candidates;
  for (int n : sentence.cited) {
    if (n < 1 || n > static_cast<int>(passages.size())) {
      sentence.supported = false;
      sentence.problem = absl::StrCat("cites [", n, "] but there are ", passages.size(), " passages");
      return;
    }
    candidates.push_back(n - 1);
  }
  if (candidates.empty() && options.require_citations) {
    sentence.supported = false;
    sentence.problem = "no citation";
    return;
  }
  const bool pooled = !candidates.empty();
  if (!pooled) {
    for (size_t p = 0; p < passages.size(); ++p) candidates.push_back(static_cast<int>(p));
  }
  // Cited passages are pooled (a sentence may combine them); otherwise the best single passage counts.
  int best_hits = 0;
  for (int p : candidates) {
    int hits = 0;
    for (const std::string& w : words) {
      bool found = false;
      if (pooled) {
        for (int q : candidates) found = found || passages[q].count(w) > 0;
      } else {
        found = passages[p].count(w) > 0;
      }
      hits += found ? 1 : 0;
    }
    if (hits > best_hits || sentence.best_passage < 0) { best_hits = hits; sentence.best_passage = p; }
    if (pooled) break;
  }
  sentence.overlap = static_cast<double>(best_hits) / words.size();
  sentence.supported = sentence.overlap + 1e-9 >= options.min_overlap;
  if (!sentence.supported) sentence.problem = absl::StrFormat("overlap %.2f", sentence.overlap);
}

}  // namespace

std::vector<std::string> ContentWords(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    if (!IsWordByte(text[i])) { ++i; continue; }
    if (i > 0 && text[i - 1] == '[') {  // skip citation markers
      size_t k = i;
      while (k < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[k]))) ++k;
      if (k < text.size() && text[k] == ']') { i = k; continue; }
    }
    size_t k = i;
    while (k < text.size() && IsWordByte(text[k])) ++k;
    std::string word = absl::AsciiStrToLower(std::string(text.substr(i, k - i)));
    const bool number = absl::ascii_isdigit(static_cast<unsigned char>(word[0]));
    if ((number || word.size() >= 3) && StopWords().count(word) == 0) out.push_back(number ? word : Fold(word));
    i = k;
  }
  return out;
}

std::vector<std::string> SplitSentences(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  auto flush = [&] {
    const std::string trimmed(absl::StripAsciiWhitespace(current));
    if (!trimmed.empty()) out.push_back(trimmed);
    current.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') { flush(); continue; }
    current.push_back(c);
    if (c != '.' && c != '!' && c != '?') continue;
    size_t k = i + 1;
    while (k < text.size() && text[k] == '[') {  // markers after the full stop belong to this sentence
      const size_t close = text.find(']', k);
      if (close == std::string_view::npos || close - k > 5) break;
      k = close + 1;
    }
    if (k >= text.size() || absl::ascii_isspace(static_cast<unsigned char>(text[k]))) {
      current.append(text.substr(i + 1, k - i - 1));
      i = k - 1;
      flush();
    }
  }
  flush();
  return out;
}

GroundingReport CheckGrounding(std::string_view answer, const std::vector<std::string>& passages,
                               const GroundingOptions& options) {
  std::vector<std::unordered_set<std::string>> words;
  for (const std::string& passage : passages) {
    const std::vector<std::string> list = ContentWords(passage);
    words.emplace_back(list.begin(), list.end());
  }
  GroundingReport report;
  for (std::string& sentence : SplitSentences(answer)) {
    SentenceSupport support;
    support.sentence = std::move(sentence);
    Check(support, words, options);
    if (!support.supported) {
      report.grounded = false;
      ++report.unsupported;
    }
    report.sentences.push_back(std::move(support));
  }
  return report;
}

}  // namespace catena::guardrails
