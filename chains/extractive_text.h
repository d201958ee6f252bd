// Text analysis for the extractive answer model (chains/extractive_chat_model.h): content terms (lowercased,
// French accents folded, stop words of English and French removed, light suffix stemming), sentence splitting
// and English/French detection by stop-word counts. Pure functions, deterministic, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace catena::chains {

enum class TextLanguage { kEnglish, kFrench };

// Lowercases `text`, folds Latin-1 accents (é -> e, ç -> c, œ -> oe) and keeps other bytes unchanged.
std::string FoldText(std::string_view text);

// The words of `text` after FoldText, split on anything that is not a letter, a digit or a non-ASCII byte
// (apostrophes split: "l'app" -> "l", "app").
std::vector<std::string> Words(std::string_view text);

// Whether `folded_word` (a word of Words()) is an English or French stop word.
bool IsStopWord(std::string_view folded_word);

// Strips common English and French inflection suffixes ("blocking" -> "block", "cartes" -> "cart"); the
// same word always gives the same stem, and stems keep at least 3 characters.
std::string Stem(std::string_view folded_word);

// `text` with the placeholders of PII redaction removed: "[EMAIL_1]", "[CARD_2 ****1111]" (an uppercase label,
// '_', digits, an optional " ****" and digits, in brackets). They stand for data no passage holds.
std::string RemovePlaceholders(std::string_view text);

// The stems of the non-stop words of `text`, in order, repeats kept.
std::vector<std::string> ContentTerms(std::string_view text);

// French when `text` holds more French than English stop words (ties: French if it has accented letters).
TextLanguage DetectLanguage(std::string_view text);

// Splits a passage into sentences: lines first, then after '.', '!' or '?' followed by a space. Markdown
// headings ("# ...") and blank lines are dropped; list markers ("- ", "* ", "1. ") are removed.
std::vector<std::string> SplitSentences(std::string_view passage);

}  // namespace catena::chains
