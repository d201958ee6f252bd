#include "retrieval/sentence_splitter.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "common/status.h"

namespace catena::retrieval {
namespace {

// Words that end with a period without ending the sentence (lower case, without the final period).
constexpr std::array<std::string_view, 16> kAbbreviations = {"mr", "mrs", "ms",  "dr", "prof", "sr",  "jr",     "st",
                                                             "vs", "e.g", "i.e", "cf", "al",   "fig", "approx", "etc"};

bool StartsWithAt(std::string_view text, size_t pos, std::string_view what) {
  return text.substr(pos, what.size()) == what;
}

// Byte length of a sentence-ending mark at `pos` (. ! ? …), 0 if none.
size_t WesternTerminalAt(std::string_view text, size_t pos) {
  const char c = text[pos];
  if (c == '.' || c == '!' || c == '?') return 1;
  return StartsWithAt(text, pos, "…") ? 3 : 0;
}

// Byte length of a full-width terminal mark at `pos` (。！？), 0 if none.
size_t CjkTerminalAt(std::string_view text, size_t pos) {
  for (std::string_view mark : {"。", "！", "？"}) {
    if (StartsWithAt(text, pos, mark)) return mark.size();
  }
  return 0;
}

// Byte length of a closing quote or bracket at `pos`, 0 if none.
size_t CloserAt(std::string_view text, size_t pos) {
  const char c = text[pos];
  if (c == '"' || c == '\'' || c == ')' || c == ']') return 1;
  for (std::string_view mark : {"”", "’", "»", "」", "』", "）"}) {
    if (StartsWithAt(text, pos, mark)) return mark.size();
  }
  return 0;
}

// True when the single period at `dot` ends an abbreviation or an initial rather than a sentence.
bool IsAbbreviationDot(std::string_view text, size_t dot) {
  size_t begin = dot;
  while (begin > 0 && WhitespaceLengthAt(text, begin - 1) == 0 && text[begin - 1] != '(' && text[begin - 1] != '"') {
    --begin;
  }
  std::string word(text.substr(begin, dot - begin));
  if (word.size() == 1 && std::isupper(static_cast<unsigned char>(word[0]))) return true;  // "J. Smith"
  std::transform(word.begin(), word.end(), word.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::find(kAbbreviations.begin(), kAbbreviations.end(), word) != kAbbreviations.end();
}

// Position just after a sentence end starting at `pos`, or 0 when no sentence ends there.
size_t SentenceEndAt(std::string_view text, size_t pos) {
  if (size_t len = CjkTerminalAt(text, pos)) {
    size_t end = pos + len;
    while (end < text.size() && (len = CjkTerminalAt(text, end) + CloserAt(text, end))) end += len;
    return end;
  }
  size_t end = pos;
  while (end < text.size()) {
    const size_t len = WesternTerminalAt(text, end);
    if (len == 0) break;
    end += len;
  }
  if (end == pos) return 0;
  const bool single_dot = end == pos + 1 && text[pos] == '.';
  while (end < text.size()) {
    const size_t len = CloserAt(text, end);
    if (len == 0) break;
    end += len;
  }
  if (end < text.size() && WhitespaceLengthAt(text, end) == 0) return 0;
  if (single_dot && IsAbbreviationDot(text, pos)) return 0;
  return end;
}

// Position just after a blank line (newline, optional spaces, newline) starting at `pos`, or 0.
size_t BlankLineEndAt(std::string_view text, size_t pos) {
  if (text[pos] != '\n') return 0;
  for (size_t i = pos + 1; i < text.size(); ++i) {
    if (text[i] == '\n') return i + 1;
    if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r') return 0;
  }
  return 0;
}

void AddSentence(std::string_view text, size_t begin, size_t end, std::vector<SentenceSpan>& out) {
  const std::string_view trimmed = TrimWhitespace(text.substr(begin, end - begin));
  if (trimmed.empty()) return;
  const auto offset = static_cast<size_t>(trimmed.data() - text.data());
  out.push_back(SentenceSpan{offset, offset + trimmed.size()});
}

}  // namespace

std::vector<SentenceSpan> FindSentences(std::string_view text) {
  std::vector<SentenceSpan> sentences;
  size_t begin = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    if (const size_t end = SentenceEndAt(text, pos)) {
      AddSentence(text, begin, end, sentences);
      begin = pos = end;
    } else if (const size_t blank_end = BlankLineEndAt(text, pos)) {
      AddSentence(text, begin, pos, sentences);
      begin = pos = blank_end;
    } else {
      pos += Utf8SequenceLength(static_cast<unsigned char>(text[pos]));
    }
  }
  AddSentence(text, begin, text.size(), sentences);
  return sentences;
}

SentenceSplitter::SentenceSplitter(const SplitterOptions& options)
    : chunk_size_(static_cast<size_t>(options.chunk_size)),
      chunk_overlap_(static_cast<size_t>(options.chunk_overlap)),
      meter_(options.length_unit, options.tokenizer),
      fallback_(options) {}

absl::StatusOr<std::vector<Chunk>> SentenceSplitter::Split(std::string_view text) const {
  CATENA_RETURN_IF_ERROR(ValidateUtf8(text, "text to split"));
  const std::vector<SentenceSpan> sentences = FindSentences(text);
  std::vector<Chunk> out;
  size_t first = sentences.size();  // first sentence of the open chunk; size() when none is open
  for (size_t i = 0; i < sentences.size(); ++i) {
    if (SpanLength(text, sentences, i, i) > chunk_size_) {
      if (first < i) Emit(text, sentences, first, i - 1, out);
      first = sentences.size();
      const SentenceSpan& s = sentences[i];
      for (Chunk& piece : fallback_.SplitValid(text.substr(s.begin, s.end - s.begin))) {
        piece.start += s.begin;
        out.push_back(std::move(piece));
      }
      continue;
    }
    if (first == sentences.size()) {
      first = i;
    } else if (SpanLength(text, sentences, first, i) > chunk_size_) {
      Emit(text, sentences, first, i - 1, out);
      first = OverlapStart(text, sentences, first, i);
    }
  }
  if (first < sentences.size()) Emit(text, sentences, first, sentences.size() - 1, out);
  return out;
}

size_t SentenceSplitter::SpanLength(std::string_view text, const std::vector<SentenceSpan>& sentences, size_t first,
                                    size_t last) const {
  return meter_.Measure(text.substr(sentences[first].begin, sentences[last].end - sentences[first].begin));
}

void SentenceSplitter::Emit(std::string_view text, const std::vector<SentenceSpan>& sentences, size_t first,
                            size_t last, std::vector<Chunk>& out) const {
  const size_t begin = sentences[first].begin;
  out.push_back(Chunk{std::string(text.substr(begin, sentences[last].end - begin)), begin, {}});
}

size_t SentenceSplitter::OverlapStart(std::string_view text, const std::vector<SentenceSpan>& sentences, size_t first,
                                      size_t next) const {
  size_t start = next;
  for (size_t j = next - 1; j > first; --j) {
    if (SpanLength(text, sentences, j, next - 1) > chunk_overlap_) break;
    if (SpanLength(text, sentences, j, next) > chunk_size_) break;
    start = j;
  }
  return start;
}

}  // namespace catena::retrieval
