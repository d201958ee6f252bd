// Search-result highlighting: snippets of a text around the query's words, matches wrapped in <em>...</em>.
// Case-insensitive for ASCII; other scripts match exactly. Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace catena::retrieval {

struct HighlightOptions {
  size_t max_snippets = 3;
  // Bytes of context kept on each side of a match (widened to whole UTF-8 characters).
  size_t context_bytes = 60;
};

// Up to max_snippets snippets of `text`, in text order, each containing at least one query word. Empty
// when no query word (of 2+ bytes) occurs in the text as a whole word.
std::vector<std::string> Highlight(std::string_view text, std::string_view query, const HighlightOptions& options = {});

}  // namespace catena::retrieval
