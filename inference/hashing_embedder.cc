#include "inference/hashing_embedder.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "inference/unicode_words.h"

namespace catena::inference {
namespace {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;
// Seeds keep the feature kinds apart: the word "the" and the n-gram "the" land in different buckets.
constexpr uint64_t kWordSeed = kFnvOffset;
constexpr uint64_t kBigramSeed = 0x9e3779b97f4a7c15ULL;
constexpr uint64_t kCharSeed = 0xc2b2ae3d27d4eb4fULL;
// Words carry most weight; bigrams add order; the many char n-grams add robustness to typos and inflection.
constexpr float kWordWeight = 1.0f;
constexpr float kBigramWeight = 0.5f;
constexpr float kCharWeight = 0.25f;
constexpr int kMaxDimension = 65536;
constexpr int kMaxNgram = 16;

uint64_t Mix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

uint64_t FnvUpdate(uint64_t state, unsigned char byte) { return (state ^ byte) * kFnvPrime; }

struct Feature {
  uint64_t hash;
  float weight;
};

// Collects the features of one text; reused per thread to avoid allocations.
struct FeatureScratch {
  std::vector<Feature> features;
  std::vector<size_t> boundaries;
  std::string word;
  std::string padded;
};

// Byte offsets of the code points of `text`, plus text.size() at the end.
void CodePointBoundaries(std::string_view text, std::vector<size_t>& out) {
  out.clear();
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) out.push_back(i);
  }
  out.push_back(text.size());
}

void AddCharNgrams(std::string_view word, const HashingEmbedderOptions& options, FeatureScratch& scratch) {
  scratch.padded.clear();
  scratch.padded.push_back('<');
  scratch.padded.append(word);
  scratch.padded.push_back('>');
  CodePointBoundaries(scratch.padded, scratch.boundaries);
  const size_t code_points = scratch.boundaries.size() - 1;
  const auto min_n = static_cast<size_t>(options.min_char_ngram);
  const auto max_n = static_cast<size_t>(options.max_char_ngram);
  for (size_t start = 0; start + min_n <= code_points; ++start) {
    uint64_t state = kCharSeed;
    size_t byte = scratch.boundaries[start];
    for (size_t n = 1; n <= max_n && start + n <= code_points; ++n) {
      for (const size_t end = scratch.boundaries[start + n]; byte < end; ++byte) {
        state = FnvUpdate(state, static_cast<unsigned char>(scratch.padded[byte]));
      }
      if (n >= min_n) scratch.features.push_back({Mix64(state ^ n), kCharWeight});
    }
  }
}

// Sums equal features, applies sublinear tf (weight * (1 + ln tf)) and adds them to their signed buckets.
void Accumulate(std::vector<Feature>& features, std::span<float> out) {
  std::sort(features.begin(), features.end(), [](const Feature& a, const Feature& b) { return a.hash < b.hash; });
  const uint64_t dimension = out.size();
  for (size_t i = 0; i < features.size();) {
    size_t j = i + 1;
    while (j < features.size() && features[j].hash == features[i].hash) ++j;
    const float tf = static_cast<float>(j - i);
    const float value = features[i].weight * (1.0f + std::log(tf));
    const uint64_t hash = features[i].hash;
    out[hash % dimension] += (hash >> 63) ? -value : value;
    i = j;
  }
}

}  // namespace

uint64_t StableHash64(std::string_view bytes, uint64_t seed) {
  uint64_t state = seed;
  for (char c : bytes) state = FnvUpdate(state, static_cast<unsigned char>(c));
  return Mix64(state);
}

absl::StatusOr<std::unique_ptr<HashingEmbedder>> HashingEmbedder::Create(HashingEmbedderOptions options) {
  if (options.dimension < 1 || options.dimension > kMaxDimension) {
    return absl::InvalidArgumentError(
        absl::StrCat("hashing embedder: dimension must be 1..", kMaxDimension, ", got ", options.dimension));
  }
  const bool char_ngrams = options.max_char_ngram != 0;
  if (char_ngrams && (options.min_char_ngram < 1 || options.min_char_ngram > options.max_char_ngram ||
                      options.max_char_ngram > kMaxNgram)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hashing embedder: char n-gram bounds must satisfy 1 <= min_char_ngram <= max_char_ngram <= ", kMaxNgram,
        " (or max_char_ngram = 0), got ", options.min_char_ngram, "..", options.max_char_ngram));
  }
  if (options.name.empty()) options.name = absl::StrCat("hashing-", options.dimension);
  return std::unique_ptr<HashingEmbedder>(new HashingEmbedder(std::move(options)));
}

HashingEmbedder::HashingEmbedder(HashingEmbedderOptions options) : options_(std::move(options)) {
  info_.name = options_.name;
  info_.dimension = options_.dimension;
  info_.kind = "hashing";
  info_.max_input_tokens = 0;
}

void HashingEmbedder::EmbedOne(std::string_view text, std::span<float> out) const {
  thread_local FeatureScratch scratch;
  scratch.features.clear();
  uint64_t previous_word = 0;
  bool has_previous = false;
  ForEachLowercaseWord(text, scratch.word, [&](std::string_view word) {
    const uint64_t word_hash = StableHash64(word, kWordSeed);
    scratch.features.push_back({word_hash, kWordWeight});
    if (options_.word_bigrams && has_previous) {
      scratch.features.push_back({Mix64(previous_word * 31 + word_hash + kBigramSeed), kBigramWeight});
    }
    previous_word = word_hash;
    has_previous = true;
    if (options_.max_char_ngram > 0) AddCharNgrams(word, options_, scratch);
  });
  std::fill(out.begin(), out.end(), 0.0f);
  Accumulate(scratch.features, out);
  NormalizeL2(out);
}

absl::StatusOr<Embeddings> HashingEmbedder::Embed(std::span<const std::string> texts, EmbedInputKind kind) const {
  Embeddings result;
  result.dimension = options_.dimension;
  result.values.resize(texts.size() * static_cast<size_t>(options_.dimension));
  for (size_t i = 0; i < texts.size(); ++i) {
    EmbedOne(texts[i], std::span<float>(result.values.data() + i * options_.dimension, options_.dimension));
  }
  return result;
}

}  // namespace catena::inference
