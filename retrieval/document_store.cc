#include "retrieval/document_store.h"

#include <rocksdb/options.h>
#include <rocksdb/table.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "storage/rocksdb_util.h"

namespace catena::retrieval {
namespace {

// Index = RetrievalDb::Family; "default" is RocksDB's own default family, used for counters.
constexpr const char* kFamilyNames[RetrievalDb::kFamilyCount] = {"default", "collections", "documents", "ids",
                                                                 "changes", "sources",     "bm25"};

}  // namespace

std::string EncodeDocument(const StoredDocument& document) {
  nlohmann::json record = {
      {"id", document.id},
      {"text", document.text},
      {"source", document.source},
      {"position", document.position},
      {"metadata", document.metadata},
  };
  std::vector<std::uint8_t> vector_bytes(document.embedding.size() * sizeof(float));
  std::memcpy(vector_bytes.data(), document.embedding.data(), vector_bytes.size());
  record["embedding"] = nlohmann::json::binary(std::move(vector_bytes));
  std::vector<std::uint8_t> cbor = nlohmann::json::to_cbor(record);
  return std::string(cbor.begin(), cbor.end());
}

absl::StatusOr<StoredDocument> DecodeDocument(std::string_view bytes, int64_t number) {
  nlohmann::json record = nlohmann::json::from_cbor(bytes.begin(), bytes.end(), true, false);
  if (record.is_discarded() || !record.is_object() || !record.contains("embedding") ||
      !record["embedding"].is_binary()) {
    return absl::DataLossError(absl::StrCat("document record ", number, " is corrupt"));
  }
  StoredDocument document;
  document.number = number;
  document.id = record.value("id", "");
  document.text = record.value("text", "");
  document.source = record.value("source", "");
  document.position = record.value("position", "");
  document.metadata = record.value("metadata", nlohmann::json::object());
  const auto& vector_bytes = record["embedding"].get_binary();
  document.embedding.resize(vector_bytes.size() / sizeof(float));
  std::memcpy(document.embedding.data(), vector_bytes.data(), document.embedding.size() * sizeof(float));
  return document;
}

absl::StatusOr<std::unique_ptr<RetrievalDb>> RetrievalDb::Open(const std::filesystem::path& path,
                                                               RetrievalDbOptions options) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) return absl::InternalError(absl::StrCat("cannot create ", path.string(), ": ", error.message()));
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const char* name : kFamilyNames) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions(db_options));
  auto store = std::unique_ptr<RetrievalDb>(new RetrievalDb());
  store->path_ = path;
  store->options_ = options;
  rocksdb::DB* db = nullptr;
  CATENA_RETURN_IF_ERROR(
      storage::FromRocksDb(rocksdb::DB::Open(db_options, path.string(), descriptors, &store->families_, &db),
                           absl::StrCat("open retrieval database ", path.string())));
  store->db_.reset(db);
  return store;
}

RetrievalDb::~RetrievalDb() {
  for (rocksdb::ColumnFamilyHandle* handle : families_) db_->DestroyColumnFamilyHandle(handle);
  if (db_ != nullptr) db_->Close().PermitUncheckedError();
}

absl::Status RetrievalDb::Write(rocksdb::WriteBatch& batch) const {
  rocksdb::WriteOptions write_options;
  write_options.sync = options_.sync_writes;
  return storage::FromRocksDb(db_->Write(write_options, &batch), "write retrieval database");
}

absl::StatusOr<std::optional<std::string>> RetrievalDb::Get(Family family, std::string_view key) const {
  std::string value;
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), families_[family], rocksdb::Slice(key.data(), key.size()), &value);
  if (status.IsNotFound()) return std::nullopt;
  CATENA_RETURN_IF_ERROR(storage::FromRocksDb(status, "read retrieval database"));
  return value;
}

absl::Status RetrievalDb::DeletePrefix(Family family, std::string_view prefix, rocksdb::WriteBatch& batch) const {
  const std::string end = storage::PrefixUpperBound(prefix);
  return storage::FromRocksDb(batch.DeleteRange(families_[family], rocksdb::Slice(prefix.data(), prefix.size()), end),
                              "delete range");
}

absl::Status RetrievalDb::Scan(Family family, std::string_view prefix,
                               const std::function<bool(std::string_view, std::string_view)>& visit) const {
  const std::string end = storage::PrefixUpperBound(prefix);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions read_options;
  if (!end.empty()) read_options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, families_[family]));
  for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid(); it->Next()) {
    if (!visit(std::string_view(it->key().data(), it->key().size()),
               std::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
  return storage::FromRocksDb(it->status(), "scan retrieval database");
}

absl::Status RetrievalDb::CompactAll() const {
  for (rocksdb::ColumnFamilyHandle* handle : families_) {
    CATENA_RETURN_IF_ERROR(
        storage::FromRocksDb(db_->CompactRange(rocksdb::CompactRangeOptions(), handle, nullptr, nullptr), "compact"));
  }
  return absl::OkStatus();
}

std::string CollectionPrefix(int64_t uid) {
  std::string prefix;
  storage::AppendOrderedInt64(prefix, uid);
  return prefix;
}

std::string NumberKey(std::string_view prefix, int64_t number) {
  std::string key(prefix);
  storage::AppendOrderedInt64(key, number);
  return key;
}

}  // namespace catena::retrieval
