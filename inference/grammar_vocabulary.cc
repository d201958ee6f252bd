#include "inference/grammar_vocabulary.h"

#include <algorithm>
#include <numeric>

namespace catena::inference {
namespace {

// Code points of `bytes` when it is plain JSON string text (no quote, backslash or control character, only
// complete and valid UTF-8); -1 otherwise.
int32_t PlainCodePoints(std::string_view bytes) {
  int32_t count = 0;
  for (size_t i = 0; i < bytes.size(); ++count) {
    const uint8_t b = static_cast<uint8_t>(bytes[i]);
    if (b < 0x80) {
      if (b < 0x20 || b == '"' || b == '\\') return -1;
      ++i;
      continue;
    }
    // Continuation bytes after lead `b`, and the range of the first one (no overlongs, surrogates or > U+10FFFF).
    const size_t need = b >= 0xC2 && b <= 0xDF ? 1 : b >= 0xE0 && b <= 0xEF ? 2 : b >= 0xF0 && b <= 0xF4 ? 3 : 0;
    if (need == 0) return -1;
    const uint8_t low = b == 0xE0 ? 0xA0 : b == 0xF0 ? 0x90 : 0x80;
    const uint8_t high = b == 0xED ? 0x9F : b == 0xF4 ? 0x8F : 0xBF;
    if (i + need >= bytes.size()) return -1;
    for (size_t k = 1; k <= need; ++k) {
      const uint8_t c = static_cast<uint8_t>(bytes[i + k]);
      if (c < (k == 1 ? low : 0x80) || c > (k == 1 ? high : 0xBF)) return -1;
    }
    i += need + 1;
  }
  return count;
}

void BuildRange(std::vector<std::pair<std::string_view, int32_t>>& tokens, size_t lo, size_t hi, size_t depth,
                uint32_t node, TokenTrie& trie) {
  trie.nodes[node].tokens_begin = static_cast<uint32_t>(trie.token_ids.size());
  while (lo < hi && tokens[lo].first.size() == depth) trie.token_ids.push_back(tokens[lo++].second);
  trie.nodes[node].num_tokens = static_cast<uint16_t>(trie.token_ids.size() - trie.nodes[node].tokens_begin);
  std::vector<std::pair<size_t, size_t>> groups;
  for (size_t i = lo; i < hi;) {
    size_t j = i + 1;
    while (j < hi && tokens[j].first[depth] == tokens[i].first[depth]) ++j;
    groups.emplace_back(i, j);
    i = j;
  }
  const uint32_t first = static_cast<uint32_t>(trie.nodes.size());
  trie.nodes[node].first_child = first;
  trie.nodes[node].num_children = static_cast<uint16_t>(groups.size());
  trie.nodes.resize(trie.nodes.size() + groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    trie.nodes[first + g].byte = static_cast<uint8_t>(tokens[groups[g].first].first[depth]);
    BuildRange(tokens, groups[g].first, groups[g].second, depth + 1, first + static_cast<uint32_t>(g), trie);
  }
}

}  // namespace

TokenTrie TokenTrie::Build(std::vector<std::pair<std::string_view, int32_t>> tokens) {
  std::sort(tokens.begin(), tokens.end());
  TokenTrie trie;
  trie.nodes.emplace_back();
  BuildRange(tokens, 0, tokens.size(), 0, 0, trie);
  return trie;
}

std::shared_ptr<const GrammarVocabulary> GrammarVocabulary::Build(const TextTokenizer& tokenizer) {
  auto vocab = std::make_shared<GrammarVocabulary>();
  vocab->ReadTokens(tokenizer);
  vocab->BuildTries();
  return vocab;
}

void GrammarVocabulary::ReadTokens(const TextTokenizer& tokenizer) {
  vocab_size_ = tokenizer.vocab_size();
  offsets_.push_back(0);
  std::string bytes, first;
  for (int32_t id = 0; id < vocab_size_; ++id) {
    if (tokenizer.IsEndOfGeneration(id)) end_of_generation_.push_back(id);
    bytes.clear();
    first.clear();
    if (!tokenizer.IsSpecial(id)) {
      tokenizer.AppendTokenBytes(id, false, true, bytes);
      tokenizer.AppendTokenBytes(id, true, true, first);
    }
    bytes_ += bytes;
    offsets_.push_back(static_cast<uint32_t>(bytes_.size()));
    horizon_ = std::max<uint32_t>(horizon_, static_cast<uint32_t>(bytes.size()) + 1);
    if (first == bytes) continue;
    first_differs_.push_back(id);
    if (first.empty()) first_empty_.push_back(id);
    first_bytes_[id] = first;
  }
}

void GrammarVocabulary::BuildTries() {
  all_plain_ = TokenBitmask(vocab_size_);
  std::vector<std::pair<std::string_view, int32_t>> all, not_plain, first;
  std::vector<std::pair<uint32_t, int32_t>> plain;
  for (int32_t id = 0; id < vocab_size_; ++id) {
    const std::string_view bytes = Bytes(id);
    if (bytes.empty()) continue;
    all.emplace_back(bytes, id);
    const int32_t code_points = PlainCodePoints(bytes);
    if (code_points < 0) {
      not_plain.emplace_back(bytes, id);
    } else {
      plain.emplace_back(static_cast<uint32_t>(code_points), id);
      all_plain_.Set(id);
    }
  }
  std::sort(plain.begin(), plain.end());
  for (const auto& [length, id] : plain) {
    plain_lengths_.push_back(length);
    plain_by_length_.push_back(id);
  }
  for (int32_t id : first_differs_) {
    if (!FirstBytes(id).empty()) first.emplace_back(FirstBytes(id), id);
  }
  first_ = TokenTrie::Build(std::move(first));
  all_ = TokenTrie::Build(std::move(all));
  not_plain_ = TokenTrie::Build(std::move(not_plain));
}

std::string_view GrammarVocabulary::Bytes(int32_t id) const {
  if (id < 0 || id >= vocab_size_) return {};
  return std::string_view(bytes_).substr(offsets_[id], offsets_[id + 1] - offsets_[id]);
}

std::string_view GrammarVocabulary::FirstBytes(int32_t id) const {
  auto it = first_bytes_.find(id);
  return it == first_bytes_.end() ? Bytes(id) : std::string_view(it->second);
}

void GrammarVocabulary::AddPlain(uint32_t max_code_points, TokenBitmask& mask) const {
  if (!plain_lengths_.empty() && max_code_points >= plain_lengths_.back()) {
    mask.Or(all_plain_);
    return;
  }
  for (size_t i = 0; i < plain_lengths_.size() && plain_lengths_[i] <= max_code_points; ++i) {
    mask.Set(plain_by_length_[i]);
  }
}

}  // namespace catena::inference
