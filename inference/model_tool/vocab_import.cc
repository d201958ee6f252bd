#include "inference/model_tool/vocab_import.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace catena::inference::model_tool {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr uint64_t kMaxVocabulary = 1u << 22;  // 4M ids: far above any real vocabulary

absl::Status Bad(const fs::path& path, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path.string(), ": ", std::string(what)));
}

absl::StatusOr<std::string> ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read vocabulary file ", path.string()));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// A token name in tokenizer_config.json is either a string or {"content": "..."}.
std::optional<std::string> TokenName(const json& config, const char* key) {
  if (!config.contains(key)) return std::nullopt;
  const json& value = config[key];
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value["content"].is_string()) {
    return value["content"].get<std::string>();
  }
  return std::nullopt;
}

// Tokens by id from a token -> id object; holes become "[PAD<id>]" (unused), like llama.cpp's converter.
absl::StatusOr<std::vector<std::string>> TokensById(const fs::path& path, const json& vocab,
                                                    std::vector<bool>& present) {
  std::vector<std::string> tokens;
  for (const auto& [token, id] : vocab.items()) {
    if (!id.is_number_unsigned() || id.get<uint64_t>() >= kMaxVocabulary) {
      return Bad(path, absl::StrCat("token '", token, "' has an invalid id ", id.dump()));
    }
    const size_t index = id.get<size_t>();
    if (index >= tokens.size()) tokens.resize(index + 1), present.resize(index + 1, false);
    if (present[index]) return Bad(path, absl::StrCat("id ", index, " is used by two tokens"));
    tokens[index] = token;
    present[index] = true;
  }
  return tokens;
}

void FillHoles(std::vector<std::string>& tokens, std::vector<int32_t>& types, const std::vector<bool>& present) {
  for (size_t id = 0; id < tokens.size(); ++id) {
    if (!present[id]) tokens[id] = absl::StrCat("[PAD", id, "]"), types[id] = kTokenUnused;
  }
}

// ---- BERT (WordPiece) ----

// llama.cpp's "phantom space" spelling: control tokens stay, "##x" continues a word as "x", others gain U+2581.
std::string Phantom(const std::string& token) {
  if (token.rfind("##", 0) == 0) return token.substr(2);
  return "\xe2\x96\x81" + token;
}

absl::StatusOr<ImportedVocab> BertVocab(const fs::path& path, std::vector<std::string> tokens) {
  if (tokens.empty()) return Bad(path, "the vocabulary is empty");
  ImportedVocab vocab;
  vocab.model = "bert";
  vocab.is_bert = true;
  std::map<std::string, uint32_t> ids;
  for (size_t id = 0; id < tokens.size(); ++id) ids.emplace(tokens[id], static_cast<uint32_t>(id));
  vocab.token_types.assign(tokens.size(), kTokenNormal);
  const std::pair<const char*, std::vector<const char*>> specials[] = {
      {"[UNK]", {"unknown"}}, {"[CLS]", {"cls", "bos"}}, {"[SEP]", {"seperator", "eos"}},
      {"[PAD]", {"padding"}}, {"[MASK]", {"mask"}}};
  for (const auto& [name, infixes] : specials) {
    const auto it = ids.find(name);
    if (it == ids.end()) {
      if (std::string(name) == "[PAD]" || std::string(name) == "[MASK]") continue;
      return Bad(path, absl::StrCat("BERT vocabulary has no ", name, " token"));
    }
    vocab.token_types[it->second] = kTokenControl;
    for (const char* infix : infixes) vocab.special_ids[infix] = it->second;
  }
  for (size_t id = 0; id < tokens.size(); ++id) {
    vocab.tokens.push_back(vocab.token_types[id] == kTokenControl ? tokens[id] : Phantom(tokens[id]));
  }
  vocab.add_bos = true;  // [CLS] text [SEP]
  vocab.add_eos = true;
  return vocab;
}

absl::StatusOr<ImportedVocab> BertFromLines(const fs::path& path, const std::string& text) {
  std::vector<std::string> tokens;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    tokens.push_back(line);
  }
  while (!tokens.empty() && tokens.back().empty()) tokens.pop_back();
  return BertVocab(path, std::move(tokens));
}

absl::StatusOr<ImportedVocab> BertFromJson(const fs::path& path, const json& doc) {
  if (doc.is_array()) {
    std::vector<std::string> tokens;
    for (const json& token : doc) {
      if (!token.is_string()) return Bad(path, absl::StrCat("token ", tokens.size(), " is not a string"));
      tokens.push_back(token.get<std::string>());
    }
    return BertVocab(path, std::move(tokens));
  }
  std::vector<bool> present;
  CATENA_ASSIGN_OR_RETURN(std::vector<std::string> tokens, TokensById(path, doc, present));
  for (size_t id = 0; id < tokens.size(); ++id) {
    if (!present[id]) return Bad(path, absl::StrCat("no token has id ", id));
  }
  return BertVocab(path, std::move(tokens));
}

// ---- Hugging Face BPE ----

// add_bos / add_eos from a TemplateProcessing post-processor (possibly inside a Sequence).
void TemplateFlags(const json& processor, ImportedVocab& vocab) {
  if (!processor.is_object()) return;
  if (processor.value("type", "") == "Sequence" && processor.contains("processors")) {
    for (const json& inner : processor["processors"]) TemplateFlags(inner, vocab);
    return;
  }
  if (processor.value("type", "") != "TemplateProcessing" || !processor.contains("single")) return;
  const json& single = processor["single"];
  if (!single.is_array() || single.empty()) return;
  vocab.add_bos = single.front().is_object() && single.front().contains("SpecialToken");
  vocab.add_eos = single.back().is_object() && single.back().contains("SpecialToken");
}

// Llama 3's pre-tokenizer regex splits digits in runs of 1..3; Qwen2's does single digits.
std::string PreTokenizerName(const json& doc) {
  const std::string text = doc.contains("pre_tokenizer") ? doc["pre_tokenizer"].dump() : "";
  if (text.find("(?i:'s|'t|'re|'ve|'m|'ll|'d)") != std::string::npos) {
    return text.find("\\\\p{N}{1,3}") != std::string::npos ? "llama-bpe" : "qwen2";
  }
  return text.find("ByteLevel") != std::string::npos ? "gpt2" : "default";
}

absl::StatusOr<std::vector<std::string>> Merges(const fs::path& path, const json& model) {
  std::vector<std::string> merges;
  if (!model.contains("merges")) return merges;
  for (const json& merge : model["merges"]) {
    if (merge.is_string()) {
      merges.push_back(merge.get<std::string>());
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
      merges.push_back(merge[0].get<std::string>() + " " + merge[1].get<std::string>());
    } else {
      return Bad(path, absl::StrCat("merge ", merges.size(), " is neither \"a b\" nor [\"a\", \"b\"]"));
    }
  }
  return merges;
}

bool IsByteToken(const std::string& token) {
  return token.size() == 6 && token.rfind("<0x", 0) == 0 && token[5] == '>' &&
         std::isxdigit(static_cast<unsigned char>(token[3])) && std::isxdigit(static_cast<unsigned char>(token[4]));
}

absl::Status AddedTokens(const fs::path& path, const json& doc, ImportedVocab& vocab, std::vector<bool>& present) {
  if (!doc.contains("added_tokens") || !doc["added_tokens"].is_array()) return absl::OkStatus();
  for (const json& added : doc["added_tokens"]) {
    if (!added.contains("id") || !added["id"].is_number_unsigned() || !added.contains("content") ||
        !added["content"].is_string() || added["id"].get<uint64_t>() >= kMaxVocabulary) {
      return Bad(path, absl::StrCat("malformed added token ", added.dump()));
    }
    const size_t id = added["id"].get<size_t>();
    if (id >= vocab.tokens.size()) {
      vocab.tokens.resize(id + 1), vocab.token_types.resize(id + 1, kTokenNormal), present.resize(id + 1, false);
    }
    vocab.tokens[id] = added["content"].get<std::string>();
    vocab.token_types[id] = added.value("special", false) ? kTokenControl : kTokenUserDefined;
    present[id] = true;
  }
  return absl::OkStatus();
}

void SpecialIds(const json& doc, const json& config, ImportedVocab& vocab) {
  std::map<std::string, uint32_t> ids;
  for (size_t id = 0; id < vocab.tokens.size(); ++id) ids.emplace(vocab.tokens[id], static_cast<uint32_t>(id));
  auto assign = [&](const char* infix, std::optional<std::string> name) {
    if (name && ids.count(*name) != 0) vocab.special_ids[infix] = ids[*name];
  };
  const json& model = doc["model"];
  if (model.contains("unk_token") && model["unk_token"].is_string()) {
    assign("unknown", model["unk_token"].get<std::string>());
    if (vocab.special_ids.count("unknown") != 0) vocab.token_types[vocab.special_ids["unknown"]] = kTokenUnknown;
  }
  for (const char* bos : {"<s>", "<|begin_of_text|>"}) assign("bos", std::string(bos));
  for (const char* eos : {"</s>", "<|end_of_text|>", "<|endoftext|>"}) assign("eos", std::string(eos));
  assign("bos", TokenName(config, "bos_token"));
  assign("eos", TokenName(config, "eos_token"));
  assign("unknown", TokenName(config, "unk_token"));
  assign("padding", TokenName(config, "pad_token"));
}

json ReadConfig(const fs::path& tokenizer_json) {
  const fs::path config_path = tokenizer_json.parent_path() / "tokenizer_config.json";
  absl::StatusOr<std::string> text = ReadText(config_path);
  if (!text.ok()) return json::object();
  json config = json::parse(*text, nullptr, false);
  return config.is_object() ? config : json::object();
}

std::string ChatTemplate(const json& config) {
  if (!config.contains("chat_template")) return "";
  const json& value = config["chat_template"];
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    for (const json& entry : value) {
      if (entry.value("name", "") == "default" && entry.contains("template") && entry["template"].is_string()) {
        return entry["template"].get<std::string>();
      }
    }
  }
  return "";
}

absl::StatusOr<ImportedVocab> HfBpeVocab(const fs::path& path, const json& doc) {
  const json& model = doc["model"];
  if (!model.contains("vocab") || !model["vocab"].is_object()) return Bad(path, "model.vocab is not an object");
  ImportedVocab vocab;
  std::vector<bool> present;
  CATENA_ASSIGN_OR_RETURN(vocab.tokens, TokensById(path, model["vocab"], present));
  vocab.token_types.assign(vocab.tokens.size(), kTokenNormal);
  CATENA_RETURN_IF_ERROR(AddedTokens(path, doc, vocab, present));
  FillHoles(vocab.tokens, vocab.token_types, present);
  if (vocab.tokens.empty()) return Bad(path, "the vocabulary is empty");
  CATENA_ASSIGN_OR_RETURN(vocab.merges, Merges(path, model));
  const bool byte_fallback = model.value("byte_fallback", false);
  vocab.model = byte_fallback ? "llama" : "gpt2";
  if (byte_fallback) {
    vocab.scores.resize(vocab.tokens.size(), 0.0f);
    for (size_t id = 0; id < vocab.tokens.size(); ++id) {
      if (vocab.token_types[id] == kTokenNormal && IsByteToken(vocab.tokens[id])) vocab.token_types[id] = kTokenByte;
      if (vocab.token_types[id] == kTokenNormal) vocab.scores[id] = -static_cast<float>(id);  // earlier merges rank higher
    }
  } else {
    vocab.pre = PreTokenizerName(doc);
  }
  const json config = ReadConfig(path);
  SpecialIds(doc, config, vocab);
  if (doc.contains("post_processor")) TemplateFlags(doc["post_processor"], vocab);
  if (!vocab.add_bos && config.contains("add_bos_token") && config["add_bos_token"].is_boolean()) {
    vocab.add_bos = config["add_bos_token"].get<bool>();
  }
  if (!vocab.add_eos && config.contains("add_eos_token") && config["add_eos_token"].is_boolean()) {
    vocab.add_eos = config["add_eos_token"].get<bool>();
  }
  vocab.chat_template = ChatTemplate(config);
  return vocab;
}

absl::StatusOr<ImportedVocab> FromJson(const fs::path& path, const json& doc) {
  if (doc.is_array()) return BertFromJson(path, doc);
  if (!doc.is_object()) return Bad(path, "expected a JSON object or array");
  if (!doc.contains("model")) return BertFromJson(path, doc);  // token -> id
  const json& model = doc["model"];
  const std::string type = model.is_object() ? model.value("type", "") : "";
  if (type == "BPE") return HfBpeVocab(path, doc);
  if (type == "WordPiece" && model.contains("vocab")) return BertFromJson(path, model["vocab"]);
  return Bad(path, absl::StrCat("tokenizer model type '", type, "' is not supported (BPE or WordPiece)"));
}

}  // namespace

absl::StatusOr<ImportedVocab> ImportVocabulary(const fs::path& path) {
  CATENA_ASSIGN_OR_RETURN(const std::string text, ReadText(path));
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return Bad(path, "the vocabulary file is empty");
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    if (text[first] == '{') return Bad(path, "is not valid JSON");
    return BertFromLines(path, text);  // vocab.txt (its first line may well be "[PAD]")
  }
  try {
    return FromJson(path, doc);
  } catch (const json::exception& e) {
    return Bad(path, absl::StrCat("unexpected JSON structure: ", e.what()));
  }
}

void AddVocabularyMetadata(const ImportedVocab& vocab, GgufWriter& writer) {
  writer.SetString("tokenizer.ggml.model", vocab.model);
  if (!vocab.pre.empty()) writer.SetString("tokenizer.ggml.pre", vocab.pre);
  writer.SetStringArray("tokenizer.ggml.tokens", vocab.tokens);
  if (!vocab.scores.empty()) writer.SetFloat32Array("tokenizer.ggml.scores", vocab.scores);
  writer.SetInt32Array("tokenizer.ggml.token_type", vocab.token_types);
  if (!vocab.merges.empty()) writer.SetStringArray("tokenizer.ggml.merges", vocab.merges);
  if (vocab.is_bert) writer.SetUint32("tokenizer.ggml.token_type_count", 2);
  for (const auto& [infix, id] : vocab.special_ids) {
    writer.SetUint32(absl::StrCat("tokenizer.ggml.", infix, "_token_id"), id);
  }
  if (vocab.add_bos) writer.SetBool("tokenizer.ggml.add_bos_token", *vocab.add_bos);
  if (vocab.add_eos) writer.SetBool("tokenizer.ggml.add_eos_token", *vocab.add_eos);
  if (!vocab.chat_template.empty()) writer.SetString("tokenizer.chat_template", vocab.chat_template);
}

}  // namespace catena::inference::model_tool
