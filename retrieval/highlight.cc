#include "retrieval/highlight.h"

#include <algorithm>
#include <set>

namespace catena::retrieval {
namespace {

bool IsWordByte(unsigned char c) { return std::isalnum(c) != 0 || c >= 0x80; }

std::string LowerAscii(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// Moves `offset` back (or forward) to the start of a UTF-8 character.
size_t CharBoundary(std::string_view text, size_t offset, bool forward) {
  while (offset > 0 && offset < text.size() && (static_cast<unsigned char>(text[offset]) & 0xC0) == 0x80) {
    offset += forward ? 1 : -1;
  }
  return std::min(offset, text.size());
}

struct Match {
  size_t begin;
  size_t end;
};

std::vector<Match> FindMatches(std::string_view text, std::string_view query) {
  const std::string lower_text = LowerAscii(text);
  const std::string lower_query = LowerAscii(query);
  std::set<std::string> words;
  for (size_t i = 0; i < lower_query.size();) {
    size_t j = i;
    while (j < lower_query.size() && IsWordByte(lower_query[j])) ++j;
    if (j - i >= 2) words.insert(lower_query.substr(i, j - i));
    i = std::max(j, i + 1);
  }
  std::vector<Match> matches;
  for (size_t i = 0; i < lower_text.size();) {
    size_t j = i;
    while (j < lower_text.size() && IsWordByte(lower_text[j])) ++j;
    if (j > i && words.count(lower_text.substr(i, j - i)) > 0) matches.push_back({i, j});
    i = std::max(j, i + 1);
  }
  return matches;
}

}  // namespace

std::vector<std::string> Highlight(std::string_view text, std::string_view query, const HighlightOptions& options) {
  const std::vector<Match> matches = FindMatches(text, query);
  std::vector<std::string> snippets;
  size_t next = 0;
  while (next < matches.size() && snippets.size() < options.max_snippets) {
    const size_t begin = CharBoundary(
        text, matches[next].begin > options.context_bytes ? matches[next].begin - options.context_bytes : 0, false);
    size_t end = CharBoundary(text, matches[next].end + options.context_bytes, true);
    std::string snippet = begin > 0 ? "…" : "";
    size_t cursor = begin;
    // Every match that starts inside the window is marked; the window grows to cover it.
    for (; next < matches.size() && matches[next].begin < end; ++next) {
      snippet.append(text.substr(cursor, matches[next].begin - cursor));
      snippet.append("<em>").append(text.substr(matches[next].begin, matches[next].end - matches[next].begin));
      snippet.append("</em>");
      cursor = matches[next].end;
      end = std::max(end, cursor);
    }
    snippet.append(text.substr(cursor, end - cursor));
    if (end < text.size()) snippet.append("…");
    snippets.push_back(std::move(snippet));
  }
  return snippets;
}

}  // namespace catena::retrieval
