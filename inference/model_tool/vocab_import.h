// Vocabulary import for `catena-model make-tiny`: reads a Hugging Face tokenizer.json (BPE or WordPiece) or a
// BERT vocabulary (vocab.txt, a JSON array of tokens, or a JSON object token -> id) and turns it into the
// `tokenizer.*` GGUF metadata llama.cpp's converter writes. Pure functions of the files; safe from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/gguf.h"

namespace catena::inference::model_tool {

// llama.cpp's token types (tokenizer.ggml.token_type).
enum TokenType : int32_t {
  kTokenNormal = 1,
  kTokenUnknown = 2,
  kTokenControl = 3,
  kTokenUserDefined = 4,
  kTokenUnused = 5,
  kTokenByte = 6,
};

struct ImportedVocab {
  std::string model;                // tokenizer.ggml.model: "llama", "gpt2" or "bert"
  std::string pre;                  // tokenizer.ggml.pre; empty: not written
  std::vector<std::string> tokens;  // by id
  std::vector<float> scores;        // empty: not written
  std::vector<int32_t> token_types;
  std::vector<std::string> merges;  // "left right"; empty: not written
  // Special token ids by llama.cpp's key infix: "bos", "eos", "unknown", "padding", "seperator", "cls", "mask"
  // (written as tokenizer.ggml.<infix>_token_id).
  std::map<std::string, uint32_t> special_ids;
  std::optional<bool> add_bos;
  std::optional<bool> add_eos;
  std::string chat_template;  // empty: not written
  bool is_bert = false;       // writes tokenizer.ggml.token_type_count = 2
};

// Reads `path`; a tokenizer_config.json next to a tokenizer.json supplies bos/eos/pad names, add_bos/add_eos
// and the chat template. INVALID_ARGUMENT naming the file and what is wrong for anything unusable.
absl::StatusOr<ImportedVocab> ImportVocabulary(const std::filesystem::path& path);

// Adds the tokenizer.* keys of `vocab` to `writer`.
void AddVocabularyMetadata(const ImportedVocab& vocab, GgufWriter& writer);

}  // namespace catena::inference::model_tool
