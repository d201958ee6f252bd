// RecursiveSplitter: LangChain's RecursiveCharacterTextSplitter in C++ (kind "recursive"), also used by the
// sentence and markdown splitters for pieces longer than a chunk. Immutable after construction; thread-safe.
// Semantics follow LangChain.js 0.1 (checked by golden files) with Python's behaviour where the two differ on
// characters outside the BMP and exhausted separators; see retrieval/README.md.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "retrieval/text_length.h"
#include "retrieval/text_splitter.h"

namespace catena::retrieval {

class RecursiveSplitter final : public TextSplitter {
 public:
  // `options` must have passed ValidateSplitterOptions; options.kind is ignored.
  explicit RecursiveSplitter(const SplitterOptions& options);

  absl::StatusOr<std::vector<Chunk>> Split(std::string_view text) const override;

  // Chunks of `text`, which must be valid UTF-8; starts are byte offsets into `text`.
  std::vector<Chunk> SplitValid(std::string_view text) const;

 private:
  void SplitRecursive(std::string_view base, std::string_view text, size_t first_separator,
                      std::vector<Chunk>& out) const;
  std::vector<std::string_view> SplitOnSeparator(std::string_view text, std::string_view separator) const;
  void Merge(std::string_view base, const std::vector<std::string_view>& pieces, std::string_view separator,
             std::vector<Chunk>& out) const;
  void Emit(std::string_view base, const std::vector<std::string_view>& pieces, size_t begin, size_t end,
            std::string_view separator, std::vector<Chunk>& out) const;

  size_t chunk_size_;
  size_t chunk_overlap_;
  std::vector<std::string> separators_;
  KeepSeparator keep_separator_;
  bool strip_whitespace_;
  LengthMeter meter_;
};

}  // namespace catena::retrieval
