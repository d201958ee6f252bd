#include "inference/gguf_tokenizer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace catena::inference {
namespace {

constexpr absl::string_view kPrefix = "tokenizer.ggml.";

std::string Key(std::string_view name) { return absl::StrCat(kPrefix, absl::string_view(name.data(), name.size())); }

// The id stored under `name`, -1 when absent.
absl::StatusOr<int32_t> OptionalId(const GgufMetadata& metadata, std::string_view name, size_t vocab_size) {
  const std::string key = Key(name);
  if (metadata.Find(key) == nullptr) return -1;
  CATENA_ASSIGN_OR_RETURN(uint32_t id, metadata.GetUint32(key));
  if (id >= vocab_size) {
    return absl::InvalidArgumentError(absl::StrCat(key, " = ", id, " is outside the vocabulary of ", vocab_size));
  }
  return static_cast<int32_t>(id);
}

absl::StatusOr<bool> OptionalBool(const GgufMetadata& metadata, std::string_view name, bool fallback) {
  const std::string key = Key(name);
  if (metadata.Find(key) == nullptr) return fallback;
  return metadata.GetBool(key);
}

absl::StatusOr<PreTokenizerKind> PreTokenizerFor(const GgufMetadata& metadata) {
  const std::string key = Key("pre");
  if (metadata.Find(key) == nullptr) return PreTokenizerKind::kGpt2;
  CATENA_ASSIGN_OR_RETURN(std::string pre, metadata.GetString(key));
  if (pre == "default" || pre == "gpt-2") return PreTokenizerKind::kGpt2;
  if (pre == "llama-bpe" || pre == "llama3" || pre == "llama-v3" || pre == "smaug-bpe") {
    return PreTokenizerKind::kLlama3;
  }
  if (pre == "qwen2") return PreTokenizerKind::kQwen2;
  return absl::UnimplementedError(absl::StrCat(key, " = \"", pre, "\" is not a supported pre-tokenizer"));
}

absl::Status ReadArrays(const GgufMetadata& metadata, VocabularySpec& spec) {
  CATENA_ASSIGN_OR_RETURN(spec.tokens, metadata.GetStringArray(Key("tokens")));
  const size_t size = spec.tokens.size();
  if (metadata.Find(Key("scores")) != nullptr) {
    CATENA_ASSIGN_OR_RETURN(spec.scores, metadata.GetFloat32Array(Key("scores")));
    if (spec.scores.size() != size) {
      return absl::InvalidArgumentError(absl::StrCat(Key("scores"), " has ", spec.scores.size(), " entries for ",
                                                     size, " tokens"));
    }
  }
  if (metadata.Find(Key("token_type")) != nullptr) {
    CATENA_ASSIGN_OR_RETURN(std::vector<int32_t> types, metadata.GetInt32Array(Key("token_type")));
    if (types.size() != size) {
      return absl::InvalidArgumentError(absl::StrCat(Key("token_type"), " has ", types.size(), " entries for ",
                                                     size, " tokens"));
    }
    for (size_t id = 0; id < size; ++id) {
      if (types[id] < 1 || types[id] > 6) {
        return absl::InvalidArgumentError(absl::StrCat(Key("token_type"), "[", id, "] = ", types[id],
                                                       " is not a token type (1-6)"));
      }
      spec.types.push_back(static_cast<TokenType>(types[id]));
    }
  }
  if (metadata.Find(Key("merges")) != nullptr) {
    CATENA_ASSIGN_OR_RETURN(std::vector<std::string> merges, metadata.GetStringArray(Key("merges")));
    for (size_t rank = 0; rank < merges.size(); ++rank) {
      const size_t space = merges[rank].find(' ', 1);
      if (space == std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat(Key("merges"), "[", rank, "] = \"", merges[rank],
                                                       "\" has no space"));
      }
      spec.merges.emplace_back(merges[rank].substr(0, space), merges[rank].substr(space + 1));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadSpecialIds(const GgufMetadata& metadata, VocabularySpec& spec, bool default_add_bos) {
  const size_t size = spec.tokens.size();
  const std::pair<const char*, int32_t*> ids[] = {{"bos_token_id", &spec.bos_id},
                                                   {"eos_token_id", &spec.eos_id},
                                                   {"unknown_token_id", &spec.unk_id},
                                                   {"padding_token_id", &spec.pad_id}};
  for (const auto& [name, field] : ids) {
    CATENA_ASSIGN_OR_RETURN(int32_t id, OptionalId(metadata, name, size));
    if (id >= 0) *field = id;  // absent keys keep the model's defaults (BERT's [UNK], [PAD])
  }
  for (const char* name : {"eot_token_id", "eom_token_id"}) {
    CATENA_ASSIGN_OR_RETURN(int32_t id, OptionalId(metadata, name, size));
    if (id >= 0) spec.end_of_generation_ids.push_back(id);
  }
  AddEndOfTurnTokens(spec);  // Llama 3 GGUFs often name only <|end_of_text|>, and their chats end with <|eot_id|>
  CATENA_ASSIGN_OR_RETURN(bool add_bos, OptionalBool(metadata, "add_bos_token", default_add_bos));
  CATENA_ASSIGN_OR_RETURN(bool add_eos, OptionalBool(metadata, "add_eos_token", false));
  if (add_bos && spec.bos_id >= 0) spec.prefix_ids.push_back(spec.bos_id);
  if (add_eos && spec.eos_id >= 0) spec.suffix_ids.push_back(spec.eos_id);
  for (size_t id = 0; id < spec.types.size(); ++id) {
    const TokenType type = spec.types[id];
    if (type == TokenType::kControl || type == TokenType::kUserDefined) {
      spec.added_tokens.push_back({spec.tokens[id], static_cast<int32_t>(id), type == TokenType::kControl});
    }
  }
  return absl::OkStatus();
}

// llama.cpp's add_bos when the file has no tokenizer.ggml.add_bos_token: SentencePiece vocabularies add BOS, and
// byte-level ones do under Llama 3's pre-tokenizer names (Llama 3 GGUFs rarely carry the key).
absl::StatusOr<bool> DefaultAddBos(const std::string& model, const GgufMetadata& metadata) {
  if (model != "gpt2") return true;
  if (metadata.Find(Key("pre")) == nullptr) return false;
  CATENA_ASSIGN_OR_RETURN(std::string pre, metadata.GetString(Key("pre")));
  return pre == "llama-bpe" || pre == "llama3" || pre == "llama-v3";
}

// Algorithm, normalization and pre-tokenizer settings for tokenizer.ggml.model = `model`.
absl::Status ConfigureModel(const std::string& model, const GgufMetadata& metadata, VocabularySpec& spec) {
  spec.space_prefix = SpacePrefix::kNever;
  spec.spaces_to_marker = false;
  spec.strip_leading_space_on_decode = false;
  if (model == "llama") {
    spec.algorithm = TokenizerAlgorithm::kSentencePieceBpe;
    spec.byte_fallback = true;
    spec.spaces_to_marker = true;
    CATENA_ASSIGN_OR_RETURN(bool add_space_prefix, OptionalBool(metadata, "add_space_prefix", true));
    spec.space_prefix = add_space_prefix ? SpacePrefix::kEverySegment : SpacePrefix::kNever;
    spec.strip_leading_space_on_decode = add_space_prefix;
    spec.merges.clear();  // SentencePiece merges by score
    if (spec.types.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(Key("token_type"), " is required for a llama vocabulary"));
    }
  } else if (model == "gpt2") {
    spec.algorithm = TokenizerAlgorithm::kByteLevelBpe;
    spec.byte_fallback = false;
    CATENA_ASSIGN_OR_RETURN(spec.pre_tokenizer, PreTokenizerFor(metadata));
    spec.ignore_merges = spec.pre_tokenizer == PreTokenizerKind::kLlama3;
    if (spec.merges.empty()) return absl::InvalidArgumentError(absl::StrCat(Key("merges"), " is missing or empty"));
  } else if (model == "bert") {
    CATENA_ASSIGN_OR_RETURN(VocabularySpec bert, BertUncasedSpec(BertTokensFromMarkerLayout(spec.tokens)));
    bert.types = std::move(spec.types);
    bert.added_tokens.clear();
    spec = std::move(bert);
  } else {
    return absl::UnimplementedError(
        absl::StrCat(Key("model"), " = \"", model, "\" is not supported (llama, gpt2, bert)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<VocabularySpec> VocabularyFromGguf(const GgufMetadata& metadata) {
  CATENA_ASSIGN_OR_RETURN(std::string model, metadata.GetString(Key("model")));
  VocabularySpec spec;
  CATENA_RETURN_IF_ERROR(ReadArrays(metadata, spec));
  CATENA_RETURN_IF_ERROR(ConfigureModel(model, metadata, spec));
  const std::vector<int32_t> bert_prefix = std::exchange(spec.prefix_ids, {});
  const std::vector<int32_t> bert_suffix = std::exchange(spec.suffix_ids, {});
  CATENA_ASSIGN_OR_RETURN(bool default_add_bos, DefaultAddBos(model, metadata));
  CATENA_RETURN_IF_ERROR(ReadSpecialIds(metadata, spec, default_add_bos));
  if (model == "bert") {
    spec.prefix_ids = bert_prefix;  // [CLS] text [SEP] whatever the add_* flags say
    spec.suffix_ids = bert_suffix;
  }
  return spec;
}

}  // namespace catena::inference
