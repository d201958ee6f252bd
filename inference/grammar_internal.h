// Internal to the JSON-schema grammar: what a CompiledGrammar holds (the automaton, the vocabulary, the start
// stacks and the mask cache, guarded by its mutex) and the schema compiler's entry point.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "inference/grammar_automaton.h"
#include "inference/grammar_vocabulary.h"
#include "inference/json_schema_grammar.h"

namespace catena::inference {

struct CompiledGrammar::Impl {
  grammar::Grammar grammar;
  std::shared_ptr<const GrammarVocabulary> vocabulary;
  std::vector<grammar::Stack> start;

  // The mask for `stacks`; `first` when no token was accepted yet. Cached by state.
  std::shared_ptr<const TokenBitmask> Mask(const std::vector<grammar::Stack>& stacks, bool first) const;

  mutable std::mutex mutex;
  mutable absl::flat_hash_map<std::string, std::shared_ptr<const TokenBitmask>> cache;
};

// Compiles a schema document into the automaton's node graph.
absl::StatusOr<grammar::Grammar> CompileSchemaToGrammar(std::string_view schema_json);
// Wraps an automaton (e.g. a schema's graph with extra nodes around it) for masking over `vocabulary`;
// INVALID_ARGUMENT when its root cannot start within the nesting limit.
absl::StatusOr<std::shared_ptr<const CompiledGrammar>> CompiledGrammarFrom(
    grammar::Grammar compiled, std::shared_ptr<const GrammarVocabulary> vocabulary);

namespace grammar {
// Feeds `bytes` to every stack, dropping duplicates; the result may be empty (rejected).
std::vector<Stack> Advance(const Grammar& grammar, std::vector<Stack> stacks, std::string_view bytes);
// True when one of `stacks` is a complete value.
bool AnyAccepting(const Grammar& grammar, const std::vector<Stack>& stacks);
}  // namespace grammar

}  // namespace catena::inference
