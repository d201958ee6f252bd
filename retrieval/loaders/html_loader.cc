// HTML loading with a small tolerant extractor: one left-to-right scan that drops markup, comments and
// non-content elements, decodes character references, turns block elements into line breaks and collapses
// whitespace. Malformed markup (unclosed tags, stray '<', unterminated comments) degrades, never fails.
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "retrieval/loaders/loaders.h"

namespace catena::retrieval::loaders {
namespace {

// Elements whose whole content is dropped.
const std::unordered_set<std::string>& DroppedElements() {
  static const auto* const kSet = new std::unordered_set<std::string>{"script", "style",  "noscript", "template", "svg",
                                                                      "math",   "iframe", "object",   "canvas"};
  return *kSet;
}

// Elements that start and end on their own line.
const std::unordered_set<std::string>& LineElements() {
  static const auto* const kSet = new std::unordered_set<std::string>{
      "div", "li", "dt", "dd", "tr", "br", "option", "figcaption", "caption", "summary", "address", "legend"};
  return *kSet;
}

// Elements separated from their neighbours by a blank line.
const std::unordered_set<std::string>& ParagraphElements() {
  static const auto* const kSet = new std::unordered_set<std::string>{
      "p",      "h1",     "h2",   "h3",       "h4",     "h5",         "h6",  "section", "article",
      "header", "footer", "nav",  "aside",    "main",   "blockquote", "pre", "table",   "ul",
      "ol",     "dl",     "form", "fieldset", "figure", "details",    "hr",  "body",    "html"};
  return *kSet;
}

struct NamedEntity {
  std::string_view name;
  uint32_t code_point;
};

// The common named character references (HTML defines about 2,000; these cover ordinary prose).
constexpr NamedEntity kNamedEntities[] = {
    {"amp", '&'},       {"lt", '<'},        {"gt", '>'},        {"quot", '"'},      {"apos", '\''},
    {"nbsp", ' '},      {"ensp", 0x2002},   {"emsp", 0x2003},   {"thinsp", 0x2009}, {"shy", 0xAD},
    {"zwnj", 0x200C},   {"zwj", 0x200D},    {"copy", 0xA9},     {"reg", 0xAE},      {"trade", 0x2122},
    {"hellip", 0x2026}, {"mdash", 0x2014},  {"ndash", 0x2013},  {"lsquo", 0x2018},  {"rsquo", 0x2019},
    {"sbquo", 0x201A},  {"ldquo", 0x201C},  {"rdquo", 0x201D},  {"bdquo", 0x201E},  {"laquo", 0xAB},
    {"raquo", 0xBB},    {"lsaquo", 0x2039}, {"rsaquo", 0x203A}, {"bull", 0x2022},   {"middot", 0xB7},
    {"deg", 0xB0},      {"plusmn", 0xB1},   {"times", 0xD7},    {"divide", 0xF7},   {"minus", 0x2212},
    {"euro", 0x20AC},   {"pound", 0xA3},    {"yen", 0xA5},      {"cent", 0xA2},     {"curren", 0xA4},
    {"sect", 0xA7},     {"para", 0xB6},     {"iexcl", 0xA1},    {"iquest", 0xBF},   {"dagger", 0x2020},
    {"Dagger", 0x2021}, {"permil", 0x2030}, {"prime", 0x2032},  {"Prime", 0x2033},  {"micro", 0xB5},
    {"frac12", 0xBD},   {"frac14", 0xBC},   {"frac34", 0xBE},   {"sup1", 0xB9},     {"sup2", 0xB2},
    {"sup3", 0xB3},     {"ordf", 0xAA},     {"ordm", 0xBA},     {"not", 0xAC},      {"macr", 0xAF},
    {"acute", 0xB4},    {"cedil", 0xB8},    {"uml", 0xA8},      {"brvbar", 0xA6},   {"larr", 0x2190},
    {"uarr", 0x2191},   {"rarr", 0x2192},   {"darr", 0x2193},   {"harr", 0x2194},   {"rArr", 0x21D2},
    {"lArr", 0x21D0},   {"hArr", 0x21D4},   {"le", 0x2264},     {"ge", 0x2265},     {"ne", 0x2260},
    {"asymp", 0x2248},  {"equiv", 0x2261},  {"infin", 0x221E},  {"sum", 0x2211},    {"prod", 0x220F},
    {"radic", 0x221A},  {"part", 0x2202},   {"int", 0x222B},    {"forall", 0x2200}, {"exist", 0x2203},
    {"isin", 0x2208},   {"empty", 0x2205},  {"nabla", 0x2207},  {"and", 0x2227},    {"or", 0x2228},
    {"cap", 0x2229},    {"cup", 0x222A},    {"sub", 0x2282},    {"sup", 0x2283},    {"loz", 0x25CA},
    {"spades", 0x2660}, {"clubs", 0x2663},  {"hearts", 0x2665}, {"diams", 0x2666},  {"Agrave", 0xC0},
    {"Aacute", 0xC1},   {"Acirc", 0xC2},    {"Atilde", 0xC3},   {"Auml", 0xC4},     {"Aring", 0xC5},
    {"AElig", 0xC6},    {"Ccedil", 0xC7},   {"Egrave", 0xC8},   {"Eacute", 0xC9},   {"Ecirc", 0xCA},
    {"Euml", 0xCB},     {"Igrave", 0xCC},   {"Iacute", 0xCD},   {"Icirc", 0xCE},    {"Iuml", 0xCF},
    {"ETH", 0xD0},      {"Ntilde", 0xD1},   {"Ograve", 0xD2},   {"Oacute", 0xD3},   {"Ocirc", 0xD4},
    {"Otilde", 0xD5},   {"Ouml", 0xD6},     {"Oslash", 0xD8},   {"Ugrave", 0xD9},   {"Uacute", 0xDA},
    {"Ucirc", 0xDB},    {"Uuml", 0xDC},     {"Yacute", 0xDD},   {"THORN", 0xDE},    {"szlig", 0xDF},
    {"agrave", 0xE0},   {"aacute", 0xE1},   {"acirc", 0xE2},    {"atilde", 0xE3},   {"auml", 0xE4},
    {"aring", 0xE5},    {"aelig", 0xE6},    {"ccedil", 0xE7},   {"egrave", 0xE8},   {"eacute", 0xE9},
    {"ecirc", 0xEA},    {"euml", 0xEB},     {"igrave", 0xEC},   {"iacute", 0xED},   {"icirc", 0xEE},
    {"iuml", 0xEF},     {"eth", 0xF0},      {"ntilde", 0xF1},   {"ograve", 0xF2},   {"oacute", 0xF3},
    {"ocirc", 0xF4},    {"otilde", 0xF5},   {"ouml", 0xF6},     {"oslash", 0xF8},   {"ugrave", 0xF9},
    {"uacute", 0xFA},   {"ucirc", 0xFB},    {"uuml", 0xFC},     {"yacute", 0xFD},   {"thorn", 0xFE},
    {"yuml", 0xFF},     {"OElig", 0x152},   {"oelig", 0x153},   {"Scaron", 0x160},  {"scaron", 0x161},
    {"Yuml", 0x178},    {"fnof", 0x192},    {"circ", 0x2C6},    {"tilde", 0x2DC},   {"Alpha", 0x391},
    {"Beta", 0x392},    {"Gamma", 0x393},   {"Delta", 0x394},   {"Theta", 0x398},   {"Lambda", 0x39B},
    {"Pi", 0x3A0},      {"Sigma", 0x3A3},   {"Phi", 0x3A6},     {"Psi", 0x3A8},     {"Omega", 0x3A9},
    {"alpha", 0x3B1},   {"beta", 0x3B2},    {"gamma", 0x3B3},   {"delta", 0x3B4},   {"epsilon", 0x3B5},
    {"zeta", 0x3B6},    {"eta", 0x3B7},     {"theta", 0x3B8},   {"iota", 0x3B9},    {"kappa", 0x3BA},
    {"lambda", 0x3BB},  {"mu", 0x3BC},      {"nu", 0x3BD},      {"xi", 0x3BE},      {"omicron", 0x3BF},
    {"pi", 0x3C0},      {"rho", 0x3C1},     {"sigma", 0x3C3},   {"sigmaf", 0x3C2},  {"tau", 0x3C4},
    {"upsilon", 0x3C5}, {"phi", 0x3C6},     {"chi", 0x3C7},     {"psi", 0x3C8},     {"omega", 0x3C9}};

const std::unordered_map<std::string_view, uint32_t>& NamedEntities() {
  static const auto* const kMap = [] {
    auto* map = new std::unordered_map<std::string_view, uint32_t>;
    for (const NamedEntity& entity : kNamedEntities) map->emplace(entity.name, entity.code_point);
    return map;
  }();
  return *kMap;
}

// Code points 0x80-0x9F in numeric references mean Windows-1252 characters (HTML parsing rules).
constexpr std::array<uint16_t, 32> kWindows1252 = {0x20AC, 0x81,   0x201A, 0x192,  0x201E, 0x2026, 0x2020, 0x2021,
                                                   0x2C6,  0x2030, 0x160,  0x2039, 0x152,  0x8D,   0x17D,  0x8F,
                                                   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                                   0x2DC,  0x2122, 0x161,  0x203A, 0x153,  0x9D,   0x17E,  0x178};

bool IsAsciiAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool IsHtmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Decodes the numeric reference after "&#" at text[i]; returns the index after it, or i when none.
size_t DecodeNumeric(std::string_view text, size_t i, std::string& out) {
  const bool hex = i < text.size() && (text[i] == 'x' || text[i] == 'X');
  size_t j = hex ? i + 1 : i;
  uint32_t value = 0;
  const size_t digits_start = j;
  for (; j < text.size() && (hex ? std::isxdigit(static_cast<unsigned char>(text[j])) != 0
                                 : std::isdigit(static_cast<unsigned char>(text[j])) != 0);
       ++j) {
    const uint32_t digit = std::isdigit(static_cast<unsigned char>(text[j])) != 0
                               ? text[j] - '0'
                               : std::tolower(static_cast<unsigned char>(text[j])) - 'a' + 10;
    value = std::min<uint32_t>(value * (hex ? 16 : 10) + digit, 0x110000);
  }
  if (j == digits_start) return i;
  if (j < text.size() && text[j] == ';') ++j;
  if (value == 0) value = 0xFFFD;
  if (value >= 0x80 && value <= 0x9F) value = kWindows1252[value - 0x80];
  AppendUtf8(out, value);
  return j;
}

// Decodes the named reference after '&' at text[i]; returns the index after it, or i when none.
size_t DecodeNamed(std::string_view text, size_t i, std::string& out) {
  size_t j = i;
  while (j < text.size() && j - i < 32 && IsAsciiAlnum(text[j])) ++j;
  const std::string_view name = text.substr(i, j - i);
  const auto it = NamedEntities().find(name);
  if (it == NamedEntities().end()) return i;
  if (j < text.size() && text[j] == ';') {
    ++j;
  } else if (name != "amp" && name != "lt" && name != "gt" && name != "quot" && name != "nbsp") {
    return i;  // Only these legacy names are recognized without the semicolon.
  }
  AppendUtf8(out, it->second);
  return j;
}

// Appends `text` with character references decoded.
void AppendDecoded(std::string_view text, std::string& out) {
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '&') {
      out += text[i++];
      continue;
    }
    size_t next = i + 1;
    if (next < text.size() && text[next] == '#') {
      next = DecodeNumeric(text, i + 2, out);
      if (next == i + 2) next = i + 1;
    } else {
      next = DecodeNamed(text, i + 1, out);
    }
    if (next == i + 1) out += '&';
    i = next;
  }
}

// Lines trimmed, whitespace runs inside lines collapsed, at most one blank line in a row.
std::string CollapseWhitespace(std::string_view text) {
  std::string out;
  bool pending_blank = false;
  for (std::string_view line : SplitLines(text)) {
    std::string collapsed;
    bool space = false;
    for (char c : Trim(line)) {
      const bool is_space = IsHtmlSpace(c) || c == '\v';
      if (is_space && space) continue;
      collapsed += is_space ? ' ' : c;
      space = is_space;
    }
    if (collapsed.empty()) {
      pending_blank = !out.empty();
      continue;
    }
    if (!out.empty()) out += pending_blank ? "\n\n" : "\n";
    out += collapsed;
    pending_blank = false;
  }
  return out;
}

class HtmlExtractor {
 public:
  explicit HtmlExtractor(std::string_view html) : html_(html) {}

  HtmlText Run() {
    while (pos_ < html_.size()) {
      const size_t lt = html_.find('<', pos_);
      AppendText(html_.substr(pos_, lt == std::string_view::npos ? std::string_view::npos : lt - pos_));
      if (lt == std::string_view::npos) break;
      pos_ = lt;
      ParseMarkup();
    }
    for (char& c : title_) {
      if (c == '\n') c = ' ';
    }
    return {CollapseWhitespace(text_), CollapseWhitespace(title_)};
  }

 private:
  // Appends character data: outside <pre> every whitespace character is a space.
  void AppendText(std::string_view raw) {
    std::string decoded;
    AppendDecoded(raw, decoded);
    for (char c : decoded) Emit((pre_depth_ > 0 && c == '\n') ? '\n' : IsHtmlSpace(c) ? ' ' : c);
  }

  // Appends one character of text; the first visible one after block boundaries writes the pending break.
  void Emit(char c) {
    if (pending_break_ > 0) {
      if (c == ' ') return;
      if (!text_.empty()) text_ += pending_break_ > 1 ? "\n\n" : "\n";
      pending_break_ = 0;
    }
    text_ += c;
  }

  // Handles the markup starting at '<' (html_[pos_]).
  void ParseMarkup() {
    const std::string_view rest = html_.substr(pos_);
    if (rest.starts_with("<!--")) {
      const size_t end = html_.find("-->", pos_ + 4);
      pos_ = end == std::string_view::npos ? html_.size() : end + 3;
    } else if (rest.size() > 1 && (rest[1] == '!' || rest[1] == '?')) {
      SkipPast('>');
    } else if (rest.size() > 2 && rest[1] == '/' && std::isalpha(static_cast<unsigned char>(rest[2]))) {
      pos_ += 2;
      const std::string name = ReadName();
      SkipPast('>');
      EndTag(name);
    } else if (rest.size() > 1 && std::isalpha(static_cast<unsigned char>(rest[1]))) {
      pos_ += 1;
      const std::string name = ReadName();
      const bool self_closing = SkipAttributes();
      StartTag(name, self_closing);
    } else {
      Emit('<');  // A stray '<' is text.
      pos_ += 1;
    }
  }

  std::string ReadName() {
    std::string name;
    while (pos_ < html_.size() && (IsAsciiAlnum(html_[pos_]) || html_[pos_] == '-' || html_[pos_] == ':')) {
      name += static_cast<char>(std::tolower(static_cast<unsigned char>(html_[pos_++])));
    }
    return name;
  }

  void SkipPast(char c) {
    const size_t end = html_.find(c, pos_);
    pos_ = end == std::string_view::npos ? html_.size() : end + 1;
  }

  // Skips attributes up to and including '>' (quoted values may hold '>'); true for "/>".
  bool SkipAttributes() {
    char previous = ' ';
    while (pos_ < html_.size()) {
      const char c = html_[pos_++];
      if (c == '>') return previous == '/';
      if ((c == '"' || c == '\'') && previous == '=') {
        SkipPast(c);
        previous = c;
        continue;
      }
      if (!IsHtmlSpace(c)) previous = c;
    }
    return false;
  }

  // Skips to just after the end tag of `name` (ASCII case-insensitive), or to the end of the input.
  std::string_view SkipRawText(const std::string& name) {
    const size_t start = pos_;
    for (size_t i = pos_; i + 2 + name.size() <= html_.size(); ++i) {
      if (html_[i] != '<' || html_[i + 1] != '/') continue;
      bool match = true;
      for (size_t k = 0; k < name.size() && match; ++k) {
        match = std::tolower(static_cast<unsigned char>(html_[i + 2 + k])) == name[k];
      }
      const size_t after = i + 2 + name.size();
      if (match && (after == html_.size() || !IsAsciiAlnum(html_[after]))) {
        pos_ = after;
        SkipPast('>');
        return html_.substr(start, i - start);
      }
    }
    pos_ = html_.size();
    return html_.substr(start);
  }

  void StartTag(const std::string& name, bool self_closing) {
    if (name == "title" && !self_closing) {
      const std::string_view raw = SkipRawText(name);
      if (title_.empty()) AppendDecoded(raw, title_);
      return;
    }
    if (DroppedElements().contains(name)) {
      if (!self_closing) SkipRawText(name);
      return;
    }
    if (name == "pre") ++pre_depth_;
    Break(name);
    if (name == "td" || name == "th") Emit(' ');
  }

  void EndTag(const std::string& name) {
    if (name == "pre" && pre_depth_ > 0) --pre_depth_;
    Break(name);
  }

  void Break(const std::string& name) {
    if (ParagraphElements().contains(name)) {
      pending_break_ = 2;
    } else if (LineElements().contains(name)) {
      pending_break_ = std::max(pending_break_, 1);
    }
  }

  std::string_view html_;
  size_t pos_ = 0;
  int pre_depth_ = 0;
  int pending_break_ = 0;  // 1: a line break, 2: a blank line, before the next visible text.
  std::string text_;
  std::string title_;
};

}  // namespace

HtmlText ExtractHtmlText(std::string_view html) { return HtmlExtractor(html).Run(); }

absl::StatusOr<std::vector<LoadedDocument>> LoadHtml(std::string_view content) {
  CATENA_RETURN_IF_ERROR(CheckUtf8(content));
  HtmlText extracted = ExtractHtmlText(NormalizeNewlines(StripBom(content)));
  std::vector<LoadedDocument> documents;
  if (extracted.text.empty()) return documents;
  LoadedDocument document;
  document.text = std::move(extracted.text);
  if (!extracted.title.empty()) document.metadata["title"] = std::move(extracted.title);
  documents.push_back(std::move(document));
  return documents;
}

}  // namespace catena::retrieval::loaders
