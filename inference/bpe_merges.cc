#include "inference/bpe_merges.h"

#include <queue>

namespace catena::inference {
namespace {

struct Candidate {
  int32_t rank;
  int32_t left;  // index of the left symbol (its original position)
  int32_t left_id;
  int32_t right_id;
  bool operator>(const Candidate& other) const {
    return rank != other.rank ? rank > other.rank : left > other.left;
  }
};

}  // namespace

void BpeMerger::AddMerge(int32_t left, int32_t right, int32_t merged, int32_t rank) {
  merges_.try_emplace(Key(left, right), MergeResult{rank, merged});
}

const BpeMerger::MergeResult* BpeMerger::Find(int32_t left, int32_t right) const {
  auto it = merges_.find(Key(left, right));
  return it == merges_.end() ? nullptr : &it->second;
}

void BpeMerger::Merge(std::vector<int32_t>& symbols) const {
  const int32_t n = static_cast<int32_t>(symbols.size());
  if (n < 2) return;
  std::vector<int32_t> next(n);
  std::vector<int32_t> prev(n);
  for (int32_t i = 0; i < n; ++i) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  const auto push = [&](int32_t left) {
    if (left < 0 || next[left] < 0) return;
    if (const MergeResult* m = Find(symbols[left], symbols[next[left]])) {
      queue.push({m->rank, left, symbols[left], symbols[next[left]]});
    }
  };
  for (int32_t i = 0; i + 1 < n; ++i) push(i);
  std::vector<uint8_t> alive(n, 1);
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    const int32_t right = next[top.left];
    if (!alive[top.left] || right < 0 || symbols[top.left] != top.left_id || symbols[right] != top.right_id) {
      continue;
    }
    symbols[top.left] = Find(top.left_id, top.right_id)->merged;
    alive[right] = 0;
    next[top.left] = next[right];
    if (next[right] >= 0) prev[next[right]] = top.left;
    push(prev[top.left]);
    push(top.left);
  }
  int32_t out = 0;
  for (int32_t i = 0; i < n; ++i) {
    if (alive[i]) symbols[out++] = symbols[i];
  }
  symbols.resize(out);
}

bool WordCache::Lookup(std::string_view word, std::vector<int32_t>& ids) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(absl::string_view(word.data(), word.size()));
  if (it == entries_.end()) return false;
  ids.insert(ids.end(), it->second.begin(), it->second.end());
  return true;
}

void WordCache::Insert(std::string_view word, const std::vector<int32_t>& word_ids) const {
  if (word.size() > kMaxWordBytes) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_.try_emplace(std::string(word), word_ids);
}

}  // namespace catena::inference
