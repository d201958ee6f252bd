// TokenSplitter (kind "token"): LangChain's TokenTextSplitter: encodes the text once, cuts the ids into
// windows of chunk_size tokens that overlap by chunk_overlap, and decodes each window. Immutable after
// construction and thread-safe when the borrowed tokenizer is.
#pragma once

#include "retrieval/text_splitter.h"

namespace catena::retrieval {

class TokenSplitter final : public TextSplitter {
 public:
  // `options` must have passed ValidateSplitterOptions (tokenizer set).
  explicit TokenSplitter(const SplitterOptions& options);

  // Chunk starts are found by searching the decoded text from the previous start; when decoding does not
  // reproduce the input verbatim, the byte length of the decoded prefix is used instead.
  absl::StatusOr<std::vector<Chunk>> Split(std::string_view text) const override;

 private:
  size_t chunk_size_;
  size_t chunk_overlap_;
  const inference::Tokenizer* tokenizer_;
};

}  // namespace catena::retrieval
