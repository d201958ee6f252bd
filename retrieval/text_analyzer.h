// TextAnalyzer: turns text into the terms the BM25 index (bm25_index.h) stores and searches. Decodes UTF-8
// (invalid bytes are skipped), splits on anything that is not a letter or digit of a supported script,
// lowercases, and drops stop words. No stemming. CJK ideographs, kana and Hangul syllables become one term
// per character (unigrams). Immutable after construction; Analyze is thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace catena::retrieval {

struct AnalyzerOptions {
  // ISO 639-1 code selecting the stop-word list: en, de, fr, es, it, pt, nl. Other codes: no stop words.
  std::string language = "en";
  // Whether to drop the language's stop words.
  bool stop_words = true;
};

// Terms longer than this many bytes are dropped (base64 blobs, hashes).
inline constexpr size_t kMaxTermBytes = 64;

// Whether `language` has a built-in stop-word list.
bool HasStopWordList(std::string_view language);

class TextAnalyzer {
 public:
  explicit TextAnalyzer(AnalyzerOptions options = {});

  // The terms of `text` in order of appearance (duplicates kept).
  std::vector<std::string> Analyze(std::string_view text) const;

  const AnalyzerOptions& options() const { return options_; }

 private:
  AnalyzerOptions options_;
  const std::unordered_set<std::string_view>* stop_words_ = nullptr;  // Static storage, or null.
};

}  // namespace catena::retrieval
