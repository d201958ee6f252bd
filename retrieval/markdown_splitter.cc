#include "retrieval/markdown_splitter.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status.h"

namespace catena::retrieval {
namespace {

// Number of leading spaces of `line` when there are at most 3 (CommonMark's indentation limit), else -1.
int Indentation(std::string_view line) {
  size_t spaces = 0;
  while (spaces < line.size() && line[spaces] == ' ') ++spaces;
  return spaces <= 3 ? static_cast<int>(spaces) : -1;
}

// A ``` or ~~~ fence line: the fence character and its run length; run 0 when `line` is no fence.
struct Fence {
  char mark = 0;
  size_t run = 0;
};

Fence FenceOf(std::string_view line) {
  const int indent = Indentation(line);
  if (indent < 0) return {};
  line.remove_prefix(static_cast<size_t>(indent));
  if (line.empty() || (line[0] != '`' && line[0] != '~')) return {};
  size_t run = 0;
  while (run < line.size() && line[run] == line[0]) ++run;
  return run >= 3 ? Fence{line[0], run} : Fence{};
}

// An ATX header line: its level (1..6) and trimmed text; level 0 when `line` is no header.
struct Header {
  int level = 0;
  std::string_view text;
};

Header HeaderOf(std::string_view line) {
  const int indent = Indentation(line);
  if (indent < 0) return {};
  line.remove_prefix(static_cast<size_t>(indent));
  size_t level = 0;
  while (level < line.size() && line[level] == '#') ++level;
  if (level == 0 || level > 6) return {};
  if (level < line.size() && line[level] != ' ' && line[level] != '\t' && line[level] != '\r') return {};
  std::string_view title = TrimWhitespace(line.substr(level));
  const size_t closing = title.find_last_not_of('#');  // optional closing sequence "## Title ##"
  if (closing == std::string_view::npos) return {static_cast<int>(level), {}};
  if (closing + 1 < title.size() && (title[closing] == ' ' || title[closing] == '\t')) {
    title = TrimWhitespace(title.substr(0, closing + 1));
  }
  return {static_cast<int>(level), title};
}

std::map<std::string, std::string> HeaderMetadata(const std::vector<std::string>& headers) {
  std::map<std::string, std::string> metadata;
  std::vector<std::string> path;
  for (size_t level = 0; level < headers.size(); ++level) {
    if (headers[level].empty()) continue;
    metadata[absl::StrCat("h", level + 1)] = headers[level];
    path.push_back(headers[level]);
  }
  if (!path.empty()) metadata["header_path"] = absl::StrJoin(path, " > ");
  return metadata;
}

}  // namespace

MarkdownSplitter::MarkdownSplitter(const SplitterOptions& options)
    : chunk_size_(static_cast<size_t>(options.chunk_size)),
      meter_(options.length_unit, options.tokenizer),
      fallback_(options) {}

absl::StatusOr<std::vector<Chunk>> MarkdownSplitter::Split(std::string_view text) const {
  CATENA_RETURN_IF_ERROR(ValidateUtf8(text, "text to split"));
  std::vector<Chunk> out;
  std::vector<std::string> headers(6);  // headers[level - 1]; empty when that level is not open
  Fence open_fence;
  size_t section_begin = 0;
  for (size_t line_begin = 0; line_begin < text.size();) {
    size_t line_end = text.find('\n', line_begin);
    line_end = line_end == std::string_view::npos ? text.size() : line_end + 1;
    const std::string_view line = text.substr(line_begin, line_end - line_begin);
    const Fence fence = FenceOf(line);
    if (open_fence.run > 0) {
      const bool closes = fence.mark == open_fence.mark && fence.run >= open_fence.run &&
                          TrimWhitespace(TrimWhitespace(line).substr(fence.run)).empty();
      if (closes) open_fence = {};
    } else if (fence.run > 0) {
      open_fence = fence;
    } else if (const Header header = HeaderOf(line); header.level > 0) {
      EmitSection(text, section_begin, line_begin, headers, out);
      for (size_t level = static_cast<size_t>(header.level); level <= headers.size(); ++level) {
        headers[level - 1].clear();
      }
      headers[static_cast<size_t>(header.level) - 1] = std::string(header.text);
      section_begin = line_end;
    }
    line_begin = line_end;
  }
  EmitSection(text, section_begin, text.size(), headers, out);
  return out;
}

void MarkdownSplitter::EmitSection(std::string_view text, size_t begin, size_t end,
                                   const std::vector<std::string>& headers, std::vector<Chunk>& out) const {
  const std::string_view body = TrimWhitespace(text.substr(begin, end - begin));
  if (body.empty()) return;
  const auto offset = static_cast<size_t>(body.data() - text.data());
  const std::map<std::string, std::string> metadata = HeaderMetadata(headers);
  if (meter_.Measure(body) <= chunk_size_) {
    out.push_back(Chunk{std::string(body), offset, metadata});
    return;
  }
  for (Chunk& piece : fallback_.SplitValid(body)) {
    piece.start += offset;
    piece.metadata = metadata;
    out.push_back(std::move(piece));
  }
}

}  // namespace catena::retrieval
