// The retrieval component's RocksDB database: one DB under <data_dir>/retrieval with a column family per
// concern, and the codec of stored documents. Collection-scoped keys start with the collection's uid (an
// ordered int64 that is never reused), so deleting a collection is one DeleteRange per column family and a
// re-created collection never sees old data. Thread-safe (RocksDB is); callers serialize writes per collection.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace catena::retrieval {

// One chunk as stored: the client's id, the internal document number, text, metadata and vector.
struct StoredDocument {
  std::string id;
  int64_t number = -1;
  std::string text;
  std::string source;
  std::string position;
  nlohmann::json metadata = nlohmann::json::object();
  std::vector<float> embedding;
};

// CBOR encoding of a StoredDocument (the number is the key, not stored in the value).
std::string EncodeDocument(const StoredDocument& document);
absl::StatusOr<StoredDocument> DecodeDocument(std::string_view bytes, int64_t number);

struct RetrievalDbOptions {
  // fsync the WAL on every write (survives power loss); off = WAL without fsync (survives kill -9).
  bool sync_writes = false;
};

class RetrievalDb {
 public:
  // Column families.
  enum Family { kMeta, kCollections, kDocuments, kIds, kChanges, kSources, kBm25, kFamilyCount };

  // Opens or creates the database at `path`.
  static absl::StatusOr<std::unique_ptr<RetrievalDb>> Open(const std::filesystem::path& path,
                                                           RetrievalDbOptions options);
  ~RetrievalDb();

  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* family(Family family) const { return families_[family]; }
  const std::filesystem::path& path() const { return path_; }

  // Applies `batch` atomically through the WAL.
  absl::Status Write(rocksdb::WriteBatch& batch) const;
  // The value at `key`, nullopt when absent.
  absl::StatusOr<std::optional<std::string>> Get(Family family, std::string_view key) const;
  // Deletes every key of `family` starting with `prefix` (into `batch`).
  absl::Status DeletePrefix(Family family, std::string_view prefix, rocksdb::WriteBatch& batch) const;
  // Calls visit(key, value) for each key of `family` starting with `prefix`, in key order, while it
  // returns true.
  absl::Status Scan(Family family, std::string_view prefix,
                    const std::function<bool(std::string_view key, std::string_view value)>& visit) const;
  // Physically drops deleted data (tests use it to prove erasure).
  absl::Status CompactAll() const;

 private:
  RetrievalDb() = default;

  std::filesystem::path path_;
  RetrievalDbOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> families_;
};

// The key prefix of everything a collection stores: its uid as an ordered int64.
std::string CollectionPrefix(int64_t uid);
// prefix + ordered(number).
std::string NumberKey(std::string_view prefix, int64_t number);

}  // namespace catena::retrieval
