// RetrievalEngine: the retrieval component's entry point. Owns the RocksDB database and every tenant's open
// collections; creates, lists, finds and deletes them. Tenants are a hard boundary: every call names its
// tenant and never sees another's collections. Thread-safe; collections are shared_ptrs that stay valid
// while a caller uses them, even if the collection is deleted meanwhile.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/embedder_registry.h"
#include "retrieval/collection.h"
#include "retrieval/collection_searcher.h"
#include "retrieval/document_store.h"

namespace catena::retrieval {

struct RetrievalOptions {
  // Database at <data_dir>/retrieval/db, index snapshots at <data_dir>/retrieval/indexes.
  std::filesystem::path data_dir;
  bool sync_writes = false;
  // Embedders collections may name; may be null (then every document needs a vector).
  std::shared_ptr<const inference::EmbedderRegistry> embedders;
};

struct CollectionPage {
  std::vector<std::shared_ptr<Collection>> collections;
  std::string next_page_token;
};

class RetrievalEngine final : public CollectionSearcher {
 public:
  // Opens the database and every collection in it (loading index snapshots, replaying change logs).
  static absl::StatusOr<std::unique_ptr<RetrievalEngine>> Open(RetrievalOptions options);
  // Snapshots every collection's vector index.
  ~RetrievalEngine();

  // INVALID_ARGUMENT for a bad name or spec (naming the field), ALREADY_EXISTS for a taken name.
  absl::StatusOr<CollectionInfo> CreateCollection(const std::string& tenant, const std::string& name,
                                                  CollectionSpec spec);
  // NOT_FOUND naming the collection.
  absl::StatusOr<std::shared_ptr<Collection>> Find(const std::string& tenant, const std::string& name) const;
  // CollectionSearcher: Find(tenant, name)->info() and ->Search(query).
  absl::StatusOr<CollectionInfo> Describe(const std::string& tenant, const std::string& name) const override;
  absl::StatusOr<std::vector<SearchResult>> Search(const std::string& tenant, const std::string& name,
                                                   const SearchQuery& query) const override;
  // In name order; page_size 1..1000, the token is the last name of the previous page.
  CollectionPage List(const std::string& tenant, int page_size, const std::string& page_token) const;
  absl::Status DeleteCollection(const std::string& tenant, const std::string& name);
  // Saves every vector index snapshot and trims the change logs.
  absl::Status SnapshotAll();

  const RetrievalDb& db() const { return *db_; }

 private:
  explicit RetrievalEngine(RetrievalOptions options) : options_(std::move(options)) {}
  absl::Status OpenCollections();
  absl::StatusOr<std::shared_ptr<const inference::Embedder>> ResolveEmbedder(CollectionSpec& spec) const;
  std::filesystem::path IndexDir() const;

  const RetrievalOptions options_;
  std::unique_ptr<RetrievalDb> db_;
  mutable std::mutex mutex_;  // guards collections_ and next_uid_
  std::map<std::pair<std::string, std::string>, std::shared_ptr<Collection>> collections_;
  int64_t next_uid_ = 1;
};

// Names of collections (and tenants' other objects): [A-Za-z0-9][A-Za-z0-9_.-]{0,127}.
absl::Status ValidateName(const std::string& name, const std::string& field);

}  // namespace catena::retrieval
