#include "inference/word_vector_embedder.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "inference/unicode_words.h"

namespace catena::inference {

absl::StatusOr<std::unique_ptr<WordVectorEmbedder>> WordVectorEmbedder::Create(
    std::shared_ptr<const WordVectorTable> table, WordVectorEmbedderOptions options) {
  if (table == nullptr) return absl::InvalidArgumentError("word vector embedder: table is null");
  if (options.name.empty()) return absl::InvalidArgumentError("word vector embedder: name is empty");
  if (!(options.sif_a > 0)) {
    return absl::InvalidArgumentError(absl::StrCat("word vector embedder: sif_a must be > 0, got ", options.sif_a));
  }
  return std::unique_ptr<WordVectorEmbedder>(new WordVectorEmbedder(std::move(table), std::move(options)));
}

WordVectorEmbedder::WordVectorEmbedder(std::shared_ptr<const WordVectorTable> table, WordVectorEmbedderOptions options)
    : table_(std::move(table)), options_(std::move(options)) {
  info_.name = options_.name;
  info_.dimension = table_->dimension();
  info_.kind = "word-vectors";
  info_.max_input_tokens = 0;
  harmonic_ = 0;
  for (size_t k = table_->size(); k >= 1; --k) harmonic_ += 1.0 / static_cast<double>(k);
}

double WordVectorEmbedder::WeightOfRank(uint32_t rank) const {
  const double probability = 1.0 / ((static_cast<double>(rank) + 1.0) * harmonic_);
  return options_.sif_a / (options_.sif_a + probability);
}

void WordVectorEmbedder::EmbedOne(std::string_view text, std::span<float> out) const {
  thread_local std::string scratch;
  thread_local std::vector<double> sum;
  sum.assign(out.size(), 0.0);
  size_t known = 0;
  ForEachLowercaseWord(text, scratch, [&](std::string_view word) {
    const std::optional<WordVectorTable::Entry> entry = table_->Lookup(word);
    if (!entry) return;
    const double weight = WeightOfRank(entry->rank);
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += weight * entry->vector[i];
    ++known;
  });
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = known == 0 ? 0.0f : static_cast<float>(sum[i] / static_cast<double>(known));
  }
  NormalizeL2(out);
}

absl::StatusOr<Embeddings> WordVectorEmbedder::Embed(std::span<const std::string> texts, EmbedInputKind kind) const {
  Embeddings result;
  result.dimension = info_.dimension;
  const auto dimension = static_cast<size_t>(info_.dimension);
  result.values.resize(texts.size() * dimension);
  for (size_t i = 0; i < texts.size(); ++i) {
    EmbedOne(texts[i], std::span<float>(result.values.data() + i * dimension, dimension));
  }
  return result;
}

}  // namespace catena::inference
