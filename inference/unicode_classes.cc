#include "inference/unicode_classes.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include <algorithm>
#include <vector>

#include "inference/unicode_words.h"

namespace catena::inference {
namespace {

int32_t Category(char32_t c) { return u_charType(static_cast<UChar32>(c)); }

void AppendUtf16(char32_t c, std::vector<UChar>& out) {
  if (c < 0x10000) {
    out.push_back(static_cast<UChar>(c));
  } else {
    c -= 0x10000;
    out.push_back(static_cast<UChar>(0xD800 + (c >> 10)));
    out.push_back(static_cast<UChar>(0xDC00 + (c & 0x3FF)));
  }
}

void AppendFromUtf16(const UChar* data, int32_t length, std::u32string& out) {
  for (int32_t i = 0; i < length;) {
    UChar32 c;
    U16_NEXT(data, i, length, c);
    out.push_back(static_cast<char32_t>(c));
  }
}

}  // namespace

bool IsUnicodeLetter(char32_t c) {
  if (c < 0x80) return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
  switch (Category(c)) {
    case U_UPPERCASE_LETTER: case U_LOWERCASE_LETTER: case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER: case U_OTHER_LETTER:
      return true;
    default:
      return false;
  }
}

bool IsUnicodeNumber(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  const int32_t category = Category(c);
  return category == U_DECIMAL_DIGIT_NUMBER || category == U_LETTER_NUMBER || category == U_OTHER_NUMBER;
}

bool IsUnicodeWhitespace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_WHITE_SPACE);
}

bool IsBertPunctuation(char32_t c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) {
    return true;
  }
  switch (Category(c)) {
    case U_DASH_PUNCTUATION: case U_START_PUNCTUATION: case U_END_PUNCTUATION:
    case U_CONNECTOR_PUNCTUATION: case U_OTHER_PUNCTUATION: case U_INITIAL_PUNCTUATION:
    case U_FINAL_PUNCTUATION:
      return true;
    default:
      return false;
  }
}

bool IsBertControl(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  switch (Category(c)) {
    case U_CONTROL_CHAR: case U_FORMAT_CHAR: case U_UNASSIGNED: case U_PRIVATE_USE_CHAR: case U_SURROGATE:
      return true;
    default:
      return false;
  }
}

bool IsCjkIdeograph(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool IsNonspacingMark(char32_t c) { return Category(c) == U_NON_SPACING_MARK; }

void AppendLowercase(char32_t c, std::u32string& out) {
  if (c < 0x80) {
    out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return;
  }
  std::vector<UChar> source;
  AppendUtf16(c, source);
  UChar result[16];
  UErrorCode error = U_ZERO_ERROR;
  const int32_t length = u_strToLower(result, 16, source.data(), static_cast<int32_t>(source.size()), "", &error);
  if (U_FAILURE(error) || length > 16) {
    out.push_back(c);
    return;
  }
  AppendFromUtf16(result, length, out);
}

std::u32string NfdDecompose(const std::u32string& text) {
  UErrorCode error = U_ZERO_ERROR;
  const UNormalizer2* nfd = unorm2_getNFDInstance(&error);
  if (U_FAILURE(error)) return text;
  std::vector<UChar> source;
  source.reserve(text.size() + 8);
  for (char32_t c : text) AppendUtf16(c, source);
  std::vector<UChar> result(source.size() * 4 + 16);
  const int32_t length = unorm2_normalize(nfd, source.data(), static_cast<int32_t>(source.size()), result.data(),
                                          static_cast<int32_t>(result.size()), &error);
  if (U_FAILURE(error)) return text;
  std::u32string out;
  AppendFromUtf16(result.data(), length, out);
  return out;
}

std::string NfcCompose(std::string_view text) {
  UErrorCode error = U_ZERO_ERROR;
  const UNormalizer2* nfc = unorm2_getNFCInstance(&error);
  if (U_FAILURE(error)) return std::string(text);
  std::vector<UChar> source;
  source.reserve(text.size() + 8);
  for (char32_t c : Utf8ToCodePoints(text)) AppendUtf16(c, source);
  std::vector<UChar> result(source.size() * 3 + 16);
  const int32_t length = unorm2_normalize(nfc, source.data(), static_cast<int32_t>(source.size()), result.data(),
                                          static_cast<int32_t>(result.size()), &error);
  if (U_FAILURE(error)) return std::string(text);
  std::u32string out;
  AppendFromUtf16(result.data(), length, out);
  return CodePointsToUtf8(out);
}

namespace {

// How many bytes at `text[pos]` follow Unicode's Table 3-7 of well-formed sequences (at least the lead byte, 0 for
// a byte that cannot lead), and in `needed` how long the sequence that lead byte starts is (0 when it cannot lead).
size_t WellFormedPrefix(std::string_view text, size_t pos, size_t& needed) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  unsigned char low = 0x80, high = 0xBF;  // the range of the byte after the lead
  if (lead < 0x80) {
    needed = 1;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    needed = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    needed = 3;
    if (lead == 0xE0) low = 0xA0;  // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    needed = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;  // nothing past U+10FFFF
  } else {
    needed = 0;
    return 0;
  }
  size_t n = 1;
  while (n < needed && pos + n < text.size() && byte(pos + n) >= (n == 1 ? low : 0x80) &&
         byte(pos + n) <= (n == 1 ? high : 0xBF)) {
    ++n;
  }
  return n;
}

}  // namespace

size_t ValidUtf8Length(std::string_view text, size_t pos) {
  size_t needed = 0;
  const size_t n = WellFormedPrefix(text, pos, needed);
  return needed > 0 && n == needed ? n : 0;
}

size_t IllFormedUtf8Length(std::string_view text, size_t pos) {
  size_t needed = 0;
  return std::max<size_t>(1, WellFormedPrefix(text, pos, needed));
}

bool TruncatedUtf8(std::string_view text, size_t pos) {
  size_t needed = 0;
  const size_t n = WellFormedPrefix(text, pos, needed);
  return n < needed && pos + n == text.size();
}

std::u32string Utf8ToCodePoints(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const size_t length = ValidUtf8Length(text, pos);
    if (length == 0) {
      out.push_back(0xFFFD);
      ++pos;
      continue;
    }
    char32_t value = static_cast<unsigned char>(text[pos]);
    if (length > 1) {
      value &= (0x7F >> length);
      for (size_t i = 1; i < length; ++i) value = (value << 6) | (static_cast<unsigned char>(text[pos + i]) & 0x3F);
    }
    out.push_back(value);
    pos += length;
  }
  return out;
}

std::string CodePointsToUtf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) AppendUtf8(c, out);
  return out;
}

std::string SanitizeUtf8(std::string_view text, Utf8Repair repair) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const size_t length = ValidUtf8Length(text, pos);
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      pos += repair == Utf8Repair::kPerByte ? 1 : IllFormedUtf8Length(text, pos);
    } else {
      out.append(text.substr(pos, length));
      pos += length;
    }
  }
  return out;
}

}  // namespace catena::inference
