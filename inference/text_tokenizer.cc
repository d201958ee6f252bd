#include "inference/text_tokenizer.h"

#include <cctype>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/added_tokens.h"
#include "inference/tokenizer_model.h"
#include "inference/unicode_classes.h"

namespace catena::inference {
namespace {

absl::Status ValidateSpec(const VocabularySpec& spec) {
  const int32_t size = static_cast<int32_t>(spec.tokens.size());
  if (size == 0) return absl::InvalidArgumentError("the vocabulary is empty");
  if (!spec.scores.empty() && spec.scores.size() != spec.tokens.size()) {
    return absl::InvalidArgumentError(absl::StrCat("scores has ", spec.scores.size(), " entries for ", size, " tokens"));
  }
  if (!spec.types.empty() && spec.types.size() != spec.tokens.size()) {
    return absl::InvalidArgumentError(absl::StrCat("token types has ", spec.types.size(), " entries for ", size,
                                                   " tokens"));
  }
  const auto check = [&](int32_t id, absl::string_view what) -> absl::Status {
    if (id < -1 || id >= size) {
      return absl::InvalidArgumentError(absl::StrCat(what, " id ", id, " is outside the vocabulary of ", size));
    }
    return absl::OkStatus();
  };
  CATENA_RETURN_IF_ERROR(check(spec.unk_id, "unknown token"));
  CATENA_RETURN_IF_ERROR(check(spec.bos_id, "BOS"));
  CATENA_RETURN_IF_ERROR(check(spec.eos_id, "EOS"));
  CATENA_RETURN_IF_ERROR(check(spec.pad_id, "padding token"));
  for (int32_t id : spec.prefix_ids) CATENA_RETURN_IF_ERROR(check(id, "prefix token"));
  for (int32_t id : spec.suffix_ids) CATENA_RETURN_IF_ERROR(check(id, "suffix token"));
  for (int32_t id : spec.end_of_generation_ids) CATENA_RETURN_IF_ERROR(check(id, "end-of-generation token"));
  for (const AddedToken& token : spec.added_tokens) {
    if (token.id < 0 || token.id >= size) {
      return absl::InvalidArgumentError(absl::StrCat("added token \"", token.content, "\" has id ", token.id,
                                                     " outside the vocabulary of ", size));
    }
  }
  return absl::OkStatus();
}

}  // namespace

TextTokenizer::TextTokenizer(VocabularySpec spec) : spec_(std::move(spec)) {}
TextTokenizer::~TextTokenizer() = default;

absl::StatusOr<std::unique_ptr<TextTokenizer>> TextTokenizer::Create(VocabularySpec spec) {
  CATENA_RETURN_IF_ERROR(ValidateSpec(spec));
  std::unique_ptr<TextTokenizer> tokenizer(new TextTokenizer(std::move(spec)));
  CATENA_RETURN_IF_ERROR(tokenizer->Build());
  return tokenizer;
}

absl::StatusOr<std::unique_ptr<TextTokenizer>> TextTokenizer::FromFile(const std::string& path) {
  const std::filesystem::path file(path);
  absl::StatusOr<VocabularySpec> spec;
  if (file.extension() == ".txt") {
    spec = VocabularyFromBertVocabTxt(path);
  } else if (file.filename() == "encoder.json") {
    spec = VocabularyFromGpt2Files(path, (file.parent_path() / "vocab.bpe").string());
  } else {
    std::ifstream in(path, std::ios::binary);
    char first = 0;
    while (in.get(first) && std::isspace(static_cast<unsigned char>(first))) {
    }
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read tokenizer file ", path));
    spec = first == '[' ? VocabularyFromBertVocabJson(path) : VocabularyFromTokenizerJsonFile(path);
  }
  if (!spec.ok()) return spec.status();
  auto tokenizer = Create(*std::move(spec));
  if (!tokenizer.ok()) return Annotate(tokenizer.status(), path);
  return tokenizer;
}

absl::Status TextTokenizer::Build() {
  token_ids_.reserve(spec_.tokens.size());
  for (size_t id = 0; id < spec_.tokens.size(); ++id) {
    token_ids_.try_emplace(spec_.tokens[id], static_cast<int32_t>(id));
  }
  special_.assign(spec_.tokens.size(), 0);
  for (size_t id = 0; id < spec_.types.size(); ++id) {
    special_[id] = spec_.types[id] == TokenType::kControl || spec_.types[id] == TokenType::kUnknown;
  }
  for (const AddedToken& token : spec_.added_tokens) {
    if (token.special) special_[token.id] = 1;
  }
  all_added_ = std::make_unique<AddedTokenMatcher>(spec_.added_tokens, [](const AddedToken&) { return true; });
  plain_added_ =
      std::make_unique<AddedTokenMatcher>(spec_.added_tokens, [](const AddedToken& t) { return !t.special; });
  absl::StatusOr<std::unique_ptr<TokenizerModel>> model;
  switch (spec_.algorithm) {
    case TokenizerAlgorithm::kSentencePieceBpe:
      model = CreateSentencePieceBpe(spec_, token_ids_);
      break;
    case TokenizerAlgorithm::kByteLevelBpe:
      model = CreateByteLevelBpe(spec_, token_ids_);
      break;
    case TokenizerAlgorithm::kWordPiece:
      model = CreateWordPiece(spec_, token_ids_);
      break;
  }
  if (!model.ok()) return model.status();
  model_ = std::move(model).value();
  return absl::OkStatus();
}

std::vector<int32_t> TextTokenizer::Encode(std::string_view text) const { return Encode(text, EncodeOptions{}); }

std::vector<int32_t> TextTokenizer::Encode(std::string_view text, const EncodeOptions& options) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  if (options.add_special) ids.insert(ids.end(), spec_.prefix_ids.begin(), spec_.prefix_ids.end());
  const AddedTokenMatcher& matcher = options.parse_special ? *all_added_ : *plain_added_;
  if (matcher.empty()) {
    model_->Encode(text, true, ids);
  } else {
    for (const AddedTokenMatcher::Piece& piece : matcher.Split(text)) {
      if (piece.id >= 0) {
        ids.push_back(piece.id);
      } else {
        model_->Encode(piece.text, piece.offset == 0, ids);
      }
    }
  }
  if (options.add_special) ids.insert(ids.end(), spec_.suffix_ids.begin(), spec_.suffix_ids.end());
  return ids;
}

bool TextTokenizer::AppendTokenBytes(int32_t id, bool first, bool skip_special, std::string& bytes) const {
  if (id < 0 || id >= vocab_size()) return false;
  if (special_[id]) {
    if (skip_special) return false;
    bytes += spec_.tokens[id];
    return true;
  }
  if (!spec_.types.empty() && spec_.types[id] == TokenType::kUserDefined) {
    bytes += spec_.tokens[id];
    return true;
  }
  model_->AppendBytes(id, first, bytes);
  return true;
}

std::string TextTokenizer::Decode(std::span<const int32_t> ids) const { return Decode(ids, false); }

std::string TextTokenizer::Decode(std::span<const int32_t> ids, bool skip_special) const {
  std::string bytes;
  bool first = true;
  for (int32_t id : ids) {
    if (AppendTokenBytes(id, first, skip_special, bytes)) first = false;
  }
  return SanitizeUtf8(bytes, utf8_repair());
}

Utf8Repair TextTokenizer::utf8_repair() const {
  return spec_.algorithm == TokenizerAlgorithm::kByteLevelBpe ? Utf8Repair::kMaximalSubpart : Utf8Repair::kPerByte;
}

std::string_view TextTokenizer::TokenText(int32_t id) const {
  return id >= 0 && id < vocab_size() ? std::string_view(spec_.tokens[id]) : std::string_view();
}

int32_t TextTokenizer::TokenId(std::string_view token) const { return LookupId(token_ids_, token); }

bool TextTokenizer::IsEndOfGeneration(int32_t id) const {
  if (id >= 0 && id == spec_.eos_id) return true;
  for (int32_t eog : spec_.end_of_generation_ids) {
    if (eog == id) return true;
  }
  return false;
}

bool TextTokenizer::IsSpecial(int32_t id) const { return id >= 0 && id < vocab_size() && special_[id]; }

StreamingDetokenizer::StreamingDetokenizer(const TextTokenizer& tokenizer, bool skip_special)
    : tokenizer_(tokenizer), skip_special_(skip_special) {}

std::string StreamingDetokenizer::Push(int32_t id) {
  if (tokenizer_.AppendTokenBytes(id, first_, skip_special_, pending_)) first_ = false;
  std::string out;
  size_t pos = 0;
  while (pos < pending_.size()) {
    const size_t length = ValidUtf8Length(pending_, pos);
    if (length > 0) {
      out.append(pending_, pos, length);
      pos += length;
      continue;
    }
    if (TruncatedUtf8(pending_, pos)) break;  // the character's last bytes may still come
    out += "\xEF\xBF\xBD";                  // as Decode: per maximal subpart or per byte
    pos += tokenizer_.utf8_repair() == Utf8Repair::kPerByte ? 1 : IllFormedUtf8Length(pending_, pos);
  }
  pending_.erase(0, pos);
  return out;
}

std::string StreamingDetokenizer::Flush() {
  std::string out = SanitizeUtf8(pending_, tokenizer_.utf8_repair());
  pending_.clear();
  first_ = true;
  return out;
}

}  // namespace catena::inference
