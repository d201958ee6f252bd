// HashingEmbedder: a model-free embedder by signed feature hashing of lowercased words, word bigrams and
// character n-grams. Needs no assets, so it is the default embedder of tests and small deployments.
// The hash is a fixed function written here (vectors are persisted): changing it changes every vector.
// Immutable after Create; Embed is safe from many threads at once.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "inference/embedder.h"

namespace catena::inference {

struct HashingEmbedderOptions {
  // Vector length, 1..65536.
  int dimension = 384;
  // Character n-grams of each word padded as "<word>"; n runs min..max code points. max 0 disables them.
  int min_char_ngram = 3;
  int max_char_ngram = 5;
  // Adds adjacent word pairs as features.
  bool word_bigrams = true;
  // Defaults to "hashing-<dimension>".
  std::string name;
};

class HashingEmbedder final : public Embedder {
 public:
  // INVALID_ARGUMENT for a dimension outside 1..65536 or n-gram bounds outside 1 <= min <= max <= 16.
  static absl::StatusOr<std::unique_ptr<HashingEmbedder>> Create(HashingEmbedderOptions options = {});

  const EmbedderInfo& info() const override { return info_; }
  // One unit vector per text; a text without words (empty, only punctuation) gives the zero vector.
  // Queries and documents are embedded the same way.
  absl::StatusOr<Embeddings> Embed(std::span<const std::string> texts, EmbedInputKind kind) const override;

  // Writes the (unit or zero) vector of `text` into `out`, whose size must be the dimension.
  void EmbedOne(std::string_view text, std::span<float> out) const;

 private:
  explicit HashingEmbedder(HashingEmbedderOptions options);

  HashingEmbedderOptions options_;
  EmbedderInfo info_;
};

// The stable 64-bit hash behind the features: FNV-1a over `bytes` starting from `seed`, then a murmur3
// finalizer so every output bit depends on every input bit. Also keys retrieval's ingestion content hashes.
uint64_t StableHash64(std::string_view bytes, uint64_t seed);

}  // namespace catena::inference
