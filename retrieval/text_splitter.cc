#include "retrieval/text_splitter.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "retrieval/markdown_splitter.h"
#include "retrieval/recursive_splitter.h"
#include "retrieval/sentence_splitter.h"
#include "retrieval/text_length.h"
#include "retrieval/token_splitter.h"

namespace catena::retrieval {
namespace {

absl::Status ValidateSizes(const SplitterOptions& options) {
  if (options.chunk_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("splitter.chunk_size (", options.chunk_size, ") must be at least 1"));
  }
  if (options.chunk_overlap < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("splitter.chunk_overlap (", options.chunk_overlap, ") must not be negative"));
  }
  if (options.chunk_overlap >= options.chunk_size) {
    return absl::InvalidArgumentError(absl::StrCat("splitter.chunk_overlap (", options.chunk_overlap,
                                                   ") must be smaller than splitter.chunk_size (", options.chunk_size,
                                                   ")"));
  }
  return absl::OkStatus();
}

absl::Status ValidateKindAndTokenizer(const SplitterOptions& options) {
  const std::string& kind = options.kind;
  if (kind != "recursive" && kind != "sentence" && kind != "markdown" && kind != "token") {
    return absl::InvalidArgumentError(
        absl::StrCat("splitter.kind \"", kind, "\" is unknown; expected recursive, sentence, markdown or token"));
  }
  if (options.tokenizer != nullptr) return absl::OkStatus();
  if (kind == "token") {
    return absl::InvalidArgumentError("splitter.tokenizer is required for splitter.kind \"token\"");
  }
  if (options.length_unit == LengthUnit::kTokens) {
    return absl::InvalidArgumentError("splitter.tokenizer is required when splitter.length_unit is tokens");
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& DefaultSeparators() {
  static const auto* const kDefault = new std::vector<std::string>{"\n\n", "\n", " ", ""};
  return *kDefault;
}

absl::Status ValidateSplitterOptions(const SplitterOptions& options) {
  CATENA_RETURN_IF_ERROR(ValidateSizes(options));
  CATENA_RETURN_IF_ERROR(ValidateKindAndTokenizer(options));
  for (size_t i = 0; i < options.separators.size(); ++i) {
    CATENA_RETURN_IF_ERROR(ValidateUtf8(options.separators[i], absl::StrCat("splitter.separators[", i, "]")));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<TextSplitter>> MakeSplitter(const SplitterOptions& options) {
  CATENA_RETURN_IF_ERROR(ValidateSplitterOptions(options));
  if (options.kind == "sentence") return std::make_unique<SentenceSplitter>(options);
  if (options.kind == "markdown") return std::make_unique<MarkdownSplitter>(options);
  if (options.kind == "token") return std::make_unique<TokenSplitter>(options);
  return std::make_unique<RecursiveSplitter>(options);
}

absl::StatusOr<KeepSeparator> ParseKeepSeparator(std::string_view name) {
  if (name == "none") return KeepSeparator::kNone;
  if (name == "start") return KeepSeparator::kStart;
  if (name == "end") return KeepSeparator::kEnd;
  return absl::InvalidArgumentError(
      absl::StrCat("splitter.keep_separator \"", std::string(name), "\" is unknown; expected none, start or end"));
}

absl::StatusOr<LengthUnit> ParseLengthUnit(std::string_view name) {
  if (name == "code_points") return LengthUnit::kCodePoints;
  if (name == "utf16") return LengthUnit::kUtf16;
  if (name == "tokens") return LengthUnit::kTokens;
  return absl::InvalidArgumentError(absl::StrCat("splitter.length_unit \"", std::string(name),
                                                 "\" is unknown; expected code_points, utf16 or tokens"));
}

}  // namespace catena::retrieval
