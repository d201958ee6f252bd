// Internal to the JSON-schema grammar: GrammarVocabulary, the tokenizer's tokens as bytes arranged for mask
// computation — a byte trie of every ordinary token, a second trie of the tokens that are not plain string
// text, and the plain-text tokens by length. Built once per tokenizer; immutable and shareable.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "inference/text_tokenizer.h"
#include "inference/token_bitmask.h"

namespace catena::inference {

// A byte trie with token ids at the nodes where their bytes end; node 0 is the root. Children of a node are
// contiguous and sorted by byte.
struct TokenTrie {
  struct Node {
    uint32_t first_child = 0;
    uint32_t tokens_begin = 0;
    uint16_t num_children = 0;
    uint16_t num_tokens = 0;
    uint8_t byte = 0;
  };
  std::vector<Node> nodes;
  std::vector<int32_t> token_ids;

  // Builds from (bytes, id) pairs; bytes must be non-empty.
  static TokenTrie Build(std::vector<std::pair<std::string_view, int32_t>> tokens);
};

class GrammarVocabulary {
 public:
  // Reads every token's bytes from `tokenizer` (mid-output bytes, and first-token bytes where they differ).
  static std::shared_ptr<const GrammarVocabulary> Build(const TextTokenizer& tokenizer);

  int32_t vocab_size() const { return vocab_size_; }
  // Bytes `id` adds in the middle of an output ("" for special tokens, which grammars never allow).
  std::string_view Bytes(int32_t id) const;
  // Bytes `id` adds as the first token of an output (SentencePiece drops the leading space there).
  std::string_view FirstBytes(int32_t id) const;
  // Ids whose first-token bytes differ from their usual bytes.
  const std::vector<int32_t>& first_differs() const { return first_differs_; }
  // Ids with no bytes as the first token (SentencePiece's lone "▁").
  const std::vector<int32_t>& first_empty() const { return first_empty_; }
  const std::vector<int32_t>& end_of_generation() const { return end_of_generation_; }
  const TokenTrie& all() const { return all_; }
  const TokenTrie& not_plain() const { return not_plain_; }
  // The first_differs tokens by their first-token bytes (non-empty ones only).
  const TokenTrie& first() const { return first_; }
  // Adds the plain string-text tokens of at most `max_code_points` code points to `mask`.
  void AddPlain(uint32_t max_code_points, TokenBitmask& mask) const;
  // Longest token, in bytes, plus one: no token can move a string's length by this much.
  uint32_t horizon() const { return horizon_; }

 private:
  void ReadTokens(const TextTokenizer& tokenizer);
  void BuildTries();

  int32_t vocab_size_ = 0;
  std::string bytes_;
  std::vector<uint32_t> offsets_;  // vocab_size + 1
  absl::flat_hash_map<int32_t, std::string> first_bytes_;
  std::vector<int32_t> first_differs_;
  std::vector<int32_t> first_empty_;
  std::vector<int32_t> end_of_generation_;
  TokenTrie all_, not_plain_, first_;
  TokenBitmask all_plain_;
  std::vector<int32_t> plain_by_length_;  // plain token ids by code-point count
  std::vector<uint32_t> plain_lengths_;   // parallel to plain_by_length_
  uint32_t horizon_ = 1;
};

}  // namespace catena::inference
