// Token masks by walking the vocabulary's byte trie in lockstep with the automaton: a subtree is pruned as
// soon as no stack survives its prefix. Inside string text, the plain-text tokens come from a precomputed
// set and only the other tokens are walked. Masks are cached per automaton state in the CompiledGrammar.
#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/grammar_internal.h"

namespace catena::inference {
namespace {

using grammar::AnyAccepting;
using grammar::Stack;

constexpr size_t kMaxCacheBytes = size_t{64} << 20;  // per compiled grammar; the cache restarts when full

class TrieWalker {
 public:
  TrieWalker(const grammar::Grammar& grammar, TokenBitmask& mask) : grammar_(grammar), mask_(mask) {}

  void Walk(const TokenTrie& trie, const std::vector<Stack>& stacks) {
    if (levels_.empty()) levels_.resize(1);
    levels_[0] = stacks;
    Visit(trie, 0, 0);
  }

 private:
  void Visit(const TokenTrie& trie, uint32_t node, size_t depth) {
    if (levels_.size() < depth + 2) levels_.resize(depth + 2);
    const TokenTrie::Node& parent = trie.nodes[node];
    for (uint32_t c = parent.first_child; c < parent.first_child + parent.num_children; ++c) {
      const TokenTrie::Node& child = trie.nodes[c];
      std::vector<Stack>& next = levels_[depth + 1];
      next.clear();
      for (const Stack& stack : levels_[depth]) grammar_.Step(stack, child.byte, next);
      if (next.empty()) continue;
      for (uint32_t t = child.tokens_begin; t < child.tokens_begin + child.num_tokens; ++t) {
        mask_.Set(trie.token_ids[t]);
      }
      if (child.num_children > 0) Visit(trie, c, depth + 1);
    }
  }

  const grammar::Grammar& grammar_;
  TokenBitmask& mask_;
  std::vector<std::vector<Stack>> levels_;
};

TokenBitmask ComputeMask(const CompiledGrammar::Impl& impl, const std::vector<Stack>& stacks, bool first) {
  const GrammarVocabulary& vocab = *impl.vocabulary;
  TokenBitmask mask(vocab.vocab_size());
  TrieWalker walker(impl.grammar, mask);
  std::vector<Stack> full;
  for (const Stack& stack : stacks) {
    uint32_t remaining = 0;
    if (!impl.grammar.InPlainString(stack, remaining)) {
      full.push_back(stack);
      continue;
    }
    vocab.AddPlain(remaining, mask);
    walker.Walk(vocab.not_plain(), {stack});
  }
  if (!full.empty()) walker.Walk(vocab.all(), full);
  if (first) {  // tokens that read differently at the start of an output (SentencePiece's leading space)
    for (int32_t id : vocab.first_differs()) mask.Clear(id);
    for (int32_t id : vocab.first_empty()) mask.Set(id);  // a lone "▁": no bytes, ends the first-token rule
    walker.Walk(vocab.first(), stacks);
  }
  if (AnyAccepting(impl.grammar, stacks)) {
    for (int32_t id : vocab.end_of_generation()) mask.Set(id);
  }
  return mask;
}

}  // namespace

namespace grammar {

std::vector<Stack> Advance(const Grammar& grammar, std::vector<Stack> stacks, std::string_view bytes) {
  std::vector<Stack> next;
  for (char c : bytes) {
    next.clear();
    for (const Stack& stack : stacks) grammar.Step(stack, static_cast<uint8_t>(c), next);
    std::vector<Stack> unique;
    for (const Stack& stack : next) {
      bool seen = false;
      for (const Stack& kept : unique) seen = seen || kept == stack;
      if (!seen) unique.push_back(stack);
    }
    stacks.swap(unique);
    if (stacks.empty()) break;
  }
  return stacks;
}

bool AnyAccepting(const Grammar& grammar, const std::vector<Stack>& stacks) {
  for (const Stack& stack : stacks) {
    if (grammar.Accepting(stack)) return true;
  }
  return false;
}

}  // namespace grammar

std::shared_ptr<const TokenBitmask> CompiledGrammar::Impl::Mask(const std::vector<Stack>& stacks, bool first) const {
  std::string key(1, first ? 'F' : 'N');
  for (const Stack& stack : stacks) grammar.AppendKey(stack, vocabulary->horizon(), key);
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  auto mask = std::make_shared<const TokenBitmask>(ComputeMask(*this, stacks, first));
  std::lock_guard<std::mutex> lock(mutex);
  if ((cache.size() + 1) * (mask->words().size() * 8 + 64) > kMaxCacheBytes) cache.clear();
  cache.emplace(std::move(key), mask);
  return mask;
}

CompiledGrammar::CompiledGrammar(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CompiledGrammar::~CompiledGrammar() = default;
int32_t CompiledGrammar::vocab_size() const { return impl_->vocabulary->vocab_size(); }
size_t CompiledGrammar::cached_masks() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->cache.size();
}

std::shared_ptr<const GrammarVocabulary> BuildGrammarVocabulary(const TextTokenizer& tokenizer) {
  return GrammarVocabulary::Build(tokenizer);
}

absl::StatusOr<std::shared_ptr<const CompiledGrammar>> CompileJsonSchema(
    std::string_view schema_json, std::shared_ptr<const GrammarVocabulary> vocabulary) {
  if (vocabulary == nullptr) return absl::InvalidArgumentError("CompileJsonSchema: no vocabulary");
  CATENA_ASSIGN_OR_RETURN(grammar::Grammar compiled, CompileSchemaToGrammar(schema_json));
  return CompiledGrammarFrom(std::move(compiled), std::move(vocabulary));
}

absl::StatusOr<std::shared_ptr<const CompiledGrammar>> CompiledGrammarFrom(
    grammar::Grammar compiled, std::shared_ptr<const GrammarVocabulary> vocabulary) {
  auto impl = std::make_unique<CompiledGrammar::Impl>();
  impl->grammar = std::move(compiled);
  impl->vocabulary = std::move(vocabulary);
  impl->grammar.Start(Stack{}, impl->grammar.root, impl->start);
  if (impl->start.empty()) return absl::InvalidArgumentError("#: the schema nests deeper than the matcher allows");
  return std::make_shared<const CompiledGrammar>(std::move(impl));
}

absl::StatusOr<std::shared_ptr<const CompiledGrammar>> CompileJsonSchema(std::string_view schema_json,
                                                                         const TextTokenizer& tokenizer) {
  return CompileJsonSchema(schema_json, BuildGrammarVocabulary(tokenizer));
}

struct GrammarMatcher::State {
  std::vector<Stack> stacks;
  bool first = true;
  bool terminated = false;
  std::shared_ptr<const TokenBitmask> mask;
};

GrammarMatcher::GrammarMatcher(std::shared_ptr<const CompiledGrammar> grammar)
    : grammar_(std::move(grammar)), state_(std::make_unique<State>()) {
  Reset();
}
GrammarMatcher::~GrammarMatcher() = default;
GrammarMatcher::GrammarMatcher(const GrammarMatcher& other)
    : grammar_(other.grammar_), state_(std::make_unique<State>(*other.state_)) {}
GrammarMatcher& GrammarMatcher::operator=(const GrammarMatcher& other) {
  if (this != &other) {
    grammar_ = other.grammar_;
    state_ = std::make_unique<State>(*other.state_);
  }
  return *this;
}
GrammarMatcher::GrammarMatcher(GrammarMatcher&&) noexcept = default;
GrammarMatcher& GrammarMatcher::operator=(GrammarMatcher&&) noexcept = default;

void GrammarMatcher::Reset() {
  *state_ = State{};
  state_->stacks = grammar_->impl().start;
}

const TokenBitmask& GrammarMatcher::AllowedTokens() {
  if (state_->mask == nullptr) {
    state_->mask = state_->terminated ? std::make_shared<const TokenBitmask>(grammar_->vocab_size())
                                      : grammar_->impl().Mask(state_->stacks, state_->first);
  }
  return *state_->mask;
}

absl::Status GrammarMatcher::Accept(int32_t token) {
  if (state_->terminated) return absl::FailedPreconditionError("the output already ended");
  const CompiledGrammar::Impl& impl = grammar_->impl();
  const GrammarVocabulary& vocab = *impl.vocabulary;
  if (token < 0 || token >= vocab.vocab_size()) {
    return absl::InvalidArgumentError(absl::StrCat("token ", token, " is outside the vocabulary"));
  }
  const bool end = std::find(vocab.end_of_generation().begin(), vocab.end_of_generation().end(), token) !=
                   vocab.end_of_generation().end();
  if (end) {
    if (!IsComplete()) return absl::InvalidArgumentError("end of generation before the JSON value is complete");
    state_->terminated = true;
    state_->mask = nullptr;
    return absl::OkStatus();
  }
  const std::string_view bytes = state_->first ? vocab.FirstBytes(token) : vocab.Bytes(token);
  // A token with no bytes (SentencePiece's lone "▁" at the start) only ends the first-token rule.
  const bool skip = bytes.empty() && state_->first && !vocab.Bytes(token).empty();
  std::vector<Stack> next = skip            ? state_->stacks
                            : bytes.empty() ? std::vector<Stack>{}
                                            : grammar::Advance(impl.grammar, state_->stacks, bytes);
  if (next.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("token ", token, " (\"", absl::CEscape(std::string(bytes)),
                                                   "\") is not allowed here by the schema"));
  }
  state_->stacks = std::move(next);
  state_->first = false;
  state_->mask = nullptr;
  return absl::OkStatus();
}

bool GrammarMatcher::IsComplete() const {
  return state_->terminated || AnyAccepting(grammar_->impl().grammar, state_->stacks);
}

bool GrammarMatcher::IsTerminated() const { return state_->terminated; }

namespace {

// The bytes the grammar forces from `stacks` (each step has exactly one possible byte and the value cannot
// end there), at most 256.
std::string ForcedBytes(const grammar::Grammar& grammar, std::vector<Stack> stacks) {
  std::string forced;
  std::vector<Stack> next, only;
  while (forced.size() < 256 && !AnyAccepting(grammar, stacks)) {
    int found = -1;
    for (int b = 0; b < 256 && found != -2; ++b) {
      next.clear();
      for (const Stack& stack : stacks) grammar.Step(stack, static_cast<uint8_t>(b), next);
      if (next.empty()) continue;
      if (found >= 0)
        found = -2;
      else
        found = b, only.swap(next);
    }
    if (found < 0) break;
    forced.push_back(static_cast<char>(found));
    stacks.swap(only);
  }
  return forced;
}

}  // namespace

std::vector<int32_t> GrammarMatcher::ForcedTokens() const {
  if (state_->terminated) return {};
  const CompiledGrammar::Impl& impl = grammar_->impl();
  const std::string forced = ForcedBytes(impl.grammar, state_->stacks);
  const TokenTrie& trie = impl.vocabulary->all();
  std::vector<int32_t> tokens;
  for (size_t pos = 0; pos < forced.size();) {
    uint32_t node = 0;
    int32_t best = -1;
    size_t best_length = 0;
    for (size_t i = pos; i < forced.size(); ++i) {
      const TokenTrie::Node& parent = trie.nodes[node];
      uint32_t child = parent.first_child + parent.num_children;
      for (uint32_t c = parent.first_child; c < parent.first_child + parent.num_children; ++c) {
        if (trie.nodes[c].byte == static_cast<uint8_t>(forced[i])) child = c;
      }
      if (child == parent.first_child + parent.num_children) break;
      node = child;
      const TokenTrie::Node& here = trie.nodes[node];
      if (here.num_tokens == 0) continue;
      const int32_t id = trie.token_ids[here.tokens_begin + here.num_tokens - 1];  // byte-fallback ids come first
      if (state_->first && tokens.empty() && impl.vocabulary->FirstBytes(id) != impl.vocabulary->Bytes(id)) continue;
      best = id;
      best_length = i + 1 - pos;
    }
    if (best < 0) break;
    tokens.push_back(best);
    pos += best_length;
  }
  return tokens;
}

void GrammarMatcher::ApplyMask(std::span<float> logits) { ApplyTokenMask(AllowedTokens(), logits); }

}  // namespace catena::inference
