#include "inference/unicode_words.h"

#include <algorithm>
#include <array>
#include <iterator>

namespace catena::inference {
namespace {

struct Range {
  char32_t first;
  char32_t last;
};

// Non-word ranges above ASCII, sorted and disjoint: punctuation, spaces, symbols, controls, emoji.
constexpr std::array<Range, 37> kNonWordRanges = {{
    {0x0080, 0x00A9},   {0x00AB, 0x00B4}, {0x00B6, 0x00B9}, {0x00BB, 0x00BF},  // C1 controls, Latin-1 punct.
    {0x00D7, 0x00D7},   {0x00F7, 0x00F7},                                      // × ÷
    {0x037E, 0x037E},   {0x0387, 0x0387},                                      // Greek ; and ·
    {0x055A, 0x055F},   {0x0589, 0x058A},                                      // Armenian punctuation
    {0x05BE, 0x05BE},   {0x05C0, 0x05C0}, {0x05C3, 0x05C3}, {0x05F3, 0x05F4},  // Hebrew punctuation
    {0x060C, 0x060D},   {0x061B, 0x061B}, {0x061F, 0x061F}, {0x066A, 0x066D},  // Arabic punctuation
    {0x0964, 0x0965},                                                          // Devanagari danda
    {0x1680, 0x1680},                                                          // Ogham space
    {0x2000, 0x206F},                                                          // General punctuation
    {0x20A0, 0x20CF},                                                          // Currency
    {0x2190, 0x2BFF},                                                          // Arrows .. misc symbols
    {0x2E00, 0x2E7F},                                                          // Supplemental punct.
    {0x3000, 0x3003},   {0x3008, 0x3020}, {0x3030, 0x3030},                    // CJK punctuation
    {0xFE00, 0xFE0F},                                                          // Variation selectors
    {0xFE30, 0xFE4F},                                                          // CJK compatibility forms
    {0xFEFF, 0xFEFF},                                                          // BOM
    {0xFF00, 0xFF0F},   {0xFF1A, 0xFF20}, {0xFF3B, 0xFF40}, {0xFF5B, 0xFF65},  // Fullwidth punctuation
    {0xFFF0, 0xFFFF},                                                          // Specials, U+FFFD
    {0x1F000, 0x1FAFF},                                                        // Emoji and pictographs
    {0xE0000, 0xE007F},                                                        // Tags
}};

char32_t LowerLatinExtendedA(char32_t c) {
  if (c == 0x0130) return U'i';
  if (c == 0x0178) return 0x00FF;
  if ((c >= 0x0100 && c <= 0x0137) || (c >= 0x014A && c <= 0x0177)) return (c % 2 == 0) ? c + 1 : c;
  if ((c >= 0x0139 && c <= 0x0148) || (c >= 0x0179 && c <= 0x017E)) return (c % 2 == 1) ? c + 1 : c;
  return c;
}

char32_t LowerGreek(char32_t c) {
  if (c >= 0x0391 && c <= 0x03AB && c != 0x03A2) return c + 32;
  if (c == 0x0386) return 0x03AC;
  if (c >= 0x0388 && c <= 0x038A) return c + 37;
  if (c == 0x038C) return 0x03CC;
  if (c == 0x038E || c == 0x038F) return c + 63;
  return c;
}

char32_t LowerCyrillic(char32_t c) {
  if (c >= 0x0400 && c <= 0x040F) return c + 80;
  if (c >= 0x0410 && c <= 0x042F) return c + 32;
  if (c == 0x04C0) return 0x04CF;
  if ((c >= 0x0460 && c <= 0x0481) || (c >= 0x048A && c <= 0x04BF) || (c >= 0x04D0 && c <= 0x052F)) {
    return (c % 2 == 0) ? c + 1 : c;
  }
  if (c >= 0x04C1 && c <= 0x04CE) return (c % 2 == 1) ? c + 1 : c;
  return c;
}

}  // namespace

bool IsWordCodePoint(char32_t c) {
  if (c < 0x80) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }
  auto it = std::upper_bound(kNonWordRanges.begin(), kNonWordRanges.end(), c,
                             [](char32_t value, const Range& range) { return value < range.first; });
  if (it == kNonWordRanges.begin()) return true;
  return c > std::prev(it)->last;
}

char32_t ToLowerCodePoint(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if (c < 0x0100) return (c >= 0x00C0 && c <= 0x00DE && c != 0x00D7) ? c + 32 : c;
  if (c < 0x0180) return LowerLatinExtendedA(c);
  if (c >= 0x0370 && c < 0x0400) return LowerGreek(c);
  if (c >= 0x0400 && c < 0x0530) return LowerCyrillic(c);
  return c;
}

char32_t DecodeUtf8(std::string_view text, size_t* pos) {
  const auto byte_at = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte_at(*pos);
  int length = 0;
  char32_t code_point = 0;
  char32_t min_value = 0;
  if (lead < 0x80) {
    ++*pos;
    return lead;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, code_point = lead & 0x1F, min_value = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, code_point = lead & 0x0F, min_value = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, code_point = lead & 0x07, min_value = 0x10000;
  } else {
    ++*pos;
    return 0xFFFD;
  }
  if (*pos + length > text.size()) {
    ++*pos;
    return 0xFFFD;
  }
  for (int i = 1; i < length; ++i) {
    const unsigned char next = byte_at(*pos + i);
    if ((next & 0xC0) != 0x80) {
      ++*pos;
      return 0xFFFD;
    }
    code_point = (code_point << 6) | (next & 0x3F);
  }
  if (code_point < min_value || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    ++*pos;
    return 0xFFFD;
  }
  *pos += length;
  return code_point;
}

void AppendUtf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

size_t CountWords(std::string_view text) {
  std::string scratch;
  size_t count = 0;
  ForEachLowercaseWord(text, scratch, [&](std::string_view) { ++count; });
  return count;
}

}  // namespace catena::inference
