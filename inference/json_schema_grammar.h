// Constrained decoding for JSON Schema: CompileJsonSchema turns a schema (a documented subset) into a
// CompiledGrammar over a tokenizer's vocabulary; a GrammarMatcher per sequence says which tokens may come next
// so the output is a valid instance by construction. CompiledGrammar is immutable apart from its internally
// locked mask cache and may be shared by many threads; a GrammarMatcher is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "inference/text_tokenizer.h"
#include "inference/token_bitmask.h"

namespace catena::inference {

class GrammarVocabulary;

class CompiledGrammar {
 public:
  struct Impl;  // defined in grammar_internal.h; only the grammar's own sources can build or read one
  explicit CompiledGrammar(std::unique_ptr<Impl> impl);
  ~CompiledGrammar();

  // Size of the token masks (the tokenizer's vocabulary).
  int32_t vocab_size() const;
  // Number of token masks cached so far (one per distinct automaton state seen by any matcher).
  size_t cached_masks() const;
  // The automaton, vocabulary and cache (for GrammarMatcher).
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// The tokenizer's vocabulary arranged for masking; build once per tokenizer and share between compilations.
std::shared_ptr<const GrammarVocabulary> BuildGrammarVocabulary(const TextTokenizer& tokenizer);

// Compiles `schema_json`. INVALID_ARGUMENT for malformed or unsatisfiable schemas, UNIMPLEMENTED for keywords
// outside the supported subset; messages start with the JSON pointer of the offending part ("#/properties/a").
absl::StatusOr<std::shared_ptr<const CompiledGrammar>> CompileJsonSchema(
    std::string_view schema_json, std::shared_ptr<const GrammarVocabulary> vocabulary);
// As above, building the vocabulary from `tokenizer` first (tens of milliseconds for 128k tokens).
absl::StatusOr<std::shared_ptr<const CompiledGrammar>> CompileJsonSchema(std::string_view schema_json,
                                                                         const TextTokenizer& tokenizer);

// The string rules the grammar enforces, for validators and instance builders that must agree with it: a
// string schema's `pattern` (ECMA-262, matched anywhere unless anchored), else the expression of a `format` the
// grammar enforces (date, time, date-time, uuid, ipv4, email); other formats and no keyword admit any string.
// INVALID_ARGUMENT or UNIMPLEMENTED, as CompileJsonSchema, for an expression outside the supported syntax.
// Compiled expressions are cached (thread-safe).
absl::StatusOr<bool> StringMatchesSchemaPattern(std::string_view pattern, std::string_view format,
                                                std::string_view text);
// The shortest string of `min_length` to `max_length` code points that those rules admit; INVALID_ARGUMENT when
// there is none.
absl::StatusOr<std::string> ShortestStringForSchemaPattern(std::string_view pattern, std::string_view format,
                                                           uint32_t min_length, uint32_t max_length);

class GrammarMatcher {
 public:
  // Starts at the beginning of an output; `grammar` must not be null.
  explicit GrammarMatcher(std::shared_ptr<const CompiledGrammar> grammar);
  ~GrammarMatcher();
  // Copies share the compiled grammar; each continues independently (beams, speculation).
  GrammarMatcher(const GrammarMatcher& other);
  GrammarMatcher& operator=(const GrammarMatcher& other);
  GrammarMatcher(GrammarMatcher&&) noexcept;
  GrammarMatcher& operator=(GrammarMatcher&&) noexcept;

  // Tokens allowed next: those whose bytes continue a valid instance, plus end-of-generation tokens when the
  // instance is complete. Valid until the next Accept/Reset.
  const TokenBitmask& AllowedTokens();
  // Advances by `token`. INVALID_ARGUMENT (state unchanged) when it is not allowed, FAILED_PRECONDITION after
  // an end-of-generation token was accepted.
  absl::Status Accept(int32_t token);
  // True when the output so far is a complete instance (an end-of-generation token may follow).
  bool IsComplete() const;
  // True after an end-of-generation token was accepted.
  bool IsTerminated() const;
  // Tokens spelling the bytes the grammar forces next (longest-match tokenization), to append without
  // sampling; empty when the next byte is not forced or the instance may end here.
  std::vector<int32_t> ForcedTokens() const;
  // Sets the logits of disallowed tokens to -infinity (ids beyond the vocabulary too).
  void ApplyMask(std::span<float> logits);
  // Back to the start of an output.
  void Reset();

 private:
  struct State;
  std::shared_ptr<const CompiledGrammar> grammar_;
  std::unique_ptr<State> state_;
};

}  // namespace catena::inference
