// Pre-tokenization: splits normalized text into the words BPE or WordPiece runs on. Hand-coded scanners
// reproduce the GPT-2, Llama-3 and Qwen2 split regexes exactly as Hugging Face evaluates them (Unicode
// White_Space for \s, general categories for \p{L} \p{N}, leftmost alternative first, with the lookahead
// of \s+(?!\S)), plus BERT's whitespace/punctuation split. Stateless; safe from any thread.
#pragma once

#include <string_view>
#include <vector>

#include "inference/vocabulary_spec.h"

namespace catena::inference {

// Appends the words of UTF-8 `text` to `words` (views into `text`, covering it without gaps).
// kNone yields `text` as one word; kBert drops whitespace and isolates punctuation.
void PreTokenize(PreTokenizerKind kind, std::string_view text, std::vector<std::string_view>& words);

}  // namespace catena::inference
