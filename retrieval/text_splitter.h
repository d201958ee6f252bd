// Text splitters: turn one document text into overlapping chunks for embedding (recursive character,
// sentence, markdown header and token splitters, selected by SplitterOptions::kind). Used by ingestion in
// the retrieval service. Splitters are immutable after MakeSplitter and safe to call from many threads; a
// tokenizer passed in the options is borrowed and must outlive the splitter.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/tokenizer.h"

namespace catena::retrieval {

// One piece of a split document.
struct Chunk {
  std::string text;
  // Byte offset of the chunk in the input (LangChain's add_start_index, but exact).
  size_t start = 0;
  // Extra facts about the chunk, e.g. the markdown header path ("h1", "h2", "header_path").
  std::map<std::string, std::string> metadata;
};

// How chunk lengths are measured.
enum class LengthUnit {
  kCodePoints,  // Unicode code points: Python LangChain's len().
  kUtf16,       // UTF-16 code units: LangChain.js's String.length.
  kTokens,      // Tokenizer::Encode(text).size(); needs SplitterOptions::tokenizer.
};

// Whether split pieces keep the separator they were split on, and on which side.
enum class KeepSeparator { kNone, kStart, kEnd };

// Configuration of MakeSplitter.
struct SplitterOptions {
  std::string kind = "recursive";  // recursive | sentence | markdown | token
  int chunk_size = 1000;
  int chunk_overlap = 200;
  LengthUnit length_unit = LengthUnit::kCodePoints;
  std::vector<std::string> separators;  // empty = {"\n\n", "\n", " ", ""}
  KeepSeparator keep_separator = KeepSeparator::kStart;
  bool strip_whitespace = true;
  const inference::Tokenizer* tokenizer = nullptr;  // required for kTokens and kind "token"; borrowed
};

// Splits texts into chunks; implementations are immutable and thread-safe.
class TextSplitter {
 public:
  virtual ~TextSplitter() = default;
  // Chunks of `text` in document order; INVALID_ARGUMENT when `text` is not valid UTF-8.
  virtual absl::StatusOr<std::vector<Chunk>> Split(std::string_view text) const = 0;
};

// The separators used when SplitterOptions::separators is empty.
const std::vector<std::string>& DefaultSeparators();

// Checks `options` (sizes, kind, tokenizer, separators); INVALID_ARGUMENT names the offending field.
absl::Status ValidateSplitterOptions(const SplitterOptions& options);

// Builds the splitter named by options.kind after ValidateSplitterOptions.
absl::StatusOr<std::unique_ptr<TextSplitter>> MakeSplitter(const SplitterOptions& options);

// Parses "none" | "start" | "end".
absl::StatusOr<KeepSeparator> ParseKeepSeparator(std::string_view name);

// Parses "code_points" | "utf16" | "tokens".
absl::StatusOr<LengthUnit> ParseLengthUnit(std::string_view name);

}  // namespace catena::retrieval
