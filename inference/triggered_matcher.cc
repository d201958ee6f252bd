// TriggeredMatcher: one sequence's place in a triggered grammar. Masks come precomputed (free text) or from
// the grammar's caches (inside a part); Accept runs the token's bytes through the same cursor the masks were
// computed with.
#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "inference/triggered_grammar_internal.h"

namespace catena::inference {

struct TriggeredMatcher::State {
  TriggerCursor cursor;
  bool first = true;
  std::shared_ptr<const TokenBitmask> inside_mask;  // inside a part, once computed
};

TriggeredMatcher::TriggeredMatcher(std::shared_ptr<const TriggeredGrammar> grammar)
    : grammar_(std::move(grammar)), state_(std::make_unique<State>()) {}
TriggeredMatcher::~TriggeredMatcher() = default;
TriggeredMatcher::TriggeredMatcher(const TriggeredMatcher& other)
    : grammar_(other.grammar_), state_(std::make_unique<State>(*other.state_)) {}
TriggeredMatcher& TriggeredMatcher::operator=(const TriggeredMatcher& other) {
  if (this != &other) {
    grammar_ = other.grammar_;
    state_ = std::make_unique<State>(*other.state_);
  }
  return *this;
}
TriggeredMatcher::TriggeredMatcher(TriggeredMatcher&&) noexcept = default;
TriggeredMatcher& TriggeredMatcher::operator=(TriggeredMatcher&&) noexcept = default;

const TokenBitmask& TriggeredMatcher::AllowedTokens() {
  const TriggeredGrammar::Impl& impl = grammar_->impl();
  if (!state_->cursor.inside) {
    return state_->first && state_->cursor.partial == 0 ? impl.free_first
                                                        : impl.free_masks[state_->cursor.partial];
  }
  if (state_->inside_mask == nullptr) state_->inside_mask = impl.InsideMask(state_->cursor.stacks);
  return *state_->inside_mask;
}

bool TriggeredMatcher::AllowsEverything() {
  const TriggeredGrammar::Impl& impl = grammar_->impl();
  if (state_->cursor.inside) return false;
  return state_->first && state_->cursor.partial == 0 ? impl.free_first_full
                                                      : impl.free_full[state_->cursor.partial];
}

void TriggeredMatcher::ApplyMask(std::span<float> logits) {
  if (!AllowsEverything()) ApplyTokenMask(AllowedTokens(), logits);
}

absl::Status TriggeredMatcher::Accept(int32_t token) {
  const TriggeredGrammar::Impl& impl = grammar_->impl();
  const GrammarVocabulary& vocab = impl.vocabulary();
  if (token < 0 || token >= vocab.vocab_size()) {
    return absl::InvalidArgumentError(absl::StrCat("token ", token, " is outside the vocabulary"));
  }
  TriggerCursor next = state_->cursor;
  const bool trigger_token = std::binary_search(impl.trigger_tokens.begin(), impl.trigger_tokens.end(), token);
  const std::string_view bytes = state_->first ? vocab.FirstBytes(token) : vocab.Bytes(token);
  bool ok = true;
  if (trigger_token) {
    ok = !next.inside;
    next = TriggerCursor{.inside = true, .stacks = impl.body->impl().start, .completed = next.completed};
  } else if (next.inside && bytes.empty()) {
    ok = false;  // special tokens (and end of generation) cannot appear inside a part
  } else {
    ok = impl.Feed(next, bytes);
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat("token ", token, " (\"", absl::CEscape(std::string(bytes)),
                                                   "\") is not allowed here by the tool-call grammar"));
  }
  state_->cursor = std::move(next);
  // The first-token rule holds until a token with bytes (or SentencePiece's lone "▁", none at the start).
  state_->first = state_->first && vocab.Bytes(token).empty();
  state_->inside_mask = nullptr;
  return absl::OkStatus();
}

bool TriggeredMatcher::InsidePart() const { return state_->cursor.inside; }
int TriggeredMatcher::completed_parts() const { return state_->cursor.completed; }

}  // namespace catena::inference
