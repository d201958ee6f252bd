// WordVectorEmbedder: sentence vectors as the SIF-weighted average of pretrained word vectors (Arora et al.,
// "A Simple but Tough-to-Beat Baseline for Sentence Embeddings", without the common-component removal, which
// needs a corpus). Used when no neural encoder is configured. Immutable; Embed is safe from many threads.
//
// Weighting: w = a / (a + p(word)). The table has no counts, only frequency ranks, so p is estimated with
// Zipf's law: p(rank r, 0-based) = 1 / ((r + 1) * H_N), H_N = sum_{k=1..N} 1/k over the N table words.
// Tokens are ForEachLowercaseWord's words (unicode_words.h); words not in the table are skipped, and a text
// with none in the table gives the zero vector.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/embedder.h"
#include "inference/word_vectors.h"

namespace catena::inference {

struct WordVectorEmbedderOptions {
  std::string name = "glove-100d";
  // SIF smoothing constant `a`; must be > 0.
  double sif_a = 1e-3;
};

class WordVectorEmbedder final : public Embedder {
 public:
  // INVALID_ARGUMENT for a null table, an empty name or sif_a <= 0.
  static absl::StatusOr<std::unique_ptr<WordVectorEmbedder>> Create(std::shared_ptr<const WordVectorTable> table,
                                                                    WordVectorEmbedderOptions options = {});

  const EmbedderInfo& info() const override { return info_; }
  // Unit SIF vectors (zero when no word is known); queries and documents are embedded the same way.
  absl::StatusOr<Embeddings> Embed(std::span<const std::string> texts, EmbedInputKind kind) const override;

  // SIF weight of the word of 0-based frequency rank `rank`.
  double WeightOfRank(uint32_t rank) const;

 private:
  WordVectorEmbedder(std::shared_ptr<const WordVectorTable> table, WordVectorEmbedderOptions options);
  void EmbedOne(std::string_view text, std::span<float> out) const;

  std::shared_ptr<const WordVectorTable> table_;
  WordVectorEmbedderOptions options_;
  EmbedderInfo info_;
  double harmonic_ = 1.0;  // H_N
};

}  // namespace catena::inference
