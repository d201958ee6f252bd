#include "retrieval/token_splitter.h"

#include <algorithm>
#include <span>

#include "common/status.h"
#include "retrieval/text_length.h"

namespace catena::retrieval {

TokenSplitter::TokenSplitter(const SplitterOptions& options)
    : chunk_size_(static_cast<size_t>(options.chunk_size)),
      chunk_overlap_(static_cast<size_t>(options.chunk_overlap)),
      tokenizer_(options.tokenizer) {}

absl::StatusOr<std::vector<Chunk>> TokenSplitter::Split(std::string_view text) const {
  CATENA_RETURN_IF_ERROR(ValidateUtf8(text, "text to split"));
  const std::vector<int32_t> ids = tokenizer_->Encode(text);
  const std::span<const int32_t> all(ids);
  std::vector<Chunk> out;
  size_t search_from = 0;
  for (size_t first = 0; first < ids.size(); first += chunk_size_ - chunk_overlap_) {
    const size_t last = std::min(first + chunk_size_, ids.size());
    Chunk chunk{tokenizer_->Decode(all.subspan(first, last - first)), 0, {}};
    const size_t found = text.find(chunk.text, search_from);
    if (found != std::string_view::npos) {
      chunk.start = found;
    } else {
      chunk.start = std::min(tokenizer_->Decode(all.subspan(0, first)).size(), text.size());
    }
    search_from = chunk.start;
    out.push_back(std::move(chunk));
    if (last == ids.size()) break;
  }
  return out;
}

}  // namespace catena::retrieval
