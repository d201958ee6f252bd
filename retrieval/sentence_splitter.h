// SentenceSplitter (kind "sentence"): packs whole sentences into chunks of at most chunk_size, overlapping by
// whole trailing sentences up to chunk_overlap; a sentence longer than a chunk goes through RecursiveSplitter.
// Also exposes the sentence boundary finder. Immutable after construction; thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include "retrieval/recursive_splitter.h"
#include "retrieval/text_length.h"
#include "retrieval/text_splitter.h"

namespace catena::retrieval {

// Byte range [begin, end) of one sentence, without surrounding whitespace.
struct SentenceSpan {
  size_t begin = 0;
  size_t end = 0;
};

// Sentences of valid UTF-8 `text`: ends after . ! ? … (and closing quotes/brackets) followed by whitespace or
// the end, after 。！？ always, and at blank lines; not after abbreviations (Dr., e.g., ...) or initials.
std::vector<SentenceSpan> FindSentences(std::string_view text);

class SentenceSplitter final : public TextSplitter {
 public:
  // `options` must have passed ValidateSplitterOptions.
  explicit SentenceSplitter(const SplitterOptions& options);

  absl::StatusOr<std::vector<Chunk>> Split(std::string_view text) const override;

 private:
  size_t SpanLength(std::string_view text, const std::vector<SentenceSpan>& sentences, size_t first, size_t last) const;
  void Emit(std::string_view text, const std::vector<SentenceSpan>& sentences, size_t first, size_t last,
            std::vector<Chunk>& out) const;
  size_t OverlapStart(std::string_view text, const std::vector<SentenceSpan>& sentences, size_t first,
                      size_t next) const;

  size_t chunk_size_;
  size_t chunk_overlap_;
  LengthMeter meter_;
  RecursiveSplitter fallback_;
};

}  // namespace catena::retrieval
