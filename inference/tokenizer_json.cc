// Builds a VocabularySpec from a Hugging Face tokenizer.json: model (BPE with/without byte_fallback,
// WordPiece), normalizer (Prepend/Replace, BertNormalizer, Sequence), pre_tokenizer (Metaspace, ByteLevel,
// Split with the GPT-2/Llama-3/Qwen2 regexes, BertPreTokenizer, Sequence), added_tokens and the
// post_processor's BOS/EOS (TemplateProcessing, BertProcessing/RobertaProcessing).
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/vocabulary_spec.h"

namespace catena::inference {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kMarker = "\xE2\x96\x81";
constexpr std::string_view kGpt2Regex =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr std::string_view kLlama3Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kQwen2Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

struct Components {
  bool byte_level = false;
  bool metaspace = false;
  bool prepend_marker = false;
};

std::string TypeOf(const Json& node) { return node.is_object() ? node.value("type", std::string()) : ""; }

absl::Status Unsupported(absl::string_view where, const std::string& type) {
  return absl::UnimplementedError(absl::StrCat("tokenizer.json ", where, " of type \"", type, "\" is not supported"));
}

absl::Status ReadNormalizer(const Json& node, VocabularySpec& spec, Components& seen) {
  if (node.is_null()) return absl::OkStatus();
  const std::string type = TypeOf(node);
  if (type == "Sequence") {
    for (const Json& child : node.at("normalizers")) CATENA_RETURN_IF_ERROR(ReadNormalizer(child, spec, seen));
  } else if (type == "Prepend" && node.at("prepend").get<std::string>() == kMarker) {
    seen.prepend_marker = true;
  } else if (type == "Replace" && node.at("pattern").value("String", std::string()) == " " &&
             node.at("content").get<std::string>() == kMarker) {
    spec.spaces_to_marker = true;
  } else if (type == "BertNormalizer") {
    spec.clean_text = node.value("clean_text", true);
    spec.handle_chinese_chars = node.value("handle_chinese_chars", true);
    spec.lowercase = node.value("lowercase", true);
    const Json& strip = node.contains("strip_accents") ? node.at("strip_accents") : Json();
    spec.strip_accents = strip.is_null() ? spec.lowercase : strip.get<bool>();
  } else if (type == "NFC") {
    spec.nfc = true;
  } else {
    return Unsupported("normalizer", type);
  }
  return absl::OkStatus();
}

absl::Status ReadSplitRegex(const Json& node, VocabularySpec& spec) {
  const std::string pattern = node.at("pattern").value("Regex", std::string());
  if (pattern == kGpt2Regex) {
    spec.pre_tokenizer = PreTokenizerKind::kGpt2;
  } else if (pattern == kLlama3Regex) {
    spec.pre_tokenizer = PreTokenizerKind::kLlama3;
  } else if (pattern == kQwen2Regex) {
    spec.pre_tokenizer = PreTokenizerKind::kQwen2;
  } else {
    return absl::UnimplementedError(absl::StrCat("tokenizer.json pre_tokenizer Split regex is not one of the known "
                                                 "GPT-2/Llama-3/Qwen2 patterns: ", pattern));
  }
  return absl::OkStatus();
}

absl::Status ReadPreTokenizer(const Json& node, VocabularySpec& spec, Components& seen) {
  if (node.is_null()) return absl::OkStatus();
  const std::string type = TypeOf(node);
  if (type == "Sequence") {
    for (const Json& child : node.at("pretokenizers")) CATENA_RETURN_IF_ERROR(ReadPreTokenizer(child, spec, seen));
  } else if (type == "ByteLevel") {
    seen.byte_level = true;
    spec.byte_level_add_prefix_space = node.value("add_prefix_space", false);
    if (node.value("use_regex", true)) spec.pre_tokenizer = PreTokenizerKind::kGpt2;
  } else if (type == "Split") {
    CATENA_RETURN_IF_ERROR(ReadSplitRegex(node, spec));
  } else if (type == "Metaspace") {
    seen.metaspace = true;
    spec.spaces_to_marker = true;
    spec.space_prefix_if_missing = true;
    const std::string scheme = node.value("prepend_scheme", node.value("add_prefix_space", true) ? "always" : "never");
    spec.space_prefix = scheme == "never" ? SpacePrefix::kNever
                        : scheme == "first" ? SpacePrefix::kFirstSegment : SpacePrefix::kEverySegment;
    spec.split_on_marker = node.value("split", true);
  } else if (type == "BertPreTokenizer") {
    spec.pre_tokenizer = PreTokenizerKind::kBert;
  } else {
    return Unsupported("pre_tokenizer", type);
  }
  return absl::OkStatus();
}

absl::Status ReadPostProcessor(const Json& node, VocabularySpec& spec) {
  const std::string type = TypeOf(node);
  if (type == "TemplateProcessing") {
    const Json& specials = node.at("special_tokens");
    bool after = false;
    for (const Json& item : node.at("single")) {
      if (item.contains("Sequence")) {
        after = true;
        continue;
      }
      const std::string name = item.at("SpecialToken").at("id").get<std::string>();
      for (const Json& id : specials.at(name).at("ids")) (after ? spec.suffix_ids : spec.prefix_ids).push_back(id);
    }
  } else if (type == "BertProcessing" || type == "RobertaProcessing") {
    spec.prefix_ids.push_back(node.at("cls").at(1).get<int32_t>());
    spec.suffix_ids.push_back(node.at("sep").at(1).get<int32_t>());
  } else if (type == "Sequence") {
    for (const Json& child : node.at("processors")) CATENA_RETURN_IF_ERROR(ReadPostProcessor(child, spec));
  } else if (!node.is_null() && type != "ByteLevel") {
    return Unsupported("post_processor", type);
  }
  return absl::OkStatus();
}

absl::Status ReadModel(const Json& model, VocabularySpec& spec) {
  const std::string type = TypeOf(model);
  if (type != "BPE" && type != "WordPiece") return Unsupported("model", type);
  for (const auto& [token, id] : model.at("vocab").items()) {
    const int64_t value = id.get<int64_t>();
    if (value < 0 || value > (1 << 24)) {
      return absl::InvalidArgumentError(absl::StrCat("tokenizer.json model.vocab[\"", token, "\"] = ", value));
    }
    if (spec.tokens.size() <= static_cast<size_t>(value)) spec.tokens.resize(value + 1);
    spec.tokens[value] = token;
  }
  if (type == "WordPiece") {
    spec.algorithm = TokenizerAlgorithm::kWordPiece;
    spec.continuing_subword_prefix = model.value("continuing_subword_prefix", "##");
    spec.max_input_chars_per_word = model.value("max_input_chars_per_word", 100);
  } else {
    spec.byte_fallback = model.value("byte_fallback", false);
    spec.ignore_merges = model.value("ignore_merges", false);
    for (const Json& merge : model.at("merges")) {
      if (merge.is_array()) {
        spec.merges.emplace_back(merge.at(0).get<std::string>(), merge.at(1).get<std::string>());
        continue;
      }
      const std::string text = merge.get<std::string>();
      const size_t space = text.find(' ', 1);
      if (space == std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat("tokenizer.json merge ", spec.merges.size(), " \"", text,
                                                       "\" has no space"));
      }
      spec.merges.emplace_back(text.substr(0, space), text.substr(space + 1));
    }
  }
  const Json& unk = model.contains("unk_token") ? model.at("unk_token") : Json();
  if (unk.is_string()) spec.unk_id = TokenIdByText(spec.tokens, unk.get<std::string>());
  return absl::OkStatus();
}

absl::Status ReadAddedTokens(const Json& added, VocabularySpec& spec) {
  if (!added.is_array()) return absl::OkStatus();
  for (const Json& item : added) {
    AddedToken token;
    token.id = item.at("id").get<int32_t>();
    token.content = item.at("content").get<std::string>();
    token.special = item.value("special", false);
    token.lstrip = item.value("lstrip", false);
    token.rstrip = item.value("rstrip", false);
    if (token.id < 0 || token.id > (1 << 24)) {
      return absl::InvalidArgumentError(absl::StrCat("tokenizer.json added_tokens: \"", token.content, "\" has id ",
                                                     token.id));
    }
    if (spec.tokens.size() <= static_cast<size_t>(token.id)) spec.tokens.resize(token.id + 1);
    spec.tokens[token.id] = token.content;
    spec.added_tokens.push_back(std::move(token));
  }
  return absl::OkStatus();
}

// BOS/EOS and end-of-generation ids by the usual token names.
void AssignSpecialIds(VocabularySpec& spec) {
  if (!spec.prefix_ids.empty() && spec.algorithm != TokenizerAlgorithm::kWordPiece) spec.bos_id = spec.prefix_ids[0];
  for (const char* name : {"<s>", "<|begin_of_text|>", "<bos>"}) {
    if (spec.bos_id < 0) spec.bos_id = TokenIdByText(spec.tokens, name);
  }
  for (const char* name : {"</s>", "<|end_of_text|>", "<|endoftext|>", "<eos>"}) {
    if (spec.eos_id < 0) spec.eos_id = TokenIdByText(spec.tokens, name);
  }
  AddEndOfTurnTokens(spec);
  if (spec.algorithm == TokenizerAlgorithm::kWordPiece) {
    spec.pad_id = TokenIdByText(spec.tokens, "[PAD]");
  }
}

absl::StatusOr<VocabularySpec> Build(const Json& root) {
  VocabularySpec spec;
  spec.space_prefix = SpacePrefix::kNever;
  spec.spaces_to_marker = false;
  spec.strip_leading_space_on_decode = false;
  Components seen;
  CATENA_RETURN_IF_ERROR(ReadModel(root.at("model"), spec));
  CATENA_RETURN_IF_ERROR(ReadNormalizer(root.value("normalizer", Json()), spec, seen));
  CATENA_RETURN_IF_ERROR(ReadPreTokenizer(root.value("pre_tokenizer", Json()), spec, seen));
  CATENA_RETURN_IF_ERROR(ReadPostProcessor(root.value("post_processor", Json()), spec));
  CATENA_RETURN_IF_ERROR(ReadAddedTokens(root.value("added_tokens", Json()), spec));
  if (spec.algorithm != TokenizerAlgorithm::kWordPiece) {
    spec.algorithm = seen.byte_level ? TokenizerAlgorithm::kByteLevelBpe : TokenizerAlgorithm::kSentencePieceBpe;
  }
  if (seen.prepend_marker) spec.space_prefix = SpacePrefix::kEverySegment;
  if (spec.algorithm == TokenizerAlgorithm::kSentencePieceBpe) {
    spec.strip_leading_space_on_decode = spec.space_prefix != SpacePrefix::kNever;
  }
  AssignSpecialIds(spec);
  return spec;
}

}  // namespace

absl::StatusOr<VocabularySpec> VocabularyFromTokenizerJson(std::string_view json_text) {
  try {
    const Json root = Json::parse(json_text);
    if (!root.is_object() || !root.contains("model")) {
      return absl::InvalidArgumentError("tokenizer.json has no \"model\" object");
    }
    return Build(root);
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("tokenizer.json: ", e.what()));
  }
}

absl::StatusOr<VocabularySpec> VocabularyFromTokenizerJsonFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open tokenizer file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  absl::StatusOr<VocabularySpec> spec = VocabularyFromTokenizerJson(buffer.str());
  if (!spec.ok()) return Annotate(spec.status(), path);
  return spec;
}

}  // namespace catena::inference
