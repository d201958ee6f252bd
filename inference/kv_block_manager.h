// KvBlockManager: which KV blocks each sequence of the engine owns, with automatic prefix caching. A full
// block is identified by a hash of its tokens and of the block before it, so two requests that start with the
// same system prompt or retrieved context share those blocks and compute them once. Blocks nobody uses stay
// cached until memory is needed, then the least recently used is evicted. Not thread-safe: the engine's step
// loop owns it.
#pragma once

#include <cstdint>
#include <list>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

namespace catena::inference {

class KvBlockManager {
 public:
  KvBlockManager(int64_t num_blocks, int64_t block_size);

  int64_t block_size() const { return block_size_; }
  int64_t num_blocks() const { return static_cast<int64_t>(blocks_.size()); }
  // Blocks held by at least one sequence.
  int64_t used_blocks() const { return used_blocks_; }
  // Blocks that a new allocation could take (free plus evictable cached blocks).
  int64_t available_blocks() const { return num_blocks() - used_blocks_; }

  // Starts a sequence whose first tokens are `prompt`: reuses the cached blocks of its longest cached prefix of
  // full blocks (never the whole prompt: its last token is always computed, for logits) and returns the number
  // of positions already computed. The sequence's table then holds those blocks.
  int64_t StartSequence(int64_t sequence, std::span<const int32_t> prompt);
  // Makes sure the sequence's table covers `positions` positions; false (and nothing changed) when there are
  // not enough blocks.
  bool Reserve(int64_t sequence, int64_t positions);
  // Records that the sequence's tokens[0, computed) are in the cache: full blocks become shareable.
  void MarkComputed(int64_t sequence, std::span<const int32_t> tokens, int64_t computed);
  // Releases the sequence's blocks (cached ones stay for reuse until evicted).
  void Free(int64_t sequence);
  const std::vector<int32_t>& Table(int64_t sequence) const;

  // Prefix-cache statistics: full prompt blocks (but the last token's) of started sequences, and those of them
  // found cached; hits / lookups is the hit rate.
  int64_t lookups() const { return lookups_; }
  int64_t hits() const { return hits_; }

 private:
  struct Block {
    int32_t refs = 0;
    std::optional<uint64_t> hash;            // set once the block is full and registered
    std::list<int32_t>::iterator lru;        // position in evictable_ when refs == 0 and hash is set
  };
  struct Sequence {
    std::vector<int32_t> table;
    int64_t registered_blocks = 0;  // leading blocks whose hash is known
    uint64_t last_hash = 0;
  };
  std::optional<int32_t> TakeBlock();
  void Release(int32_t block);
  void Acquire(int32_t block);
  uint64_t HashBlock(uint64_t parent, std::span<const int32_t> tokens) const;

  int64_t block_size_;
  std::vector<Block> blocks_;
  std::vector<int32_t> free_;
  std::list<int32_t> evictable_;  // cached blocks with no users, least recently used first
  std::unordered_map<uint64_t, int32_t> cached_;
  std::unordered_map<int64_t, Sequence> sequences_;
  int64_t used_blocks_ = 0;
  int64_t lookups_ = 0;
  int64_t hits_ = 0;
};

}  // namespace catena::inference
