// Deterministic test doubles for the memory tests: a language model that writes recognizable summaries and
// records what it was asked, a bag-of-words embedder and a whitespace tokenizer. Thread-safe.
#pragma once

#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "inference/embedder.h"
#include "inference/language_model.h"
#include "inference/tokenizer.h"

namespace catena::memory::testing {

// Answers "SUMMARY(<n> turns: <first word of each turn joined by ' '>)" where n excludes the system turn.
class FakeSummarizer final : public inference::LanguageModel {
 public:
  absl::StatusOr<std::string> Complete(std::span<const inference::ChatTurn> conversation,
                                       const inference::CompletionOptions&) const override {
    std::lock_guard<std::mutex> lock(mutex_);
    calls_.emplace_back(conversation.begin(), conversation.end());
    std::string words;
    for (size_t i = 1; i < conversation.size(); ++i) {
      std::string first = conversation[i].content.substr(0, conversation[i].content.find(' '));
      absl::StrAppend(&words, i == 1 ? "" : " ", first);
    }
    return absl::StrCat("SUMMARY(", conversation.size() - 1, " turns: ", words, ")");
  }
  std::vector<std::vector<inference::ChatTurn>> calls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::vector<std::vector<inference::ChatTurn>> calls_;
};

// Each lowercase word adds 1 to dimension hash(word) % 64; rows are L2-normalized. Counts its calls.
class FakeEmbedder final : public inference::Embedder {
 public:
  const inference::EmbedderInfo& info() const override { return info_; }
  absl::StatusOr<inference::Embeddings> Embed(std::span<const std::string> texts,
                                              inference::EmbedInputKind) const override {
    inference::Embeddings out{.dimension = kDim, .values = std::vector<float>(texts.size() * kDim, 0.0f)};
    for (size_t row = 0; row < texts.size(); ++row) {
      for (absl::string_view word : absl::StrSplit(texts[row], ' ', absl::SkipEmpty())) {
        out.values[row * kDim + std::hash<std::string>()(std::string(word)) % kDim] += 1;
      }
      inference::NormalizeL2(std::span<float>(out.values.data() + row * kDim, kDim));
    }
    return out;
  }

 private:
  static constexpr int kDim = 64;
  inference::EmbedderInfo info_{.name = "fake-bow-64", .dimension = kDim, .kind = "fake"};
};

// One token per whitespace-separated word.
class WordTokenizer final : public inference::Tokenizer {
 public:
  std::vector<int32_t> Encode(std::string_view text) const override {
    std::vector<int32_t> ids;
    for (absl::string_view word : absl::StrSplit(absl::string_view(text.data(), text.size()), ' ', absl::SkipEmpty())) {
      ids.push_back(static_cast<int32_t>(word.size()));
    }
    return ids;
  }
  std::string Decode(std::span<const int32_t>) const override { return ""; }
};

}  // namespace catena::memory::testing
