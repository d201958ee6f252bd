// On-disk layout of a word vector table (internal to word_vectors*.cc). Little-endian, one file:
//   [header][word_offsets: (count+1) x u64][strings][pad to 64][index: count x WordVectorIndexEntry sorted by
//   word bytes][pad to 64][vectors: count x dimension x f32, row r = word of rank r]
// word_offsets[r]..word_offsets[r+1] are the bytes of the word of rank r inside `strings`.
#pragma once

#include <cstdint>

namespace catena::inference {

inline constexpr char kWordVectorMagic[8] = {'C', 'T', 'N', 'W', 'V', 'E', 'C', '\0'};
inline constexpr uint32_t kWordVectorVersion = 1;
inline constexpr uint32_t kMaxWordVectorDimension = 4096;

struct WordVectorFileHeader {
  char magic[8];
  uint32_t version;
  uint32_t dimension;
  uint64_t count;
  uint64_t offsets_offset;  // (count + 1) x u64
  uint64_t strings_offset;
  uint64_t strings_size;
  uint64_t index_offset;    // count x WordVectorIndexEntry
  uint64_t vectors_offset;  // count x dimension x f32
  uint64_t file_size;
};
static_assert(sizeof(WordVectorFileHeader) == 72);

// Binary-search entry: the rank of a word; entries are sorted by the word's bytes.
struct WordVectorIndexEntry {
  uint32_t rank;
};

}  // namespace catena::inference
