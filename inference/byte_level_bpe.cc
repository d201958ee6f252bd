// Byte-level BPE (GPT-2, Llama-3, Qwen2): the text is split by the model's regex, each word's bytes start as
// the 256 byte tokens (stored in GPT-2's printable byte alphabet) and pairs merge by rank.
#include <array>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/pre_tokenizer.h"
#include "inference/tokenizer_model.h"
#include "inference/unicode_classes.h"

namespace catena::inference {
namespace {

// GPT-2's reversible byte -> code point table: printable Latin-1 bytes map to themselves, the others to
// U+0100 upwards in byte order.
std::array<char32_t, 256> ByteAlphabet() {
  std::array<char32_t, 256> table{};
  char32_t next = 256;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    table[b] = printable ? static_cast<char32_t>(b) : next++;
  }
  return table;
}

class ByteLevelBpe : public TokenizerModel {
 public:
  ByteLevelBpe(const VocabularySpec& spec, const TokenIdMap& ids) : spec_(spec), ids_(ids) {}

  absl::Status Init() {
    const std::array<char32_t, 256> alphabet = ByteAlphabet();
    absl::flat_hash_map<char32_t, uint8_t> byte_of_char;
    for (int b = 0; b < 256; ++b) {
      byte_of_char[alphabet[b]] = static_cast<uint8_t>(b);
      byte_ids_[b] = LookupId(ids_, CodePointsToUtf8(std::u32string(1, alphabet[b])));
    }
    token_bytes_.resize(spec_.tokens.size());
    for (size_t id = 0; id < spec_.tokens.size(); ++id) {
      const std::u32string chars = Utf8ToCodePoints(spec_.tokens[id]);
      std::string bytes;
      bool mapped = true;
      for (char32_t c : chars) {
        auto it = byte_of_char.find(c);
        if (it == byte_of_char.end()) {
          mapped = false;
          break;
        }
        bytes.push_back(static_cast<char>(it->second));
      }
      token_bytes_[id] = mapped ? bytes : spec_.tokens[id];
      if (mapped && !bytes.empty()) raw_ids_.try_emplace(bytes, static_cast<int32_t>(id));
    }
    return AddRankedMerges(spec_, ids_, merger_);
  }

  void Encode(std::string_view text, bool first_segment, std::vector<int32_t>& ids) const override {
    if (text.empty()) return;
    std::string prefixed;
    if (spec_.nfc) {
      prefixed = NfcCompose(text);
      text = prefixed;
    }
    if (spec_.byte_level_add_prefix_space && text[0] != ' ') {
      std::string with_space = absl::StrCat(" ", absl::string_view(text.data(), text.size()));
      prefixed = std::move(with_space);
      text = prefixed;
    }
    std::vector<std::string_view> words;
    PreTokenize(spec_.pre_tokenizer, text, words);
    for (std::string_view word : words) EncodeWord(word, ids);
  }

  void AppendBytes(int32_t id, bool first, std::string& out) const override {
    if (id >= 0 && id < static_cast<int32_t>(token_bytes_.size())) out += token_bytes_[id];
  }

 private:
  void EncodeWord(std::string_view word, std::vector<int32_t>& ids) const {
    if (spec_.ignore_merges) {
      auto it = raw_ids_.find(absl::string_view(word.data(), word.size()));
      if (it != raw_ids_.end()) {
        ids.push_back(it->second);
        return;
      }
    }
    if (cache_.Lookup(word, ids)) return;
    std::vector<int32_t> symbols;
    symbols.reserve(word.size());
    for (char c : word) {
      const int32_t id = byte_ids_[static_cast<unsigned char>(c)];
      if (id >= 0) {
        symbols.push_back(id);
      } else if (spec_.unk_id >= 0) {
        symbols.push_back(spec_.unk_id);
      }
    }
    merger_.Merge(symbols);
    cache_.Insert(word, symbols);
    ids.insert(ids.end(), symbols.begin(), symbols.end());
  }

  const VocabularySpec& spec_;
  const TokenIdMap& ids_;
  std::array<int32_t, 256> byte_ids_{};
  std::vector<std::string> token_bytes_;
  TokenIdMap raw_ids_;
  BpeMerger merger_;
  WordCache cache_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<TokenizerModel>> CreateByteLevelBpe(const VocabularySpec& spec,
                                                                   const TokenIdMap& ids) {
  auto model = std::make_unique<ByteLevelBpe>(spec, ids);
  CATENA_RETURN_IF_ERROR(model->Init());
  return model;
}

}  // namespace catena::inference
