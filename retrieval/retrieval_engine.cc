#include "retrieval/retrieval_engine.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/request_context.h"
#include "common/status.h"
#include "spdlog/spdlog.h"
#include "storage/rocksdb_util.h"

namespace catena::retrieval {
namespace {

constexpr char kNextUidKey[] = "#next_uid";

std::string CatalogKey(const std::string& tenant, const std::string& name) {
  std::string key;
  storage::AppendKeyPart(key, tenant);
  key.append(name);
  return key;
}

nlohmann::json InfoToJson(const CollectionInfo& info) {
  return {{"tenant", info.tenant},
          {"name", info.name},
          {"uid", info.uid},
          {"spec", SpecToJson(info.spec)},
          {"created_at_unix_ms", info.created_at_unix_ms}};
}

absl::StatusOr<CollectionInfo> InfoFromJson(std::string_view bytes) {
  nlohmann::json json = nlohmann::json::parse(bytes, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("spec")) {
    return absl::DataLossError("collection catalog record is corrupt");
  }
  CollectionInfo info;
  info.tenant = json.value("tenant", "");
  info.name = json.value("name", "");
  info.uid = json.value("uid", int64_t{0});
  info.created_at_unix_ms = json.value("created_at_unix_ms", int64_t{0});
  CATENA_ASSIGN_OR_RETURN(info.spec, SpecFromJson(json["spec"]));
  return info;
}

}  // namespace

absl::Status ValidateName(const std::string& name, const std::string& field) {
  if (IsValidName(name, 128)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, " '", name, "' must match [A-Za-z0-9][A-Za-z0-9_.-]{0,127}"));
}

absl::StatusOr<std::unique_ptr<RetrievalEngine>> RetrievalEngine::Open(RetrievalOptions options) {
  auto engine = std::unique_ptr<RetrievalEngine>(new RetrievalEngine(std::move(options)));
  CATENA_ASSIGN_OR_RETURN(engine->db_, RetrievalDb::Open(engine->options_.data_dir / "retrieval" / "db",
                                                         {.sync_writes = engine->options_.sync_writes}));
  CATENA_RETURN_IF_ERROR(engine->OpenCollections());
  return engine;
}

RetrievalEngine::~RetrievalEngine() {
  if (db_ == nullptr) return;
  if (absl::Status status = SnapshotAll(); !status.ok()) {
    spdlog::warn("retrieval: index snapshot at shutdown failed ({}); indexes will be replayed at start",
                 status.ToString());
  }
  collections_.clear();
}

std::filesystem::path RetrievalEngine::IndexDir() const { return options_.data_dir / "retrieval" / "indexes"; }

absl::Status RetrievalEngine::OpenCollections() {
  CATENA_ASSIGN_OR_RETURN(std::optional<std::string> next_uid, db_->Get(RetrievalDb::kMeta, kNextUidKey));
  if (next_uid.has_value()) next_uid_ = storage::ReadOrderedInt64(*next_uid).value_or(1);
  std::vector<CollectionInfo> infos;
  absl::Status status;
  CATENA_RETURN_IF_ERROR(db_->Scan(RetrievalDb::kCollections, "", [&](std::string_view, std::string_view value) {
    auto info = InfoFromJson(value);
    if (!info.ok()) status = info.status();
    if (info.ok()) infos.push_back(*std::move(info));
    return status.ok();
  }));
  CATENA_RETURN_IF_ERROR(status);
  for (CollectionInfo& info : infos) {
    CATENA_ASSIGN_OR_RETURN(std::shared_ptr<const inference::Embedder> embedder, ResolveEmbedder(info.spec));
    const std::pair<std::string, std::string> key{info.tenant, info.name};
    auto collection = Collection::Open(db_.get(), std::move(info), std::move(embedder), IndexDir());
    if (!collection.ok()) return Annotate(collection.status(), absl::StrCat("open collection '", key.second, "'"));
    collections_[key] = std::move(*collection);
  }
  spdlog::debug("retrieval: opened {} collections from {}", collections_.size(), db_->path().string());
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const inference::Embedder>> RetrievalEngine::ResolveEmbedder(
    CollectionSpec& spec) const {
  if (options_.embedders == nullptr) {
    if (spec.embedder.empty()) return nullptr;
    return absl::InvalidArgumentError(absl::StrCat("spec.embedder '", spec.embedder, "': no embedders are configured"));
  }
  if (spec.embedder.empty()) {
    // The default embedder when it fits the dimension; otherwise the collection takes vectors only.
    auto fallback = options_.embedders->Find("");
    if (fallback.ok() && (*fallback)->info().dimension == spec.dimension) {
      spec.embedder = (*fallback)->info().name;
      return *fallback;
    }
    return nullptr;
  }
  auto embedder = options_.embedders->Find(spec.embedder);
  if (!embedder.ok()) return Annotate(embedder.status(), "spec.embedder");
  if ((*embedder)->info().dimension != spec.dimension) {
    return absl::InvalidArgumentError(absl::StrCat("spec.embedder '", spec.embedder, "' makes ",
                                                   (*embedder)->info().dimension,
                                                   "-dimensional vectors but spec.dimension is ", spec.dimension));
  }
  return *embedder;
}

absl::StatusOr<CollectionInfo> RetrievalEngine::CreateCollection(const std::string& tenant, const std::string& name,
                                                                 CollectionSpec spec) {
  CATENA_RETURN_IF_ERROR(ValidateName(name, "name"));
  if (spec.dimension == 0 && options_.embedders != nullptr) {
    // No dimension: the embedder's (the named one, else the default).
    auto embedder = options_.embedders->Find(spec.embedder);
    if (!embedder.ok()) return Annotate(embedder.status(), "spec.dimension is 0 and spec.embedder");
    spec.dimension = (*embedder)->info().dimension;
  }
  if (spec.dimension < 1 || spec.dimension > 65536) {
    return absl::InvalidArgumentError(absl::StrCat("spec.dimension must be in 1..65536, got ", spec.dimension));
  }
  if (spec.index.empty()) spec.index = "Flat";
  if (auto schema = MetadataSchema::Create(spec.fields); !schema.ok()) return Annotate(schema.status(), "spec.fields");
  // Validates the index spec before anything is stored.
  const VectorIndexSpec index_spec{
      .dimension = spec.dimension, .metric = spec.metric, .index = spec.index, .device = spec.device};
  auto kind = ParseIndexKind(index_spec);
  if (!kind.ok()) return Annotate(kind.status(), "spec.index");
  CATENA_RETURN_IF_ERROR(Annotate(CheckDevice(index_spec, *kind), "spec.device"));
  CATENA_ASSIGN_OR_RETURN(std::shared_ptr<const inference::Embedder> embedder, ResolveEmbedder(spec));

  std::lock_guard lock(mutex_);
  if (collections_.count({tenant, name}) > 0) {
    return absl::AlreadyExistsError(absl::StrCat("collection '", name, "' already exists"));
  }
  CollectionInfo info{.tenant = tenant,
                      .name = name,
                      .uid = next_uid_,
                      .spec = std::move(spec),
                      .created_at_unix_ms = absl::ToUnixMillis(absl::Now())};
  rocksdb::WriteBatch batch;
  std::string next_uid;
  storage::AppendOrderedInt64(next_uid, next_uid_ + 1);
  batch.Put(db_->family(RetrievalDb::kMeta), kNextUidKey, next_uid);
  batch.Put(db_->family(RetrievalDb::kCollections), CatalogKey(tenant, name), InfoToJson(info).dump());
  CATENA_ASSIGN_OR_RETURN(std::unique_ptr<Collection> collection,
                          Collection::Open(db_.get(), info, std::move(embedder), IndexDir()));
  CATENA_RETURN_IF_ERROR(db_->Write(batch));
  ++next_uid_;
  collections_[{tenant, name}] = std::move(collection);
  return info;
}

absl::StatusOr<CollectionInfo> RetrievalEngine::Describe(const std::string& tenant, const std::string& name) const {
  CATENA_ASSIGN_OR_RETURN(std::shared_ptr<Collection> collection, Find(tenant, name));
  return collection->info();
}

absl::StatusOr<std::vector<SearchResult>> RetrievalEngine::Search(const std::string& tenant, const std::string& name,
                                                                  const SearchQuery& query) const {
  CATENA_ASSIGN_OR_RETURN(std::shared_ptr<Collection> collection, Find(tenant, name));
  return collection->Search(query);
}

absl::StatusOr<std::shared_ptr<Collection>> RetrievalEngine::Find(const std::string& tenant,
                                                                  const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = collections_.find({tenant, name});
  if (it == collections_.end()) return absl::NotFoundError(absl::StrCat("collection '", name, "' not found"));
  return it->second;
}

CollectionPage RetrievalEngine::List(const std::string& tenant, int page_size, const std::string& page_token) const {
  std::lock_guard lock(mutex_);
  CollectionPage page;
  for (auto it = collections_.upper_bound({tenant, page_token}); it != collections_.end() && it->first.first == tenant;
       ++it) {
    if (static_cast<int>(page.collections.size()) == page_size) {
      page.next_page_token = page.collections.back()->info().name;
      break;
    }
    page.collections.push_back(it->second);
  }
  return page;
}

absl::Status RetrievalEngine::DeleteCollection(const std::string& tenant, const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = collections_.find({tenant, name});
  if (it == collections_.end()) return absl::NotFoundError(absl::StrCat("collection '", name, "' not found"));
  rocksdb::WriteBatch batch;
  batch.Delete(db_->family(RetrievalDb::kCollections), CatalogKey(tenant, name));
  CATENA_RETURN_IF_ERROR(it->second->Drop(batch));
  CATENA_RETURN_IF_ERROR(db_->Write(batch));
  collections_.erase(it);
  return absl::OkStatus();
}

absl::Status RetrievalEngine::SnapshotAll() {
  std::vector<std::shared_ptr<Collection>> collections;
  {
    std::lock_guard lock(mutex_);
    for (auto& [key, collection] : collections_) collections.push_back(collection);
  }
  absl::Status result;
  for (auto& collection : collections) result.Update(collection->Snapshot());
  return result;
}

}  // namespace catena::retrieval
