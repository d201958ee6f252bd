// Unicode character classes and transforms the tokenizers need, as Hugging Face tokenizers defines them
// (White_Space for \s, general categories for \p{L} \p{N} and punctuation, NFD + Mn removal for accent
// stripping, per-character full lowercasing). Backed by ICU; stateless and safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace catena::inference {

// \p{L}: Lu, Ll, Lt, Lm, Lo.
bool IsUnicodeLetter(char32_t c);
// \p{N}: Nd, Nl, No.
bool IsUnicodeNumber(char32_t c);
// \s: the Unicode White_Space property (includes U+0085, excludes U+200B and U+FEFF).
bool IsUnicodeWhitespace(char32_t c);
// Any P* general category, or ASCII punctuation/symbols (BERT's notion of punctuation).
bool IsBertPunctuation(char32_t c);
// BERT's control characters: category C* except \t \n \r.
bool IsBertControl(char32_t c);
// The CJK ideograph blocks BERT surrounds with spaces.
bool IsCjkIdeograph(char32_t c);
// Category Mn (non-spacing mark).
bool IsNonspacingMark(char32_t c);
// Appends the full lowercase mapping of `c` (may be several code points) to `out`.
void AppendLowercase(char32_t c, std::u32string& out);
// Canonical decomposition (NFD) of `text`.
std::u32string NfdDecompose(const std::u32string& text);
// Canonical composition (NFC) of UTF-8 `text`.
std::string NfcCompose(std::string_view text);

// Decodes UTF-8 into code points; an invalid byte becomes U+FFFD.
std::u32string Utf8ToCodePoints(std::string_view text);
// Encodes code points as UTF-8.
std::string CodePointsToUtf8(std::u32string_view text);
// Length of the valid UTF-8 sequence at `text[pos]`, or 0 when the bytes there are not one (or are cut off).
size_t ValidUtf8Length(std::string_view text, size_t pos);
// Where ValidUtf8Length is 0: how many bytes at `text[pos]` form one maximal subpart of an ill-formed sequence
// (Unicode 3.9: the longest start of a well-formed sequence, at least 1 byte).
size_t IllFormedUtf8Length(std::string_view text, size_t pos);
// Whether the bytes from `text[pos]` to the end are the start of a character that more bytes could complete.
bool TruncatedUtf8(std::string_view text, size_t pos);
// How ill-formed UTF-8 becomes U+FFFD: one per maximal subpart (Python's decode(errors="replace"), Rust's
// from_utf8_lossy, so Hugging Face's byte-level decoder), or one per byte (the sentencepiece library).
enum class Utf8Repair { kMaximalSubpart, kPerByte };
// `text` with ill-formed UTF-8 replaced by U+FFFD as `repair` says.
std::string SanitizeUtf8(std::string_view text, Utf8Repair repair = Utf8Repair::kMaximalSubpart);

}  // namespace catena::inference
