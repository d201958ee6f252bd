#include "chains/extractive_text.h"

#include <algorithm>
#include <array>
#include <set>

namespace catena::chains {
namespace {

// Folded (lowercase, unaccented) stop words; question words count as stop words too.
const std::set<std::string, std::less<>>& EnglishStopWords() {
  static const auto* words = new std::set<std::string, std::less<>>{
      "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
      "been", "before", "being", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "don",
      "each", "else", "few", "for", "from", "get", "got", "had", "has", "have", "having", "he", "hello",
      "her", "here", "hi", "him", "his", "how", "i", "if", "im", "in", "into", "is", "it", "its", "just",
      "let", "ll", "long", "make", "many", "may", "me", "might", "mine", "more", "most", "much", "must", "my", "need",
      "no", "not", "of", "off", "ok", "on", "once", "only", "or", "other", "our", "out", "over", "own",
      "please", "same", "shall", "she", "should", "so", "some", "such", "t", "than", "that", "the",
      "their", "them", "then", "there", "these", "they", "this", "those", "to", "too", "under", "up",
      "us", "ve", "very", "want", "was", "we", "were", "what", "when", "where", "which", "while", "who",
      "whom", "whose", "why", "will", "with", "would", "yes", "you", "your", "yours"};
  return *words;
}

const std::set<std::string, std::less<>>& FrenchStopWords() {
  static const auto* words = new std::set<std::string, std::less<>>{
      "a", "ai", "alors", "as", "au", "aussi", "aux", "avec", "avez", "avoir", "avons", "bonjour", "c",
      "ca", "car", "ce", "cela", "ces", "cet", "cette", "combien", "comme", "comment", "d", "dans", "de",
      "des", "dois", "doit", "donc", "du", "elle", "elles", "en", "encore", "entre", "est", "et", "etre",
      "eux", "faire", "fait", "faut", "il", "ils", "j", "je", "l", "la", "le", "les", "leur", "leurs", "lui", "m",
      "ma", "mais", "me", "mes", "moi", "mon", "n", "ne", "ni", "nos", "notre", "nous", "on", "ont", "ou",
      "par", "pas", "peut", "peux", "plus", "pour", "pourquoi", "pouvez", "puis", "qu", "quand", "que",
      "quel", "quelle", "quelles", "quels", "qui", "quoi", "s", "sa", "sans", "se", "ses", "si", "son",
      "sont", "sous", "suis", "sur", "t", "ta", "te", "tes", "toi", "ton", "tous", "tout", "toute", "toutes", "tu",
      "un", "une", "vos", "votre", "vous", "y"};
  return *words;
}

// The ASCII folding of U+00C0..U+00FF (lowercase); "" where there is none.
std::string_view FoldLatin1(unsigned code) {
  static constexpr std::array<std::string_view, 64> kFold = {
      "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",  // C0..CF
      "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "",  "ss",  // D0..DF
      "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",  // E0..EF
      "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "",  "y"};  // F0..FF
  return code >= 0xC0 && code <= 0xFF ? kFold[code - 0xC0] : std::string_view();
}

bool IsWordByte(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80; }

bool EndsWith(std::string_view word, std::string_view suffix) {
  return word.size() >= suffix.size() && word.substr(word.size() - suffix.size()) == suffix;
}

bool HasAccent(std::string_view text) {
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (static_cast<unsigned char>(text[i]) == 0xC3) return true;
  }
  return false;
}

// Removes a list marker ("- ", "* ", "+ ", "12. ") at the start of a trimmed line.
std::string_view StripListMarker(std::string_view line) {
  if (line.size() >= 2 && (line[0] == '-' || line[0] == '*' || line[0] == '+') && line[1] == ' ') {
    return line.substr(2);
  }
  size_t digits = 0;
  while (digits < line.size() && line[digits] >= '0' && line[digits] <= '9') ++digits;
  if (digits > 0 && digits + 1 < line.size() && line[digits] == '.' && line[digits + 1] == ' ') {
    return line.substr(digits + 2);
  }
  return line;
}

std::string_view Trim(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  const size_t end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

// Whether a sentence ends at `text[i]` ('.', '!' or '?'): a space follows, then an uppercase letter, a digit,
// a quote or a non-ASCII byte (so "e.g. the" and "0.1%" do not split).
bool SentenceEndsAt(std::string_view text, size_t i) {
  if (text[i] != '.' && text[i] != '!' && text[i] != '?') return false;
  if (i + 2 >= text.size() || text[i + 1] != ' ') return false;
  const unsigned char next = static_cast<unsigned char>(text[i + 2]);
  return (next >= 'A' && next <= 'Z') || (next >= '0' && next <= '9') || next == '"' || next >= 0x80;
}

void SplitLine(std::string_view line, std::vector<std::string>& sentences) {
  size_t start = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if (!SentenceEndsAt(line, i)) continue;
    sentences.emplace_back(Trim(line.substr(start, i + 1 - start)));
    start = i + 2;
  }
  if (std::string_view rest = Trim(line.substr(std::min(start, line.size()))); !rest.empty()) {
    sentences.emplace_back(rest);
  }
}

}  // namespace

std::string FoldText(std::string_view text) {
  std::string folded;
  folded.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      folded.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c));
      continue;
    }
    if (i + 1 < text.size()) {
      const unsigned second = static_cast<unsigned char>(text[i + 1]);
      const unsigned code = ((c & 0x1Fu) << 6) | (second & 0x3Fu);
      std::string_view ascii = c == 0xC3 ? FoldLatin1(code) : std::string_view();
      if (c == 0xC5 && (second == 0x92 || second == 0x93)) ascii = "oe";  // Œ œ
      if (!ascii.empty()) {
        folded.append(ascii);
        ++i;
        continue;
      }
    }
    folded.push_back(static_cast<char>(c));
  }
  return folded;
}

std::vector<std::string> Words(std::string_view text) {
  const std::string folded = FoldText(text);
  std::vector<std::string> words;
  std::string current;
  for (char c : folded) {
    if (IsWordByte(static_cast<unsigned char>(c))) {
      current.push_back(c);
    } else if (!current.empty()) {
      words.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

bool IsStopWord(std::string_view folded_word) {
  return EnglishStopWords().contains(folded_word) || FrenchStopWords().contains(folded_word);
}

std::string Stem(std::string_view folded_word) {
  std::string word(folded_word);
  constexpr size_t kMinStem = 3;
  if (EndsWith(word, "ons") && !EndsWith(word, "ions") && word.size() >= kMinStem + 3) {
    word.resize(word.size() - 3);  // French first person plural: "repondons" -> "repond"
  }
  if (word.size() > kMinStem && (EndsWith(word, "s") || EndsWith(word, "x")) && !EndsWith(word, "ss")) {
    word.pop_back();
  }
  static constexpr std::array<std::string_view, 13> kSuffixes = {"ement", "ation", "ment", "ing", "ure", "ee", "ed",
                                                                 "er",    "ez",    "al",   "ly",  "e",   "y"};
  for (std::string_view suffix : kSuffixes) {
    if (EndsWith(word, suffix) && word.size() - suffix.size() >= kMinStem) {
      word.resize(word.size() - suffix.size());
      if (suffix == "y") word.push_back('i');
      break;
    }
  }
  return word;
}

namespace {

// Length of the placeholder starting at text[0] ('['), or 0 when none starts there.
size_t PlaceholderLength(std::string_view text) {
  size_t i = 1;
  const auto upper = [&](size_t at) { return at < text.size() && text[at] >= 'A' && text[at] <= 'Z'; };
  const auto digits = [&](size_t at) {
    size_t end = at;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    return end;
  };
  if (!upper(i)) return 0;
  while (upper(i) || (i < text.size() && text[i] == '_' && upper(i + 1))) ++i;
  if (i >= text.size() || text[i] != '_') return 0;
  const size_t number_end = digits(i + 1);
  if (number_end == i + 1) return 0;
  i = number_end;
  if (text.substr(i, 5) == " ****") {
    const size_t tail_end = digits(i + 5);
    if (tail_end == i + 5) return 0;
    i = tail_end;
  }
  return i < text.size() && text[i] == ']' ? i + 1 : 0;
}

}  // namespace

std::string RemovePlaceholders(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t length = text[i] == '[' ? PlaceholderLength(text.substr(i)) : 0;
    if (length > 0) {
      out += ' ';
      i += length;
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::vector<std::string> ContentTerms(std::string_view text) {
  std::vector<std::string> terms;
  for (const std::string& word : Words(text)) {
    if (!IsStopWord(word)) terms.push_back(Stem(word));
  }
  return terms;
}

TextLanguage DetectLanguage(std::string_view text) {
  int english = 0;
  int french = 0;
  for (const std::string& word : Words(text)) {
    english += EnglishStopWords().contains(word) ? 1 : 0;
    french += FrenchStopWords().contains(word) ? 1 : 0;
  }
  if (french != english) return french > english ? TextLanguage::kFrench : TextLanguage::kEnglish;
  return HasAccent(text) ? TextLanguage::kFrench : TextLanguage::kEnglish;
}

std::vector<std::string> SplitSentences(std::string_view passage) {
  std::vector<std::string> sentences;
  size_t start = 0;
  while (start <= passage.size()) {
    size_t end = passage.find('\n', start);
    if (end == std::string_view::npos) end = passage.size();
    std::string_view line = Trim(passage.substr(start, end - start));
    if (!line.empty() && line[0] != '#' && line != "---") SplitLine(StripListMarker(line), sentences);
    start = end + 1;
  }
  return sentences;
}

}  // namespace catena::chains
