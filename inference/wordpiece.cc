// WordPiece (BERT): BertNormalizer (clean text, space around CJK ideographs, NFD accent stripping, per-char
// lowercasing), BertPreTokenizer (whitespace and punctuation), then greedy longest-match-first pieces with
// the "##" continuation prefix; a word with an unmatched piece or over the length limit becomes [UNK].
#include "inference/pre_tokenizer.h"
#include "inference/tokenizer_model.h"
#include "inference/unicode_classes.h"

namespace catena::inference {
namespace {

class WordPiece : public TokenizerModel {
 public:
  WordPiece(const VocabularySpec& spec, const TokenIdMap& ids) : spec_(spec), ids_(ids) {}

  void Encode(std::string_view text, bool first_segment, std::vector<int32_t>& ids) const override {
    const std::string normalized = Normalize(text);
    std::vector<std::string_view> words;
    PreTokenize(PreTokenizerKind::kBert, normalized, words);
    for (std::string_view word : words) EncodeWord(word, ids);
  }

  void AppendBytes(int32_t id, bool first, std::string& out) const override {
    if (id < 0 || id >= static_cast<int32_t>(spec_.tokens.size())) return;
    std::string_view token = spec_.tokens[id];
    const std::string_view prefix = spec_.continuing_subword_prefix;
    std::string piece;
    if (!prefix.empty() && token.substr(0, prefix.size()) == prefix) {
      token.remove_prefix(prefix.size());
    } else if (!first) {
      piece.push_back(' ');
    }
    piece.append(token);
    out += CleanUp(std::move(piece));
  }

 private:
  // Hugging Face's WordPiece decoder cleanup, applied to each token with its joining space: no space before
  // . ? ! , and English contractions.
  static std::string CleanUp(std::string piece) {
    static constexpr std::pair<std::string_view, std::string_view> kRules[] = {
        {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"}, {" 'm", "'m"},
        {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
    for (const auto& [from, to] : kRules) {
      for (size_t pos = piece.find(from); pos != std::string::npos; pos = piece.find(from, pos + to.size())) {
        piece.replace(pos, from.size(), to);
      }
    }
    return piece;
  }

  std::string Normalize(std::string_view text) const {
    std::u32string chars;
    for (char32_t c : Utf8ToCodePoints(text)) {
      if (spec_.clean_text) {
        if (c == 0 || c == 0xFFFD || IsBertControl(c)) continue;
        if (IsUnicodeWhitespace(c)) c = ' ';
      }
      if (spec_.handle_chinese_chars && IsCjkIdeograph(c)) {
        chars += U' ';
        chars += c;
        chars += U' ';
      } else {
        chars += c;
      }
    }
    if (spec_.strip_accents) {
      std::u32string stripped;
      for (char32_t c : NfdDecompose(chars)) {
        if (!IsNonspacingMark(c)) stripped += c;
      }
      chars = std::move(stripped);
    }
    if (spec_.lowercase) {
      std::u32string lowered;
      lowered.reserve(chars.size());
      for (char32_t c : chars) AppendLowercase(c, lowered);
      chars = std::move(lowered);
    }
    return CodePointsToUtf8(chars);
  }

  void EncodeWord(std::string_view word, std::vector<int32_t>& ids) const {
    std::vector<size_t> boundaries;  // byte offsets of the characters, plus the end
    for (size_t pos = 0; pos < word.size();) {
      boundaries.push_back(pos);
      const size_t length = ValidUtf8Length(word, pos);
      pos += length == 0 ? 1 : length;
    }
    boundaries.push_back(word.size());
    if (boundaries.size() - 1 > static_cast<size_t>(spec_.max_input_chars_per_word)) {
      ids.push_back(spec_.unk_id);
      return;
    }
    std::vector<int32_t> pieces;
    std::string candidate;
    for (size_t start = 0; start + 1 < boundaries.size();) {
      int32_t found = -1;
      size_t end = boundaries.size() - 1;
      for (; end > start; --end) {
        candidate.assign(start > 0 ? spec_.continuing_subword_prefix : "");
        candidate.append(word.substr(boundaries[start], boundaries[end] - boundaries[start]));
        found = LookupId(ids_, candidate);
        if (found >= 0) break;
      }
      if (found < 0) {
        ids.push_back(spec_.unk_id);
        return;
      }
      pieces.push_back(found);
      start = end;
    }
    ids.insert(ids.end(), pieces.begin(), pieces.end());
  }

  const VocabularySpec& spec_;
  const TokenIdMap& ids_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<TokenizerModel>> CreateWordPiece(const VocabularySpec& spec, const TokenIdMap& ids) {
  if (spec.unk_id < 0) return absl::InvalidArgumentError("WordPiece needs an unknown token ([UNK])");
  return std::make_unique<WordPiece>(spec, ids);
}

}  // namespace catena::inference
