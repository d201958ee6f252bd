// Word splitting shared by the CPU embedders and EmbeddingService's usage counts: decodes UTF-8, keeps
// runs of word characters (letters and digits of any script, approximated below) and lowercases them.
// Stateless functions; safe from any thread. Invalid UTF-8 bytes act as word separators.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace catena::inference {

// True for ASCII letters/digits and for code points >= 0x80 outside the common punctuation, space, symbol
// and emoji ranges (an approximation of Unicode's L/N/M categories without tables).
bool IsWordCodePoint(char32_t code_point);

// Lowercase of `code_point` for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic; others unchanged.
char32_t ToLowerCodePoint(char32_t code_point);

// Decodes one code point at `text[*pos]`, advancing `*pos`; returns U+FFFD (and advances one byte) for a
// malformed, overlong or surrogate sequence.
char32_t DecodeUtf8(std::string_view text, size_t* pos);

// Appends the UTF-8 encoding of `code_point` to `out`.
void AppendUtf8(char32_t code_point, std::string& out);

// Calls `visit(std::string_view word)` for each lowercased word of `text`, in order. `scratch` is reused
// between words (and calls) to avoid allocations; the view is valid only during the call.
template <typename Visitor>
void ForEachLowercaseWord(std::string_view text, std::string& scratch, Visitor&& visit) {
  scratch.clear();
  size_t pos = 0;
  while (pos < text.size()) {
    const unsigned char byte = static_cast<unsigned char>(text[pos]);
    char32_t code_point;
    if (byte < 0x80) {
      code_point = byte;
      ++pos;
    } else {
      code_point = DecodeUtf8(text, &pos);
    }
    if (IsWordCodePoint(code_point)) {
      if (code_point < 0x80) {
        scratch.push_back(static_cast<char>(code_point >= 'A' && code_point <= 'Z' ? code_point + 32 : code_point));
      } else {
        AppendUtf8(ToLowerCodePoint(code_point), scratch);
      }
    } else if (!scratch.empty()) {
      visit(std::string_view(scratch));
      scratch.clear();
    }
  }
  if (!scratch.empty()) {
    visit(std::string_view(scratch));
    scratch.clear();
  }
}

// Number of words ForEachLowercaseWord finds in `text`.
size_t CountWords(std::string_view text);

}  // namespace catena::inference
