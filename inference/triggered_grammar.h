// Lazy ("triggered") constrained decoding, for tool calls under tool_choice "auto": the output is free text
// until it contains a trigger (e.g. `<tool_call>`); from there a JSON-schema grammar, wrapped in fixed texts
// before and after the value (e.g. "\n" and "\n</tool_call>"), masks the tokens until the wrapped value is
// complete, and then the text is free again (another call may follow). A TriggeredGrammar is immutable apart
// from its internally locked mask caches and is shared across threads; a TriggeredMatcher is one sequence's
// state, used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "inference/json_schema_grammar.h"
#include "inference/token_bitmask.h"

namespace catena::inference {

struct TriggeredGrammarSpec {
  std::string trigger;                     // non-empty text that starts a constrained part
  std::vector<int32_t> trigger_tokens;     // special tokens (no text in the output) that also start one
  std::string schema_json;                 // the JSON Schema of the value after the trigger
  std::vector<std::string> before = {""};  // one of these raw texts comes between the trigger and the value
  std::vector<std::string> after;          // one of these must follow the value (none: the value ends the part)
  // The trigger's bytes are the value's first bytes (Llama 3.1's `{"name": "`): a part starts inside the value,
  // already advanced by them. Trigger tokens still start a part at its beginning (`before`, then the value).
  bool trigger_starts_value = false;
};

class TriggeredGrammar {
 public:
  struct Impl;  // defined in triggered_grammar.cc
  explicit TriggeredGrammar(std::unique_ptr<Impl> impl);
  ~TriggeredGrammar();

  // Compiles the wrapped schema and the free-text masks (one per partial trigger), tens of milliseconds for a
  // large vocabulary. INVALID_ARGUMENT for an empty trigger, a `before`/`after` set where one text is a proper
  // prefix of another, a bad schema (as CompileJsonSchema), or with `trigger_starts_value` a trigger that the
  // wrapped value cannot start with (or that completes it).
  static absl::StatusOr<std::shared_ptr<const TriggeredGrammar>> Compile(
      const TriggeredGrammarSpec& spec, std::shared_ptr<const GrammarVocabulary> vocabulary);

  int32_t vocab_size() const;
  const std::string& trigger() const;
  // Masks cached so far inside constrained parts (the wrapped grammar's, plus the ones at its closing text).
  size_t cached_masks() const;
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// Which tokens a sequence may draw next. Outside a constrained part every token is allowed except those that
// would complete the trigger and go on with text the grammar rejects (checked on the token's whole text, so a
// trigger split across tokens, or ending inside one, is handled). Inside a part the grammar's cached mask is
// used, plus, at the closing text, tokens that finish it and go on with acceptable text (free text, or even
// the start of the next part). Mask and Accept run the same byte cursor, so they always agree.
class TriggeredMatcher {
 public:
  explicit TriggeredMatcher(std::shared_ptr<const TriggeredGrammar> grammar);
  ~TriggeredMatcher();
  TriggeredMatcher(const TriggeredMatcher& other);
  TriggeredMatcher& operator=(const TriggeredMatcher& other);
  TriggeredMatcher(TriggeredMatcher&&) noexcept;
  TriggeredMatcher& operator=(TriggeredMatcher&&) noexcept;

  // Tokens allowed next; valid until the next Accept.
  const TokenBitmask& AllowedTokens();
  // True when AllowedTokens() allows every token (free text away from the trigger): masking can be skipped.
  bool AllowsEverything();
  // Sets the logits of disallowed tokens to -infinity.
  void ApplyMask(std::span<float> logits);
  // Advances by `token`; INVALID_ARGUMENT (state unchanged) when it is not allowed.
  absl::Status Accept(int32_t token);
  // True inside a constrained part (after a trigger, before its closing text).
  bool InsidePart() const;
  // Number of constrained parts completed so far.
  int completed_parts() const;

 private:
  struct State;
  std::shared_ptr<const TriggeredGrammar> grammar_;
  std::unique_ptr<State> state_;
};

}  // namespace catena::inference
