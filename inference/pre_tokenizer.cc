#include "inference/pre_tokenizer.h"

#include <cstdint>

#include "inference/unicode_classes.h"

namespace catena::inference {
namespace {

enum CharClass : uint8_t { kLetter = 1, kNumber = 2, kSpace = 4, kNewline = 8, kOther = 16 };

struct DecodedText {
  std::u32string chars;
  std::vector<uint8_t> classes;
  std::vector<size_t> offsets;  // byte offset of each char, plus the end
};

uint8_t Classify(char32_t c) {
  if (c == '\r' || c == '\n') return kSpace | kNewline;
  if (IsUnicodeLetter(c)) return kLetter;
  if (IsUnicodeNumber(c)) return kNumber;
  if (IsUnicodeWhitespace(c)) return kSpace;
  return kOther;
}

DecodedText Decode(std::string_view text) {
  DecodedText out;
  out.chars.reserve(text.size());
  out.offsets.reserve(text.size() + 1);
  for (size_t pos = 0; pos < text.size();) {
    size_t length = ValidUtf8Length(text, pos);
    out.offsets.push_back(pos);
    if (length == 0) {
      out.chars.push_back(0xFFFD);
      length = 1;
    } else {
      char32_t value = static_cast<unsigned char>(text[pos]);
      if (length > 1) {
        value &= (0x7F >> length);
        for (size_t k = 1; k < length; ++k) value = (value << 6) | (static_cast<unsigned char>(text[pos + k]) & 0x3F);
      }
      out.chars.push_back(value);
    }
    pos += length;
  }
  out.offsets.push_back(text.size());
  out.classes.reserve(out.chars.size());
  for (char32_t c : out.chars) out.classes.push_back(Classify(c));
  return out;
}

class RegexScanner {
 public:
  RegexScanner(PreTokenizerKind kind, const DecodedText& text) : kind_(kind), t_(text), n_(text.chars.size()) {}

  // Length in chars of the match starting at `i` (always >= 1).
  size_t MatchAt(size_t i) const {
    if (size_t m = Contraction(i)) return m;
    if (kind_ == PreTokenizerKind::kGpt2) return Gpt2Rest(i);
    return Llama3Rest(i);
  }

 private:
  bool Is(size_t i, uint8_t cls) const { return i < n_ && (t_.classes[i] & cls) != 0; }
  char32_t At(size_t i) const { return i < n_ ? t_.chars[i] : 0; }
  size_t RunOf(size_t i, uint8_t cls) const {
    while (i < n_ && (t_.classes[i] & cls) != 0) ++i;
    return i;
  }
  bool Letter(size_t i, char32_t lower) const {
    const char32_t c = At(i);
    if (c == lower || c == lower - 32) return kind_ != PreTokenizerKind::kGpt2 || c == lower;
    return lower == 's' && c == 0x17F && kind_ != PreTokenizerKind::kGpt2;
  }

  size_t Contraction(size_t i) const {
    if (At(i) != '\'') return 0;
    if (Letter(i + 1, 's') || Letter(i + 1, 't') || Letter(i + 1, 'm') || Letter(i + 1, 'd')) return 2;
    if ((Letter(i + 1, 'r') && Letter(i + 2, 'e')) || (Letter(i + 1, 'v') && Letter(i + 2, 'e')) ||
        (Letter(i + 1, 'l') && Letter(i + 2, 'l'))) {
      return 3;
    }
    return 0;
  }

  size_t Whitespace(size_t i) const {
    const size_t end = RunOf(i, kSpace);
    if (end == n_ || end - i == 1) return end - i;  // \s+(?!\S) at the end, or \s+ for a single char
    return end - i - 1;                              // leave the last space for the next word
  }

  size_t Gpt2Rest(size_t i) const {
    const size_t start = At(i) == ' ' ? i + 1 : i;
    if (Is(start, kLetter)) return RunOf(start, kLetter) - i;
    if (Is(start, kNumber)) return RunOf(start, kNumber) - i;
    if (Is(start, kOther)) return RunOf(start, kOther) - i;
    return Whitespace(i);
  }

  size_t Llama3Rest(size_t i) const {
    if (Is(i, kLetter)) return RunOf(i, kLetter) - i;
    if (!Is(i, kNewline | kNumber) && Is(i + 1, kLetter)) return RunOf(i + 1, kLetter) - i;
    if (Is(i, kNumber)) {
      const size_t limit = kind_ == PreTokenizerKind::kQwen2 ? 1 : 3;
      size_t end = i;
      while (end < n_ && end - i < limit && Is(end, kNumber)) ++end;
      return end - i;
    }
    const size_t start = At(i) == ' ' ? i + 1 : i;
    if (Is(start, kOther)) return RunOf(RunOf(start, kOther), kNewline) - i;
    const size_t end = RunOf(i, kSpace);
    for (size_t k = end; k > i; --k) {
      if (Is(k - 1, kNewline)) return k - i;  // \s*[\r\n]+ ends at the last newline of the run
    }
    return Whitespace(i);
  }

  PreTokenizerKind kind_;
  const DecodedText& t_;
  size_t n_;
};

void BertSplit(const DecodedText& text, std::string_view bytes, std::vector<std::string_view>& words) {
  size_t word_start = 0;
  bool in_word = false;
  for (size_t i = 0; i < text.chars.size(); ++i) {
    const char32_t c = text.chars[i];
    const bool space = IsUnicodeWhitespace(c);
    const bool punct = !space && IsBertPunctuation(c);
    if ((space || punct) && in_word) {
      words.push_back(bytes.substr(text.offsets[word_start], text.offsets[i] - text.offsets[word_start]));
      in_word = false;
    }
    if (punct) {
      words.push_back(bytes.substr(text.offsets[i], text.offsets[i + 1] - text.offsets[i]));
    } else if (!space && !in_word) {
      word_start = i;
      in_word = true;
    }
  }
  if (in_word) words.push_back(bytes.substr(text.offsets[word_start]));
}

}  // namespace

void PreTokenize(PreTokenizerKind kind, std::string_view text, std::vector<std::string_view>& words) {
  if (text.empty()) return;
  if (kind == PreTokenizerKind::kNone) {
    words.push_back(text);
    return;
  }
  const DecodedText decoded = Decode(text);
  if (kind == PreTokenizerKind::kBert) {
    BertSplit(decoded, text, words);
    return;
  }
  const RegexScanner scanner(kind, decoded);
  for (size_t i = 0; i < decoded.chars.size();) {
    const size_t length = scanner.MatchAt(i);
    words.push_back(text.substr(decoded.offsets[i], decoded.offsets[i + length] - decoded.offsets[i]));
    i += length;
  }
}

}  // namespace catena::inference
