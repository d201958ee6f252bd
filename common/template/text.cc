// UTF-8 and Python-string helpers for the template engine.
#include "common/template/text.h"

#include <cstdio>

namespace catena::tmpl::text {
namespace {

// Length of the UTF-8 sequence starting with `lead`, or 1 for invalid lead bytes.
size_t SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

// Whether `cp` is printed verbatim by Python's repr() (an approximation of str.isprintable()).
bool IsPrintable(uint32_t cp) {
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0xAD) return false;
  return cp != 0x2028 && cp != 0x2029 && cp != 0xFEFF;
}

}  // namespace

size_t ValidUtf8Length(std::string_view s) {
  if (s.empty()) return 0;
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length = 0;
  uint32_t min = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, min = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, min = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() < length) return 0;
  uint32_t code = lead & (0x7F >> length);
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i) & 0x3F);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return length;
}

uint32_t DecodeOne(std::string_view s, size_t* pos) {
  const auto lead = static_cast<unsigned char>(s[*pos]);
  const size_t len = SequenceLength(lead);
  if (len == 1 || *pos + len > s.size()) {
    ++*pos;
    return lead;
  }
  uint32_t cp = lead & (0xFF >> (len + 1));
  for (size_t i = 1; i < len; ++i) {
    const auto cont = static_cast<unsigned char>(s[*pos + i]);
    if ((cont & 0xC0) != 0x80) {
      ++*pos;
      return lead;
    }
    cp = (cp << 6) | (cont & 0x3F);
  }
  *pos += len;
  return cp;
}

std::vector<std::string_view> CodePoints(std::string_view s) {
  std::vector<std::string_view> out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t start = pos;
    DecodeOne(s, &pos);
    out.push_back(s.substr(start, pos - start));
  }
  return out;
}

size_t CodePointCount(std::string_view s) {
  size_t count = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    DecodeOne(s, &pos);
    ++count;
  }
  return count;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f'); }

std::string_view Strip(std::string_view s, const std::string* chars, bool left, bool right) {
  auto strip_char = [chars](char c) { return chars == nullptr ? IsSpace(c) : chars->find(c) != std::string::npos; };
  size_t begin = 0;
  size_t end = s.size();
  while (left && begin < end && strip_char(s[begin])) ++begin;
  while (right && end > begin && strip_char(s[end - 1])) --end;
  return s.substr(begin, end - begin);
}

namespace {

// Maps one code point with Python's case rules for Latin-1, Latin Extended-A, Greek and Cyrillic; returns
// `cp` for characters without case (or outside those blocks).
uint32_t MapCase(uint32_t cp, bool upper) {
  if (upper) {
    if ((cp >= 'a' && cp <= 'z') || (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7)) return cp - 0x20;
    if (cp == 0xFF) return 0x178;
    if (cp == 0xB5) return 0x39C;
    if (cp == 0x131) return 'I';
    if (cp == 0x17F) return 'S';
    if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177)) return (cp & 1) != 0 ? cp - 1 : cp;
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) return (cp & 1) == 0 ? cp - 1 : cp;
    if (cp == 0x3C2) return 0x3A3;
    if (cp >= 0x3B1 && cp <= 0x3CB) return cp - 0x20;
    if (cp == 0x3AC) return 0x386;
    if (cp >= 0x3AD && cp <= 0x3AF) return cp - 0x25;
    if (cp == 0x3CC) return 0x38C;
    if (cp == 0x3CD || cp == 0x3CE) return cp - 0x3F;
    if (cp >= 0x430 && cp <= 0x44F) return cp - 0x20;
    if (cp >= 0x450 && cp <= 0x45F) return cp - 0x50;
    return cp;
  }
  if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)) return cp + 0x20;
  if (cp == 0x178) return 0xFF;
  if ((cp >= 0x100 && cp <= 0x137 && cp != 0x130) || (cp >= 0x14A && cp <= 0x177)) return (cp & 1) == 0 ? cp + 1 : cp;
  if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) return (cp & 1) != 0 ? cp + 1 : cp;
  if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) return cp + 0x20;
  if (cp == 0x386) return 0x3AC;
  if (cp >= 0x388 && cp <= 0x38A) return cp + 0x25;
  if (cp == 0x38C) return 0x3CC;
  if (cp == 0x38E || cp == 0x38F) return cp + 0x3F;
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;
  return cp;
}

void AppendCased(uint32_t cp, bool upper, std::string* out) {
  if (upper && cp == 0xDF) {
    *out += "SS";
    return;
  }
  AppendUtf8(MapCase(cp, upper), out);
}

// Rewrites `s` code point by code point; `upper_at(cp, index_state)` decides the case of each letter.
template <typename Decide>
std::string Recase(std::string_view s, Decide decide) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t start = pos;
    const uint32_t cp = DecodeOne(s, &pos);
    const int choice = decide(cp);  // 1 upper, 0 lower, -1 keep
    if (choice < 0) {
      out.append(s.substr(start, pos - start));
    } else {
      AppendCased(cp, choice == 1, &out);
    }
  }
  return out;
}

}  // namespace

bool IsCased(uint32_t cp) { return MapCase(cp, true) != cp || MapCase(cp, false) != cp || cp == 0xDF; }
bool IsLowerCase(uint32_t cp) { return MapCase(cp, true) != cp || cp == 0xDF; }
bool IsUpperCase(uint32_t cp) { return MapCase(cp, false) != cp; }

std::string Upper(std::string_view s) {
  return Recase(s, [](uint32_t) { return 1; });
}

std::string Lower(std::string_view s) {
  return Recase(s, [](uint32_t) { return 0; });
}

std::string Capitalize(std::string_view s) {
  bool first = true;
  return Recase(s, [&first](uint32_t) {
    const int choice = first ? 1 : 0;
    first = false;
    return choice;
  });
}

std::string PyTitle(std::string_view s) {
  bool prev_cased = false;
  return Recase(s, [&prev_cased](uint32_t cp) {
    const bool cased = IsCased(cp);
    const int choice = cased ? (prev_cased ? 0 : 1) : -1;
    prev_cased = cased;
    return choice;
  });
}

std::string JinjaTitle(std::string_view s) {
  bool word_start = true;
  return Recase(s, [&word_start](uint32_t cp) {
    const bool sep =
        cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<' || (cp < 0x80 && IsSpace(static_cast<char>(cp)));
    if (sep) {
      word_start = true;
      return -1;
    }
    const int choice = word_start ? 1 : 0;
    word_start = false;
    return choice;
  });
}

std::string ReprString(std::string_view s) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t start = pos;
    const uint32_t cp = DecodeOne(s, &pos);
    char buf[16];
    if (cp == static_cast<uint32_t>(quote) || cp == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(cp));
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (!IsPrintable(cp)) {
      std::snprintf(buf, sizeof(buf), cp < 0x100 ? "\\x%02x" : "\\u%04x", cp);
      out += buf;
    } else {
      out.append(s.substr(start, pos - start));
    }
  }
  out.push_back(quote);
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t hit = s.find(sep, start);
    if (hit == std::string_view::npos) break;
    parts.push_back(s.substr(start, hit - start));
    start = hit + 1;
  }
  parts.push_back(s.substr(start));
  return parts;
}

std::vector<std::string> SplitLines(std::string_view s) {
  std::vector<std::string> lines;
  size_t start = 0;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    const bool is_break = c == '\n' || c == '\r' || c == '\v' || c == '\f' || (c >= '\x1c' && c <= '\x1e');
    if (!is_break) {
      ++i;
      continue;
    }
    lines.emplace_back(s.substr(start, i - start));
    i += (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ? 2 : 1;
    start = i;
  }
  if (start < s.size()) lines.emplace_back(s.substr(start));
  return lines;
}

std::optional<std::string> Replace(std::string_view s, std::string_view old, std::string_view repl, int64_t count,
                                   size_t max_bytes) {
  std::string out;
  if (old.empty()) {
    const std::vector<std::string_view> chars = CodePoints(s);
    for (size_t i = 0; i <= chars.size(); ++i) {
      if (count < 0 || static_cast<int64_t>(i) < count) out.append(repl);
      if (i < chars.size()) out.append(chars[i]);
      if (out.size() > max_bytes) return std::nullopt;
    }
    return out;
  }
  size_t pos = 0;
  for (int64_t n = 0; count < 0 || n < count; ++n) {
    const size_t hit = s.find(old, pos);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(pos, hit - pos));
    out.append(repl);
    if (out.size() > max_bytes) return std::nullopt;
    pos = hit + old.size();
  }
  out.append(s.substr(pos));
  return out;
}

}  // namespace catena::tmpl::text
