#include "inference/kv_block_manager.h"

#include <cassert>

namespace catena::inference {

KvBlockManager::KvBlockManager(int64_t num_blocks, int64_t block_size)
    : block_size_(block_size), blocks_(num_blocks) {
  free_.reserve(num_blocks);
  for (int64_t i = num_blocks - 1; i >= 0; --i) free_.push_back(static_cast<int32_t>(i));
}

uint64_t KvBlockManager::HashBlock(uint64_t parent, std::span<const int32_t> tokens) const {
  uint64_t h = parent ^ 0x9e3779b97f4a7c15ULL;  // FNV-1a over the parent hash and token ids, then mixed
  for (int32_t token : tokens) {
    h = (h ^ static_cast<uint32_t>(token)) * 0x100000001b3ULL;
    h ^= h >> 29;
  }
  return h * 0xbf58476d1ce4e5b9ULL ^ (h >> 31);
}

void KvBlockManager::Acquire(int32_t block) {
  Block& b = blocks_[block];
  if (b.refs == 0) {
    if (b.hash.has_value()) evictable_.erase(b.lru);
    ++used_blocks_;
  }
  ++b.refs;
}

void KvBlockManager::Release(int32_t block) {
  Block& b = blocks_[block];
  assert(b.refs > 0);
  if (--b.refs > 0) return;
  --used_blocks_;
  if (b.hash.has_value()) {
    b.lru = evictable_.insert(evictable_.end(), block);
  } else {
    free_.push_back(block);
  }
}

std::optional<int32_t> KvBlockManager::TakeBlock() {
  int32_t block;
  if (!free_.empty()) {
    block = free_.back();
    free_.pop_back();
  } else if (!evictable_.empty()) {
    block = evictable_.front();
    evictable_.pop_front();
    cached_.erase(*blocks_[block].hash);
    blocks_[block].hash.reset();
  } else {
    return std::nullopt;
  }
  blocks_[block].refs = 1;
  ++used_blocks_;
  return block;
}

int64_t KvBlockManager::StartSequence(int64_t sequence, std::span<const int32_t> prompt) {
  Sequence& seq = sequences_[sequence];
  const int64_t reusable = prompt.empty() ? 0 : (static_cast<int64_t>(prompt.size()) - 1) / block_size_;
  lookups_ += reusable;  // every full block the prompt could take, as vLLM counts queries
  for (int64_t i = 0; i < reusable; ++i) {
    const uint64_t hash = HashBlock(seq.last_hash, prompt.subspan(i * block_size_, block_size_));
    auto found = cached_.find(hash);
    if (found == cached_.end()) break;
    ++hits_;
    Acquire(found->second);
    seq.table.push_back(found->second);
    seq.last_hash = hash;
    ++seq.registered_blocks;
  }
  return seq.registered_blocks * block_size_;
}

bool KvBlockManager::Reserve(int64_t sequence, int64_t positions) {
  Sequence& seq = sequences_[sequence];
  const int64_t needed = (positions + block_size_ - 1) / block_size_ - static_cast<int64_t>(seq.table.size());
  if (needed <= 0) return true;
  if (needed > available_blocks()) return false;
  for (int64_t i = 0; i < needed; ++i) seq.table.push_back(*TakeBlock());
  return true;
}

void KvBlockManager::MarkComputed(int64_t sequence, std::span<const int32_t> tokens, int64_t computed) {
  Sequence& seq = sequences_[sequence];
  const int64_t full = std::min<int64_t>(computed / block_size_, static_cast<int64_t>(seq.table.size()));
  for (; seq.registered_blocks < full; ++seq.registered_blocks) {
    const int64_t i = seq.registered_blocks;
    seq.last_hash = HashBlock(seq.last_hash, tokens.subspan(i * block_size_, block_size_));
    const int32_t block = seq.table[i];
    if (cached_.count(seq.last_hash) == 0 && !blocks_[block].hash.has_value()) {
      blocks_[block].hash = seq.last_hash;
      cached_[seq.last_hash] = block;
    }
  }
}

void KvBlockManager::Free(int64_t sequence) {
  auto found = sequences_.find(sequence);
  if (found == sequences_.end()) return;
  for (int32_t block : found->second.table) Release(block);
  sequences_.erase(found);
}

const std::vector<int32_t>& KvBlockManager::Table(int64_t sequence) const { return sequences_.at(sequence).table; }

}  // namespace catena::inference
