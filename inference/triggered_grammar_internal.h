// Internal to the triggered grammar (triggered_grammar.h): what a TriggeredGrammar holds and the cursor that
// both the mask precomputation and TriggeredMatcher::Accept run bytes through, so that a mask allows exactly
// the tokens Accept takes. Immutable after compilation apart from the closing-mask cache (guarded by `mutex`).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "inference/grammar_internal.h"
#include "inference/triggered_grammar.h"

namespace catena::inference {

// Where a sequence is: in free text with `partial` trigger bytes matched, or inside a part at `stacks`.
struct TriggerCursor {
  bool inside = false;
  uint32_t partial = 0;
  std::vector<grammar::Stack> stacks;
  int completed = 0;
};

struct TriggeredGrammar::Impl {
  std::string trigger;
  std::vector<int32_t> trigger_tokens;          // sorted
  std::shared_ptr<const CompiledGrammar> body;  // sequence [before, value, after?]
  std::vector<grammar::Stack> triggered;        // where a part starts once the trigger text is complete
  int32_t after_part = -1;                      // index of `after` in the sequence; -1 without one
  std::vector<TokenBitmask> free_masks;         // by `partial`
  std::vector<bool> free_full;                  // by `partial`: the mask allows every token
  TokenBitmask free_first;                      // partial 0 at the first token (first-token bytes)
  bool free_first_full = false;

  const GrammarVocabulary& vocabulary() const { return *body->impl().vocabulary; }
  // Runs `bytes` through `cursor`; false (cursor in an unspecified state) when the grammar rejects them.
  bool Feed(TriggerCursor& cursor, std::string_view bytes) const;
  // The mask inside a part at `stacks`: the grammar's, plus at the closing text the tokens that finish the
  // part and go on acceptably. Cached by state.
  std::shared_ptr<const TokenBitmask> InsideMask(const std::vector<grammar::Stack>& stacks) const;

  mutable std::mutex mutex;
  mutable absl::flat_hash_map<std::string, std::shared_ptr<const TokenBitmask>> closing;
};

}  // namespace catena::inference
