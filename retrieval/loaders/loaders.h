// Private to catena_retrieval: one parser per format behind LoadDocument (retrieval/document_loader.h),
// plus the UTF-8 and value helpers they share. Errors carry the position but not the source; LoadDocument
// prefixes the source. Stateless and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/status.h"
#include "nlohmann/json.hpp"
#include "retrieval/document_loader.h"

namespace catena::retrieval::loaders {

// Byte offset of the first byte that is not part of valid UTF-8 (overlongs, surrogates and code points
// above U+10FFFF are invalid), or nullopt when `text` is valid.
std::optional<size_t> FindInvalidUtf8(std::string_view text);

// OK when `text` is valid UTF-8, else INVALID_ARGUMENT naming the byte offset.
absl::Status CheckUtf8(std::string_view text);

// `text` without a leading UTF-8 byte order mark.
std::string_view StripBom(std::string_view text);

// Appends code point `cp` as UTF-8 (U+FFFD for surrogates and values above U+10FFFF).
void AppendUtf8(std::string& out, uint32_t cp);

// `text` with CRLF and lone CR turned into LF.
std::string NormalizeNewlines(std::string_view text);

// Whether `text` has nothing but ASCII whitespace.
bool IsBlank(std::string_view text);

// `text` without leading and trailing ASCII whitespace; TrimRight only trailing.
std::string_view Trim(std::string_view text);
std::string_view TrimRight(std::string_view text);

// `text` split at every '\n' (a trailing newline gives a last empty piece).
std::vector<std::string_view> SplitLines(std::string_view text);

// A CSV cell as a typed JSON value: integer, float, true/false (any case), else the string itself.
// Numbers with leading zeros ("007") and padded values stay strings.
nlohmann::json InferScalar(std::string_view cell);

// The document from each format. `options` are the caller's LoaderOptions.
absl::StatusOr<std::vector<LoadedDocument>> LoadText(std::string_view content);
absl::StatusOr<std::vector<LoadedDocument>> LoadMarkdown(std::string_view content);
absl::StatusOr<std::vector<LoadedDocument>> LoadHtml(std::string_view content);
absl::StatusOr<std::vector<LoadedDocument>> LoadPdf(std::string_view content);
absl::StatusOr<std::vector<LoadedDocument>> LoadCsv(std::string_view content, const LoaderOptions& options);
absl::StatusOr<std::vector<LoadedDocument>> LoadJson(std::string_view content, const LoaderOptions& options);
absl::StatusOr<std::vector<LoadedDocument>> LoadJsonl(std::string_view content, const LoaderOptions& options);

// Text and title extracted from HTML by the tolerant extractor behind LoadHtml.
struct HtmlText {
  std::string text;
  std::string title;
};
HtmlText ExtractHtmlText(std::string_view html);

}  // namespace catena::retrieval::loaders
