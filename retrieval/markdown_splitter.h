// MarkdownSplitter (kind "markdown"): one chunk per section under ATX headers (# .. ######, ignored inside
// ``` and ~~~ fences), like LangChain's MarkdownHeaderTextSplitter, with metadata h1..h6 and header_path
// ("Title > Section"); sections longer than chunk_size are split by RecursiveSplitter with the same metadata.
// Immutable after construction; thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include "retrieval/recursive_splitter.h"
#include "retrieval/text_length.h"
#include "retrieval/text_splitter.h"

namespace catena::retrieval {

class MarkdownSplitter final : public TextSplitter {
 public:
  // `options` must have passed ValidateSplitterOptions.
  explicit MarkdownSplitter(const SplitterOptions& options);

  absl::StatusOr<std::vector<Chunk>> Split(std::string_view text) const override;

 private:
  void EmitSection(std::string_view text, size_t begin, size_t end, const std::vector<std::string>& headers,
                   std::vector<Chunk>& out) const;

  size_t chunk_size_;
  LengthMeter meter_;
  RecursiveSplitter fallback_;
};

}  // namespace catena::retrieval
