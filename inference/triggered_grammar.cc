// Compilation of a triggered grammar: the schema's automaton wrapped in a sequence node [before, value,
// after], the free-text masks (only tokens containing the trigger's last byte can complete it, so only those
// are run through the cursor), and the masks at a part's closing text.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/triggered_grammar_internal.h"

namespace catena::inference {
namespace {

using grammar::Stack;

constexpr size_t kMaxFinish = 64;  // longest closing text searched for tokens that run past it

// Trigger bytes matched after `partial` of them and then `byte`: the longest suffix that begins the trigger.
uint32_t NextPartial(const std::string& trigger, uint32_t partial, char byte) {
  if (trigger[partial] == byte) return partial + 1;
  std::string seen = trigger.substr(0, partial);
  seen.push_back(byte);
  for (size_t length = std::min(seen.size(), trigger.size() - 1); length > 0; --length) {
    if (seen.compare(seen.size() - length, length, trigger, 0, length) == 0) return static_cast<uint32_t>(length);
  }
  return 0;
}

absl::Status CheckPrefixFree(const std::vector<std::string>& texts) {
  for (const std::string& a : texts) {
    for (const std::string& b : texts) {
      if (a.size() < b.size() && b.starts_with(a)) {
        return absl::InvalidArgumentError("triggered grammar: one closing text is a prefix of another");
      }
    }
  }
  return absl::OkStatus();
}

int32_t AddLiterals(grammar::Grammar& g, const std::vector<std::string>& texts) {
  grammar::Node node = grammar::LiteralsNode(texts);
  node.pointer = "#(markup)";
  g.nodes.push_back(std::move(node));
  return static_cast<int32_t>(g.nodes.size() - 1);
}

// Every text that completes the part from `stacks` (at most kMaxFinish bytes), appended to `out`.
void Finishes(const grammar::Grammar& g, const std::vector<Stack>& stacks, std::string& prefix,
              std::vector<std::string>& out) {
  if (grammar::AnyAccepting(g, stacks)) {
    out.push_back(prefix);
    return;
  }
  if (prefix.size() >= kMaxFinish) return;
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    std::vector<Stack> next = grammar::Advance(g, stacks, std::string_view(&c, 1));
    if (next.empty()) continue;
    prefix.push_back(c);
    Finishes(g, next, prefix, out);
    prefix.pop_back();
  }
}

// Tokens in the subtree below `node` (longer than its prefix).
void CollectBelow(const TokenTrie& trie, uint32_t node, std::vector<int32_t>& out) {
  const TokenTrie::Node& parent = trie.nodes[node];
  for (uint32_t c = parent.first_child; c < parent.first_child + parent.num_children; ++c) {
    const TokenTrie::Node& child = trie.nodes[c];
    out.insert(out.end(), trie.token_ids.begin() + child.tokens_begin,
               trie.token_ids.begin() + child.tokens_begin + child.num_tokens);
    CollectBelow(trie, c, out);
  }
}

// Tokens whose bytes start with `prefix` and are longer.
std::vector<int32_t> TokensExtending(const TokenTrie& trie, std::string_view prefix) {
  uint32_t node = 0;
  for (char byte : prefix) {
    const TokenTrie::Node& parent = trie.nodes[node];
    uint32_t next = 0;
    for (uint32_t c = parent.first_child; c < parent.first_child + parent.num_children; ++c) {
      if (trie.nodes[c].byte == static_cast<uint8_t>(byte)) next = c;
    }
    if (next == 0) return {};
    node = next;
  }
  std::vector<int32_t> out;
  CollectBelow(trie, node, out);
  return out;
}

TokenBitmask AllTokens(int32_t size) {
  TokenBitmask mask(size);
  for (int32_t id = 0; id < size; ++id) mask.Set(id);
  return mask;
}

// The free-text mask after `partial` trigger bytes; `first` reads tokens with their first-token bytes.
TokenBitmask FreeMask(const TriggeredGrammar::Impl& impl, uint32_t partial, bool first) {
  const GrammarVocabulary& vocab = impl.vocabulary();
  TokenBitmask mask = AllTokens(vocab.vocab_size());
  const char last = impl.trigger.back();
  for (int32_t id = 0; id < vocab.vocab_size(); ++id) {
    const std::string_view bytes = first ? vocab.FirstBytes(id) : vocab.Bytes(id);
    if (bytes.find(last) == std::string_view::npos) continue;
    TriggerCursor cursor{.partial = partial};
    if (!impl.Feed(cursor, bytes)) mask.Clear(id);
  }
  return mask;
}

// True when some stack has finished the value and is at (or before) the closing text.
bool AtClosing(const TriggeredGrammar::Impl& impl, const std::vector<Stack>& stacks) {
  if (impl.after_part < 0) return false;
  const auto after = static_cast<uint32_t>(impl.after_part);
  for (const Stack& stack : stacks) {
    if (stack.depth == 0) continue;
    const uint32_t next = stack.frames[0].y;
    if (next > after || (next == after && stack.depth == 1)) return true;
  }
  return false;
}

}  // namespace

bool TriggeredGrammar::Impl::Feed(TriggerCursor& cursor, std::string_view bytes) const {
  const grammar::Grammar& g = body->impl().grammar;
  for (char byte : bytes) {
    if (!cursor.inside) {
      cursor.partial = NextPartial(trigger, cursor.partial, byte);
      if (cursor.partial < trigger.size()) continue;
      cursor.inside = true;
      cursor.partial = 0;
      cursor.stacks = triggered;  // the start, or past the trigger's bytes when they begin the value
      continue;
    }
    cursor.stacks = grammar::Advance(g, std::move(cursor.stacks), std::string_view(&byte, 1));
    if (cursor.stacks.empty()) return false;
    if (!grammar::AnyAccepting(g, cursor.stacks)) continue;
    cursor.inside = false;
    cursor.stacks.clear();
    ++cursor.completed;
  }
  return true;
}

std::shared_ptr<const TokenBitmask> TriggeredGrammar::Impl::InsideMask(const std::vector<Stack>& stacks) const {
  const CompiledGrammar::Impl& compiled = body->impl();
  std::shared_ptr<const TokenBitmask> base = compiled.Mask(stacks, /*first=*/false);
  if (!AtClosing(*this, stacks)) return base;
  std::string key;
  for (const Stack& stack : stacks) compiled.grammar.AppendKey(stack, vocabulary().horizon(), key);
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = closing.find(key); it != closing.end()) return it->second;
  }
  auto mask = std::make_shared<TokenBitmask>(*base);
  std::vector<std::string> finishes;
  std::string prefix;
  Finishes(compiled.grammar, stacks, prefix, finishes);
  for (const std::string& finish : finishes) {
    for (int32_t id : TokensExtending(vocabulary().all(), finish)) {
      TriggerCursor cursor;
      if (Feed(cursor, vocabulary().Bytes(id).substr(finish.size()))) mask->Set(id);
    }
  }
  std::lock_guard<std::mutex> lock(mutex);
  closing.emplace(std::move(key), mask);
  return mask;
}

TriggeredGrammar::TriggeredGrammar(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TriggeredGrammar::~TriggeredGrammar() = default;
int32_t TriggeredGrammar::vocab_size() const { return impl_->body->vocab_size(); }
const std::string& TriggeredGrammar::trigger() const { return impl_->trigger; }

size_t TriggeredGrammar::cached_masks() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->closing.size() + impl_->body->cached_masks();
}

absl::StatusOr<std::shared_ptr<const TriggeredGrammar>> TriggeredGrammar::Compile(
    const TriggeredGrammarSpec& spec, std::shared_ptr<const GrammarVocabulary> vocabulary) {
  if (spec.trigger.empty()) return absl::InvalidArgumentError("triggered grammar: the trigger is empty");
  if (vocabulary == nullptr) return absl::InvalidArgumentError("triggered grammar: no vocabulary");
  CATENA_RETURN_IF_ERROR(CheckPrefixFree(spec.after));
  CATENA_ASSIGN_OR_RETURN(grammar::Grammar g, CompileSchemaToGrammar(spec.schema_json));
  grammar::Node sequence;
  sequence.kind = grammar::Kind::kSequence;
  sequence.alternatives = {AddLiterals(g, spec.before.empty() ? std::vector<std::string>{""} : spec.before), g.root};
  auto impl = std::make_unique<Impl>();
  if (!spec.after.empty()) {
    impl->after_part = static_cast<int32_t>(sequence.alternatives.size());
    sequence.alternatives.push_back(AddLiterals(g, spec.after));
  }
  g.nodes.push_back(std::move(sequence));
  g.root = static_cast<int32_t>(g.nodes.size() - 1);
  CATENA_ASSIGN_OR_RETURN(impl->body, CompiledGrammarFrom(std::move(g), std::move(vocabulary)));
  impl->trigger = spec.trigger;
  impl->triggered = impl->body->impl().start;
  if (spec.trigger_starts_value) {
    impl->triggered = grammar::Advance(impl->body->impl().grammar, impl->triggered, spec.trigger);
    if (impl->triggered.empty() || grammar::AnyAccepting(impl->body->impl().grammar, impl->triggered)) {
      return absl::InvalidArgumentError(
          absl::StrCat("triggered grammar: the value cannot start with the trigger ", spec.trigger));
    }
  }
  impl->trigger_tokens = spec.trigger_tokens;
  std::sort(impl->trigger_tokens.begin(), impl->trigger_tokens.end());
  const int32_t size = impl->body->vocab_size();
  for (uint32_t partial = 0; partial < spec.trigger.size(); ++partial) {
    impl->free_masks.push_back(FreeMask(*impl, partial, /*first=*/false));
    impl->free_full.push_back(impl->free_masks.back().Count() == size);
  }
  impl->free_first = FreeMask(*impl, 0, /*first=*/true);
  impl->free_first_full = impl->free_first.Count() == size;
  return std::make_shared<const TriggeredGrammar>(std::move(impl));
}

}  // namespace catena::inference
