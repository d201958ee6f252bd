// UTF-8 and Python-string helpers shared by the template engine: code point iteration (Python strings index
// by code point), Python whitespace, case mapping (ASCII, Latin, Greek, Cyrillic) and repr quoting.
// Stateless free functions; safe from any thread.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace catena::tmpl::text {

// Appends one piece of Cat(): strings, characters arrays and integers.
inline void AppendPiece(std::string* out, std::string_view s) { out->append(s); }
template <typename T>
requires(std::is_integral_v<T> && !std::is_same_v<T, char> &&
         !std::is_same_v<T, bool>) void AppendPiece(std::string* out, T v) {
  char digits[24];  // std::to_string's text, without its temporary string
  out->append(digits, std::to_chars(digits, digits + sizeof(digits), v).ptr);
}

// Concatenates strings (std::string_view included, which this Abseil build's StrCat rejects) and integers.
template <typename... Args>
std::string Cat(const Args&... args) {
  std::string out;
  (AppendPiece(&out, args), ...);
  return out;
}

// Appends the concatenation of `args` to `out`.
template <typename... Args>
void Append(std::string* out, const Args&... args) {
  (AppendPiece(out, args), ...);
}

// Splits into code points (each one 1-4 bytes); invalid bytes become single-byte pieces.
std::vector<std::string_view> CodePoints(std::string_view s);
// Number of code points (Python len()).
size_t CodePointCount(std::string_view s);
// Length (1-4) of the valid UTF-8 sequence at the start of `s` (ASCII: 1), or 0 when there is none (empty, a
// stray byte, an overlong form, a surrogate or a code point past U+10FFFF).
size_t ValidUtf8Length(std::string_view s);
// Decodes one code point at `s[*pos]` and advances `*pos`; invalid bytes decode as themselves.
uint32_t DecodeOne(std::string_view s, size_t* pos);
// Appends the UTF-8 encoding of `cp`.
void AppendUtf8(uint32_t cp, std::string* out);
// Python str.isspace() for an ASCII byte (space, \t \n \v \f \r, \x1c-\x1f).
bool IsSpace(char c);
// Python str.strip(chars); `chars == nullptr` strips whitespace.
std::string_view Strip(std::string_view s, const std::string* chars, bool left, bool right);
// Python case mapping for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic; other characters pass through.
std::string Upper(std::string_view s);
std::string Lower(std::string_view s);
// Python str.capitalize(): first character upper, the rest lower.
std::string Capitalize(std::string_view s);
// Python str.title(): uppercase after each uncased character, lowercase elsewhere.
std::string PyTitle(std::string_view s);
// jinja2's title filter: uppercase at word starts (after whitespace, '-', '(', '{', '[', '<').
std::string JinjaTitle(std::string_view s);
// Whether a code point has case (is a letter of the mapped blocks), is lowercase, is uppercase.
bool IsCased(uint32_t cp);
bool IsLowerCase(uint32_t cp);
bool IsUpperCase(uint32_t cp);
// Python repr() of a string: single quotes unless it contains ' but not ".
std::string ReprString(std::string_view s);
// Splits on `sep`, keeping empty pieces.
std::vector<std::string_view> Split(std::string_view s, char sep);
// Python str.splitlines() (without keepends).
std::vector<std::string> SplitLines(std::string_view s);

// Python str.replace(old, new, count); a negative count replaces every occurrence. Returns nullopt when the
// result would exceed `max_bytes`.
std::optional<std::string> Replace(std::string_view s, std::string_view old, std::string_view repl, int64_t count,
                                   size_t max_bytes);

}  // namespace catena::tmpl::text
