// SentencePiece-style BPE (LLaMA 1/2, Mistral): spaces become U+2581, characters outside the vocabulary fall
// back to <0xNN> byte tokens, and pairs merge by rank (tokenizer.json merges) or by the merged token's score
// (GGUF, where the merge table is derived from the scores).
#include <algorithm>
#include <cstdio>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/tokenizer_model.h"
#include "inference/unicode_classes.h"

namespace catena::inference {
namespace {

constexpr std::string_view kMarker = "\xE2\x96\x81";  // U+2581

class SentencePieceBpe : public TokenizerModel {
 public:
  SentencePieceBpe(const VocabularySpec& spec, const TokenIdMap& ids) : spec_(spec), ids_(ids) {}

  absl::Status Init() {
    byte_ids_.fill(-1);
    byte_of_id_.assign(spec_.tokens.size(), -1);
    for (int byte = 0; byte < 256; ++byte) {
      char name[8];
      std::snprintf(name, sizeof(name), "<0x%02X>", byte);
      byte_ids_[byte] = LookupId(ids_, name);
      if (byte_ids_[byte] >= 0) byte_of_id_[byte_ids_[byte]] = byte;
      if (byte_ids_[byte] < 0 && spec_.byte_fallback) {
        return absl::InvalidArgumentError(absl::StrCat("byte_fallback is set but token ", name, " is missing"));
      }
    }
    merges_stay_in_words_ = true;
    for (const std::string& token : spec_.tokens) {
      if (!MarkerOnlyAtStart(token)) merges_stay_in_words_ = false;
    }
    if (!spec_.merges.empty()) return AddRankedMerges(spec_, ids_, merger_);
    AddScoreMerges();
    return absl::OkStatus();
  }

  void Encode(std::string_view text, bool first_segment, std::vector<int32_t>& ids) const override {
    if (text.empty()) return;
    std::string normalized;
    normalized.reserve(text.size() + 8);
    const bool prefix = spec_.space_prefix == SpacePrefix::kEverySegment ||
                        (spec_.space_prefix == SpacePrefix::kFirstSegment && first_segment);
    const bool starts_with_space = text[0] == ' ' || text.substr(0, 3) == kMarker;
    if (prefix && !(spec_.space_prefix_if_missing && starts_with_space)) normalized += kMarker;
    for (char c : text) {
      if (c == ' ' && spec_.spaces_to_marker) {
        normalized += kMarker;
      } else {
        normalized.push_back(c);
      }
    }
    if (!spec_.split_on_marker && !merges_stay_in_words_) {
      EncodeWord(normalized, ids);
      return;
    }
    // Metaspace split: every marker starts a word. Otherwise a word starts at a marker run after other text,
    // which changes nothing when no token spans such a boundary, and lets the word cache work.
    const std::string_view view = normalized;
    size_t start = 0;
    for (size_t pos = view.find(kMarker, 1); pos != std::string::npos; pos = view.find(kMarker, pos + 3)) {
      if (!spec_.split_on_marker && pos >= 3 && view.substr(pos - 3, 3) == kMarker) continue;
      EncodeWord(view.substr(start, pos - start), ids);
      start = pos;
    }
    EncodeWord(view.substr(start), ids);
  }

  void AppendBytes(int32_t id, bool first, std::string& out) const override {
    if (id < 0 || id >= static_cast<int32_t>(spec_.tokens.size())) return;
    if (byte_of_id_[id] >= 0) {
      out.push_back(static_cast<char>(byte_of_id_[id]));
      return;
    }
    std::string_view token = spec_.tokens[id];
    bool strip = first && spec_.strip_leading_space_on_decode;
    for (size_t pos = 0; pos < token.size();) {
      if (token.substr(pos, 3) == kMarker) {
        if (!strip) out.push_back(' ');
        pos += 3;
      } else {
        out.push_back(token[pos++]);
      }
      strip = false;
    }
  }

 private:
  void EncodeWord(std::string_view word, std::vector<int32_t>& ids) const {
    if (word.empty() || cache_.Lookup(word, ids)) return;
    std::vector<int32_t> symbols;
    symbols.reserve(word.size());
    for (size_t pos = 0; pos < word.size();) {
      size_t length = ValidUtf8Length(word, pos);
      const int32_t id = length == 0 ? -1 : LookupId(ids_, word.substr(pos, length));
      if (length == 0) length = 1;
      if (id >= 0) {
        symbols.push_back(id);
      } else if (spec_.byte_fallback) {
        for (size_t i = 0; i < length; ++i) symbols.push_back(byte_ids_[static_cast<unsigned char>(word[pos + i])]);
      } else if (spec_.unk_id >= 0 && (symbols.empty() || symbols.back() != spec_.unk_id)) {
        symbols.push_back(spec_.unk_id);  // consecutive unknowns fuse; without an unknown token they vanish
      }
      pos += length;
    }
    merger_.Merge(symbols);
    cache_.Insert(word, symbols);
    ids.insert(ids.end(), symbols.begin(), symbols.end());
  }

  // SentencePiece merges the adjacent pair whose concatenation is the vocabulary entry with the highest
  // score: every split of every normal token is a merge ranked by that score (equal scores, equal rank).
  void AddScoreMerges() {
    std::vector<float> distinct;
    for (size_t id = 0; id < spec_.tokens.size(); ++id) distinct.push_back(Score(id));
    std::sort(distinct.begin(), distinct.end(), std::greater<float>());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    for (size_t id = 0; id < spec_.tokens.size(); ++id) {
      if (!spec_.types.empty() && spec_.types[id] != TokenType::kNormal) continue;
      const std::string_view token = spec_.tokens[id];
      const int32_t rank = static_cast<int32_t>(
          std::lower_bound(distinct.begin(), distinct.end(), Score(id), std::greater<float>()) - distinct.begin());
      for (size_t split = 1; split < token.size(); ++split) {
        const int32_t left = LookupId(ids_, token.substr(0, split));
        const int32_t right = left < 0 ? -1 : LookupId(ids_, token.substr(split));
        if (right >= 0) merger_.AddMerge(left, right, static_cast<int32_t>(id), rank);
      }
    }
  }
  // True when markers appear in `token` only as a leading run ("▁▁the", not "a▁b").
  static bool MarkerOnlyAtStart(std::string_view token) {
    size_t pos = 0;
    while (token.substr(pos, 3) == kMarker) pos += 3;
    return token.find(kMarker, pos) == std::string_view::npos;
  }
  float Score(size_t id) const { return id < spec_.scores.size() ? spec_.scores[id] : 0.0f; }

  const VocabularySpec& spec_;
  const TokenIdMap& ids_;
  std::array<int32_t, 256> byte_ids_;
  std::vector<int16_t> byte_of_id_;
  bool merges_stay_in_words_ = false;
  BpeMerger merger_;
  WordCache cache_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<TokenizerModel>> CreateSentencePieceBpe(const VocabularySpec& spec,
                                                                       const TokenIdMap& ids) {
  auto model = std::make_unique<SentencePieceBpe>(spec, ids);
  CATENA_RETURN_IF_ERROR(model->Init());
  return model;
}

absl::Status AddRankedMerges(const VocabularySpec& spec, const TokenIdMap& ids, BpeMerger& merger) {
  for (size_t rank = 0; rank < spec.merges.size(); ++rank) {
    const auto& [left, right] = spec.merges[rank];
    const int32_t left_id = LookupId(ids, left);
    const int32_t right_id = LookupId(ids, right);
    const int32_t merged_id = LookupId(ids, absl::StrCat(left, right));
    if (left_id < 0 || right_id < 0 || merged_id < 0) {
      return absl::InvalidArgumentError(absl::StrCat("merge ", rank, " (\"", left, " ", right,
                                                     "\") names a token missing from the vocabulary"));
    }
    merger.AddMerge(left_id, right_id, merged_id, static_cast<int32_t>(rank));
  }
  return absl::OkStatus();
}

}  // namespace catena::inference
