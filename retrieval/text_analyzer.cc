#include "retrieval/text_analyzer.h"

#include <cstdint>
#include <utility>

namespace catena::retrieval {
namespace {

enum class CharClass { kSeparator, kWord, kIdeograph };

struct Range {
  uint32_t first, last;
};

// Letters, digits and combining marks of the supported scripts (an approximation of Unicode L*, N*, M*).
constexpr Range kWordRanges[] = {
    {'0', '9'},       {'A', 'Z'},       {'a', 'z'},       {0xAA, 0xAA},     {0xB5, 0xB5},     {0xBA, 0xBA},
    {0xC0, 0xD6},     {0xD8, 0xF6},     {0xF8, 0x2AF},    {0x300, 0x36F},   {0x370, 0x374},   {0x376, 0x37D},
    {0x37F, 0x383},   {0x386, 0x386},   {0x388, 0x3FF},   {0x400, 0x481},   {0x483, 0x52F},   {0x531, 0x556},
    {0x561, 0x587},   {0x591, 0x5BD},   {0x5BF, 0x5BF},   {0x5C1, 0x5C2},   {0x5C4, 0x5C5},   {0x5C7, 0x5C7},
    {0x5D0, 0x5EA},   {0x5EF, 0x5F2},   {0x610, 0x61A},   {0x620, 0x669},   {0x66E, 0x6D3},   {0x6D5, 0x6DC},
    {0x6DF, 0x6E8},   {0x6EA, 0x6FC},   {0x900, 0x963},   {0x966, 0x96F},   {0x971, 0x97F},   {0x980, 0xDFF},
    {0xE01, 0xE3A},   {0xE40, 0xE4E},   {0xE50, 0xE59},   {0x10A0, 0x10FF}, {0x1E00, 0x1FBC}, {0x1FC2, 0x1FCC},
    {0x1FD0, 0x1FDB}, {0x1FE0, 0x1FEC}, {0x1FF2, 0x1FFC}, {0xFF10, 0xFF19}, {0xFF21, 0xFF3A}, {0xFF41, 0xFF5A},
};

// Scripts written without spaces between words: each character is its own term.
constexpr Range kIdeographRanges[] = {
    {0x1100, 0x11FF}, {0x3040, 0x309F}, {0x30A0, 0x30FA}, {0x30FC, 0x30FF},   {0x3400, 0x4DBF},
    {0x4E00, 0x9FFF}, {0xAC00, 0xD7AF}, {0xF900, 0xFAFF}, {0x20000, 0x2FA1F},
};

bool InRanges(uint32_t cp, const Range* begin, const Range* end) {
  for (const Range* r = begin; r != end; ++r) {
    if (cp >= r->first && cp <= r->last) return true;
  }
  return false;
}

CharClass Classify(uint32_t cp) {
  if (cp < 0x80) {
    const bool alnum = (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    return alnum ? CharClass::kWord : CharClass::kSeparator;
  }
  if (InRanges(cp, std::begin(kWordRanges), std::end(kWordRanges))) return CharClass::kWord;
  if (InRanges(cp, std::begin(kIdeographRanges), std::end(kIdeographRanges))) return CharClass::kIdeograph;
  return CharClass::kSeparator;
}

// Simple lowercase mapping for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic; final sigma folds to σ.
uint32_t ToLower(uint32_t cp) {
  const bool even = cp % 2 == 0;
  if (cp >= 'A' && cp <= 'Z') return cp + 0x20;
  if (cp < 0xC0) return cp;
  if (cp <= 0xDE) return cp == 0xD7 ? cp : cp + 0x20;
  if (cp == 0x130) return 'i';
  if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177)) return even ? cp + 1 : cp;
  if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) return even ? cp : cp + 1;
  if (cp == 0x178) return 0xFF;
  if (cp == 0x386) return 0x3AC;
  if (cp >= 0x388 && cp <= 0x38A) return cp + 0x25;
  if (cp == 0x38C) return 0x3CC;
  if (cp == 0x38E || cp == 0x38F) return cp + 0x3F;
  if ((cp >= 0x391 && cp <= 0x3A1) || (cp >= 0x3A3 && cp <= 0x3AB)) return cp + 0x20;
  if (cp == 0x3C2) return 0x3C3;
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;
  if ((cp >= 0x460 && cp <= 0x481) || (cp >= 0x48A && cp <= 0x4BF) || (cp >= 0x4D0 && cp <= 0x52F)) {
    return even ? cp + 1 : cp;
  }
  if (cp == 0x4C0) return 0x4CF;
  if (cp >= 0x4C1 && cp <= 0x4CE) return even ? cp : cp + 1;
  return cp;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
    return;
  }
  if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
  }
  out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
}

// Decodes the code point at `text[pos]` and advances `pos`; returns nullopt-like 0xFFFFFFFF for an invalid
// byte (overlong forms, surrogates and truncated sequences included), advancing by one byte.
uint32_t DecodeUtf8(std::string_view text, size_t& pos) {
  constexpr uint32_t kInvalid = 0xFFFFFFFF;
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  if (lead < 0x80) return ++pos, lead;
  const int length = lead >= 0xF0 && lead <= 0xF4 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 && lead < 0xE0 ? 2 : 0;
  if (length == 0 || lead > 0xF4 || pos + length > text.size()) return ++pos, kInvalid;
  uint32_t cp = lead & (0x7F >> length);
  for (int i = 1; i < length; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80) return ++pos, kInvalid;
    cp = cp << 6 | (byte(pos + i) & 0x3F);
  }
  const uint32_t minimum = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
  if (cp < minimum || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return ++pos, kInvalid;
  pos += length;
  return cp;
}

using StopWordSet = std::unordered_set<std::string_view>;

StopWordSet SplitWords(std::string_view words) {
  StopWordSet set;
  while (!words.empty()) {
    const size_t space = words.find(' ');
    set.insert(words.substr(0, space));
    words = space == std::string_view::npos ? std::string_view() : words.substr(space + 1);
  }
  return set;
}

// Short standard stop-word lists (the most frequent function words of each language).
constexpr std::pair<std::string_view, std::string_view> kStopWords[] = {
    {"en",
     "a an and are as at be but by for from has have he her his i if in into is it its me my no not of on "
     "or our s she so such t that the their them then there these they this to was we were which will with "
     "you your"},
    {"de",
     "aber alle als also am an auch auf aus bei bin bis bist da damit dann das dass dein dem den der des die "
     "dies diese dieser doch du durch ein eine einem einen einer eines er es für hat hatte ich ihr im in ist "
     "ja kein man mein mit nach nicht noch nun nur ob oder sein sich sie sind so um und uns von vor war was "
     "wie wir wird zu zum zur über"},
    {"fr",
     "à au aux avec c ce ces cette d dans de des du elle en est et été être eux il ils j je l la le les "
     "leur lui m ma mais me même mes moi mon n ne nos notre nous on ou où par pas pour qu que qui s sa se "
     "ses son sur t ta te tes toi ton tu un une vos votre vous y"},
    {"es",
     "a al algo como con de del el ella ellas ellos en entre era es esa ese eso esta este esto estos fue ha "
     "hay la las le les lo los me mi mis muy más ni no nos o para pero por que qué se sin sobre su sus "
     "también te tu un una unas uno unos y ya yo"},
    {"it",
     "a ad al alla alle anche che chi ci come con da dal dalla degli dei del della delle di e ed era gli ha "
     "hanno i il in io la le lei lo loro lui ma mi ne nei nel nella noi non o per più quale quando quello "
     "questo se si sono su sua sue suo tra tu un una uno voi è"},
    {"pt",
     "a ao aos as até com como da das de dela dele do dos e ela elas ele eles em entre era essa esse esta "
     "este eu foi há isso já lhe mais mas me meu minha muito na nas nem no nos não o os ou para pela pelo "
     "por que quem se sem seu sua são também te tu um uma você à é"},
    {"nl",
     "aan al als bij dan dat de der die dit door een en er had heb heeft hem het hij hoe hun ik in is je kan "
     "maar me men met mij na naar niet nog nu of om omdat ook op over te tot u uit van veel voor want was "
     "wat we wel werd wie wij wil worden zal ze zich zij zijn zo"},
};

const StopWordSet* FindStopWords(std::string_view language) {
  static const auto* const kSets = [] {
    auto* sets = new std::vector<std::pair<std::string_view, StopWordSet>>();
    for (const auto& [code, words] : kStopWords) sets->emplace_back(code, SplitWords(words));
    return sets;
  }();
  for (const auto& [code, set] : *kSets) {
    if (code == language) return &set;
  }
  return nullptr;
}

}  // namespace

bool HasStopWordList(std::string_view language) { return FindStopWords(language) != nullptr; }

TextAnalyzer::TextAnalyzer(AnalyzerOptions options) : options_(std::move(options)) {
  if (options_.stop_words) stop_words_ = FindStopWords(options_.language);
}

std::vector<std::string> TextAnalyzer::Analyze(std::string_view text) const {
  std::vector<std::string> terms;
  std::string word;
  const auto flush = [&] {
    const bool stop = stop_words_ != nullptr && stop_words_->count(word) > 0;
    if (!word.empty() && word.size() <= kMaxTermBytes && !stop) terms.push_back(word);
    word.clear();
  };
  for (size_t pos = 0; pos < text.size();) {
    const uint32_t cp = DecodeUtf8(text, pos);
    const CharClass kind = cp == 0xFFFFFFFF ? CharClass::kSeparator : Classify(cp);
    if (kind == CharClass::kWord) {
      AppendUtf8(word, ToLower(cp));
      continue;
    }
    flush();
    if (kind == CharClass::kIdeograph) {
      AppendUtf8(word, cp);
      flush();
    }
  }
  flush();
  return terms;
}

}  // namespace catena::retrieval
