// TokenizerModel: the algorithm half of TextTokenizer (internal to inference/). One implementation per file:
// sentencepiece_bpe.cc, byte_level_bpe.cc, wordpiece.cc. Each normalizes and pre-tokenizes a segment of
// plain text (added tokens already split off) and maps ids back to bytes. Immutable; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "inference/bpe_merges.h"
#include "inference/vocabulary_spec.h"

namespace catena::inference {

using TokenIdMap = absl::flat_hash_map<std::string, int32_t>;

class TokenizerModel {
 public:
  virtual ~TokenizerModel() = default;
  // Appends the ids of `text`; `first_segment` is true when the segment starts the input.
  virtual void Encode(std::string_view text, bool first_segment, std::vector<int32_t>& ids) const = 0;
  // Appends the bytes of ordinary token `id`; `first` when it is the first token of the output.
  virtual void AppendBytes(int32_t id, bool first, std::string& out) const = 0;
};

// Each returns INVALID_ARGUMENT naming the missing token or bad merge.
absl::StatusOr<std::unique_ptr<TokenizerModel>> CreateSentencePieceBpe(const VocabularySpec& spec,
                                                                       const TokenIdMap& ids);
absl::StatusOr<std::unique_ptr<TokenizerModel>> CreateByteLevelBpe(const VocabularySpec& spec,
                                                                   const TokenIdMap& ids);
absl::StatusOr<std::unique_ptr<TokenizerModel>> CreateWordPiece(const VocabularySpec& spec, const TokenIdMap& ids);

// Fills `merger` from spec.merges (rank = position); INVALID_ARGUMENT names the first merge whose parts or
// result are not in the vocabulary.
absl::Status AddRankedMerges(const VocabularySpec& spec, const TokenIdMap& ids, BpeMerger& merger);

// The id of `text` in `ids`, or -1.
inline int32_t LookupId(const TokenIdMap& ids, std::string_view text) {
  auto it = ids.find(absl::string_view(text.data(), text.size()));
  return it == ids.end() ? -1 : it->second;
}

}  // namespace catena::inference
