#include "retrieval/collection.h"

#include <cmath>
#include <fstream>
#include <mutex>
#include <random>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "retrieval/filter.h"
#include "storage/rocksdb_util.h"

namespace catena::retrieval {
namespace {

constexpr size_t kMaxIdBytes = 256;
constexpr size_t kMaxTextBytes = 1 << 20;
constexpr size_t kEmbedBatch = 256;

std::string GenerateId() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (char& c : id) c = kHex[random() % 16];
  return id;
}

std::string EncodeNumber(int64_t number) {
  std::string value;
  storage::AppendOrderedInt64(value, number);
  return value;
}

absl::Status ValidateDocument(const StoredDocument& document, size_t index, int dimension) {
  const std::string field = absl::StrCat("documents[", index, "]");
  if (document.id.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".id is ", document.id.size(), " bytes; at most 256"));
  }
  if (document.text.size() > kMaxTextBytes) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".text is ", document.text.size(), " bytes; at most 1 MiB"));
  }
  if (!document.embedding.empty() && document.embedding.size() != static_cast<size_t>(dimension)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".embedding has ", document.embedding.size(),
                                                   " values; the collection dimension is ", dimension));
  }
  for (float value : document.embedding) {
    if (!std::isfinite(value))
      return absl::InvalidArgumentError(absl::StrCat(field, ".embedding has a non-finite value"));
  }
  return absl::OkStatus();
}

}  // namespace

Collection::Collection(const RetrievalDb* db, CollectionInfo info, std::shared_ptr<const inference::Embedder> embedder,
                       std::filesystem::path index_dir, MetadataSchema schema)
    : db_(db),
      info_(std::move(info)),
      embedder_(std::move(embedder)),
      index_dir_(std::move(index_dir)),
      schema_(std::move(schema)),
      prefix_(CollectionPrefix(info_.uid)) {}

absl::StatusOr<std::unique_ptr<Collection>> Collection::Open(const RetrievalDb* db, CollectionInfo info,
                                                             std::shared_ptr<const inference::Embedder> embedder,
                                                             std::filesystem::path index_dir) {
  CATENA_ASSIGN_OR_RETURN(MetadataSchema schema, MetadataSchema::Create(info.spec.fields));
  auto collection = std::unique_ptr<Collection>(
      new Collection(db, std::move(info), std::move(embedder), std::move(index_dir), std::move(schema)));
  CATENA_RETURN_IF_ERROR(collection->LoadState());
  return collection;
}

std::filesystem::path Collection::IndexPath() const { return index_dir_ / absl::StrCat(info_.uid, ".index"); }

absl::Status Collection::LoadState() {
  CATENA_ASSIGN_OR_RETURN(std::optional<std::string> counters, db_->Get(RetrievalDb::kMeta, prefix_));
  if (counters.has_value()) {
    nlohmann::json json = nlohmann::json::parse(*counters, nullptr, false);
    next_number_ = json.value("next_number", int64_t{0});
    next_seq_ = json.value("next_seq", int64_t{1});
  }
  if (info_.spec.sparse) {
    Bm25Options options;
    options.analyzer.language = info_.spec.language;
    CATENA_ASSIGN_OR_RETURN(bm25_, Bm25Index::Open(db_->db(), db_->family(RetrievalDb::kBm25), prefix_, options));
  }
  const VectorIndexSpec index_spec{
      .dimension = info_.spec.dimension,
      .metric = info_.spec.metric,
      .index = info_.spec.index,
      .device = info_.spec.device};
  // A snapshot is usable when its recorded change sequence is present; otherwise rebuild from the documents.
  int64_t snapshot_seq = -1;
  if (std::ifstream seq_file(IndexPath().string() + ".seq"); seq_file >> snapshot_seq) {
    auto loaded = VectorIndex::Load(IndexPath(), index_spec);
    if (loaded.ok()) {
      index_ = std::move(*loaded);
    } else {
      snapshot_seq = -1;
    }
  }
  const bool rebuild = index_ == nullptr;
  if (rebuild) {
    auto created = VectorIndex::Create(index_spec);
    if (!created.ok() && index_spec.device == IndexDevice::kCuda) return Annotate(created.status(), "spec.device");
    CATENA_ASSIGN_OR_RETURN(index_, std::move(created));
  }

  std::vector<int64_t> numbers;
  std::vector<float> vectors;
  absl::Status status;
  auto flush = [&] {
    if (numbers.empty()) return;
    if (status.ok()) status = index_->Upsert(numbers, vectors);
    numbers.clear();
    vectors.clear();
  };
  CATENA_RETURN_IF_ERROR(db_->Scan(RetrievalDb::kDocuments, prefix_, [&](std::string_view key, std::string_view value) {
    const int64_t number = *storage::ReadOrderedInt64(key.substr(prefix_.size()));
    auto document = DecodeDocument(value, number);
    if (!document.ok()) {
      status = document.status();
      return false;
    }
    if (static_cast<size_t>(number) >= metadata_.size()) metadata_.resize(number + 1);
    metadata_[number] = std::move(document->metadata);
    ++live_documents_;
    next_number_ = std::max(next_number_, number + 1);
    if (rebuild) {
      numbers.push_back(number);
      vectors.insert(vectors.end(), document->embedding.begin(), document->embedding.end());
      if (numbers.size() >= 4096) flush();
    }
    return status.ok();
  }));
  flush();
  CATENA_RETURN_IF_ERROR(status);
  if (!rebuild) CATENA_RETURN_IF_ERROR(ReplayChanges(snapshot_seq));
  return absl::OkStatus();
}

absl::Status Collection::ReplayChanges(int64_t after_seq) {
  std::vector<int64_t> changed;
  CATENA_RETURN_IF_ERROR(db_->Scan(RetrievalDb::kChanges, prefix_, [&](std::string_view key, std::string_view value) {
    const int64_t seq = *storage::ReadOrderedInt64(key.substr(prefix_.size()));
    if (seq > after_seq) changed.push_back(*storage::ReadOrderedInt64(value));
    return true;
  }));
  std::vector<int64_t> removed;
  for (int64_t number : changed) {
    CATENA_ASSIGN_OR_RETURN(std::optional<std::string> value,
                            db_->Get(RetrievalDb::kDocuments, NumberKey(prefix_, number)));
    if (!value.has_value()) {
      removed.push_back(number);
      continue;
    }
    CATENA_ASSIGN_OR_RETURN(StoredDocument document, DecodeDocument(*value, number));
    const int64_t ids[] = {number};
    CATENA_RETURN_IF_ERROR(index_->Upsert(ids, document.embedding));
  }
  return index_->Remove(removed);
}

int64_t Collection::document_count() const {
  std::shared_lock lock(mutex_);
  return live_documents_;
}

bool Collection::index_trained() const {
  std::shared_lock lock(mutex_);
  return index_->trained();
}

void Collection::ClearFilterCache() {
  std::lock_guard lock(filter_cache_mutex_);
  filter_cache_.clear();
}

void Collection::StageCounters(rocksdb::WriteBatch& batch) const {
  const nlohmann::json counters = {{"next_number", next_number_}, {"next_seq", next_seq_}};
  batch.Put(db_->family(RetrievalDb::kMeta), prefix_, counters.dump()).PermitUncheckedError();
}

absl::Status Collection::EmbedMissing(std::vector<StoredDocument>& documents) const {
  std::vector<size_t> missing;
  for (size_t i = 0; i < documents.size(); ++i) {
    if (documents[i].embedding.empty()) missing.push_back(i);
  }
  if (missing.empty()) return absl::OkStatus();
  if (embedder_ == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("documents[", missing[0], "].embedding is required: collection '",
                                                   info_.name, "' has no embedder"));
  }
  for (size_t begin = 0; begin < missing.size(); begin += kEmbedBatch) {
    const size_t end = std::min(missing.size(), begin + kEmbedBatch);
    std::vector<std::string> texts;
    for (size_t i = begin; i < end; ++i) texts.push_back(documents[missing[i]].text);
    CATENA_ASSIGN_OR_RETURN(inference::Embeddings embeddings,
                            embedder_->Embed(texts, inference::EmbedInputKind::kDocument));
    for (size_t i = begin; i < end; ++i) {
      std::span<const float> row = embeddings.Row(i - begin);
      documents[missing[i]].embedding.assign(row.begin(), row.end());
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> Collection::Upsert(std::vector<StoredDocument> documents) {
  for (size_t i = 0; i < documents.size(); ++i) {
    CATENA_RETURN_IF_ERROR(ValidateDocument(documents[i], i, info_.spec.dimension));
    auto metadata = schema_.Normalize(documents[i].metadata);
    if (!metadata.ok()) return Annotate(metadata.status(), absl::StrCat("documents[", i, "]"));
    documents[i].metadata = *std::move(metadata);
    if (documents[i].id.empty()) documents[i].id = GenerateId();
  }
  CATENA_RETURN_IF_ERROR(EmbedMissing(documents));

  std::unique_lock lock(mutex_);
  rocksdb::WriteBatch batch;
  std::unordered_map<std::string, int64_t> batch_numbers;  // ids upserted twice in one call keep one number
  std::vector<int64_t> numbers;
  std::vector<float> vectors;
  for (StoredDocument& document : documents) {
    int64_t number;
    if (auto it = batch_numbers.find(document.id); it != batch_numbers.end()) {
      number = it->second;
      if (bm25_ != nullptr) CATENA_RETURN_IF_ERROR(bm25_->Remove(number, batch));
    } else {
      CATENA_ASSIGN_OR_RETURN(std::optional<std::string> existing, db_->Get(RetrievalDb::kIds, prefix_ + document.id));
      number = existing.has_value() ? *storage::ReadOrderedInt64(*existing) : next_number_++;
      if (existing.has_value() && bm25_ != nullptr) CATENA_RETURN_IF_ERROR(bm25_->Remove(number, batch));
      batch_numbers[document.id] = number;
    }
    document.number = number;
    batch.Put(db_->family(RetrievalDb::kDocuments), NumberKey(prefix_, number), EncodeDocument(document));
    batch.Put(db_->family(RetrievalDb::kIds), prefix_ + document.id, EncodeNumber(number));
    batch.Put(db_->family(RetrievalDb::kChanges), NumberKey(prefix_, next_seq_++), EncodeNumber(number));
    if (bm25_ != nullptr) CATENA_RETURN_IF_ERROR(bm25_->Add(number, document.text, batch));
    numbers.push_back(number);
    vectors.insert(vectors.end(), document.embedding.begin(), document.embedding.end());
  }
  StageCounters(batch);
  CATENA_RETURN_IF_ERROR(db_->Write(batch));
  ClearFilterCache();
  CATENA_RETURN_IF_ERROR(index_->Upsert(numbers, vectors));
  std::vector<std::string> ids;
  for (StoredDocument& document : documents) {
    if (static_cast<size_t>(document.number) >= metadata_.size()) metadata_.resize(document.number + 1);
    if (metadata_[document.number].is_null()) ++live_documents_;
    metadata_[document.number] = std::move(document.metadata);
    ids.push_back(std::move(document.id));
  }
  return ids;
}

absl::StatusOr<StoredDocument> Collection::ReadDocument(int64_t number) const {
  CATENA_ASSIGN_OR_RETURN(std::optional<std::string> value,
                          db_->Get(RetrievalDb::kDocuments, NumberKey(prefix_, number)));
  if (!value.has_value()) return absl::NotFoundError(absl::StrCat("document number ", number, " is gone"));
  return DecodeDocument(*value, number);
}

absl::StatusOr<int64_t> Collection::DeleteNumbers(std::span<const int64_t> numbers) {
  rocksdb::WriteBatch batch;
  std::vector<int64_t> deleted;
  for (int64_t number : numbers) {
    if (number < 0 || static_cast<size_t>(number) >= metadata_.size() || metadata_[number].is_null()) continue;
    CATENA_ASSIGN_OR_RETURN(StoredDocument document, ReadDocument(number));
    batch.Delete(db_->family(RetrievalDb::kDocuments), NumberKey(prefix_, number));
    batch.Delete(db_->family(RetrievalDb::kIds), prefix_ + document.id);
    batch.Put(db_->family(RetrievalDb::kChanges), NumberKey(prefix_, next_seq_++), EncodeNumber(number));
    if (bm25_ != nullptr) CATENA_RETURN_IF_ERROR(bm25_->Remove(number, batch));
    deleted.push_back(number);
  }
  if (deleted.empty()) return 0;
  StageCounters(batch);
  CATENA_RETURN_IF_ERROR(db_->Write(batch));
  ClearFilterCache();
  CATENA_RETURN_IF_ERROR(index_->Remove(deleted));
  for (int64_t number : deleted) metadata_[number] = nullptr;
  live_documents_ -= static_cast<int64_t>(deleted.size());
  return static_cast<int64_t>(deleted.size());
}

absl::StatusOr<int64_t> Collection::DeleteIds(std::span<const std::string> ids) {
  std::unique_lock lock(mutex_);
  std::vector<int64_t> numbers;
  for (const std::string& id : ids) {
    CATENA_ASSIGN_OR_RETURN(std::optional<std::string> existing, db_->Get(RetrievalDb::kIds, prefix_ + id));
    if (existing.has_value()) numbers.push_back(*storage::ReadOrderedInt64(*existing));
  }
  return DeleteNumbers(numbers);
}

absl::StatusOr<int64_t> Collection::DeleteWhere(std::string_view expression) {
  CATENA_ASSIGN_OR_RETURN(Filter filter, Filter::Parse(expression, schema_));
  std::unique_lock lock(mutex_);
  std::vector<int64_t> numbers;
  for (size_t number = 0; number < metadata_.size(); ++number) {
    if (!metadata_[number].is_null() && filter.Matches(metadata_[number])) numbers.push_back(number);
  }
  return DeleteNumbers(numbers);
}

absl::StatusOr<std::vector<StoredDocument>> Collection::Get(std::span<const std::string> ids) const {
  std::shared_lock lock(mutex_);
  std::vector<StoredDocument> documents;
  for (const std::string& id : ids) {
    CATENA_ASSIGN_OR_RETURN(std::optional<std::string> existing, db_->Get(RetrievalDb::kIds, prefix_ + id));
    if (!existing.has_value()) continue;
    CATENA_ASSIGN_OR_RETURN(StoredDocument document, ReadDocument(*storage::ReadOrderedInt64(*existing)));
    documents.push_back(std::move(document));
  }
  return documents;
}

absl::StatusOr<std::optional<nlohmann::json>> Collection::SourceRecord(const std::string& source) const {
  CATENA_ASSIGN_OR_RETURN(std::optional<std::string> value, db_->Get(RetrievalDb::kSources, prefix_ + source));
  if (!value.has_value()) return std::nullopt;
  nlohmann::json record = nlohmann::json::parse(*value, nullptr, false);
  if (record.is_discarded()) return std::nullopt;  // re-ingest rather than fail
  return record;
}

absl::Status Collection::PutSourceRecord(const std::string& source, const nlohmann::json& record) {
  rocksdb::WriteBatch batch;
  batch.Put(db_->family(RetrievalDb::kSources), prefix_ + source, record.dump());
  return db_->Write(batch);
}

absl::Status Collection::Snapshot() {
  std::unique_lock lock(mutex_);
  std::error_code error;
  std::filesystem::create_directories(index_dir_, error);
  const std::filesystem::path seq_path = IndexPath().string() + ".seq";
  std::filesystem::remove(seq_path, error);  // an index without its seq file is never trusted
  CATENA_RETURN_IF_ERROR(index_->Save(IndexPath()));
  const int64_t applied = next_seq_ - 1;
  {
    std::ofstream seq_file(seq_path.string() + ".tmp", std::ios::trunc);
    seq_file << applied << "\n";
    if (!seq_file.flush()) return absl::InternalError(absl::StrCat("cannot write ", seq_path.string()));
  }
  std::filesystem::rename(seq_path.string() + ".tmp", seq_path, error);
  if (error) return absl::InternalError(absl::StrCat("cannot write ", seq_path.string(), ": ", error.message()));
  rocksdb::WriteBatch batch;
  batch.DeleteRange(db_->family(RetrievalDb::kChanges), NumberKey(prefix_, 0), NumberKey(prefix_, applied + 1));
  return db_->Write(batch);
}

absl::Status Collection::Drop(rocksdb::WriteBatch& batch) {
  std::unique_lock lock(mutex_);
  for (auto family : {RetrievalDb::kMeta, RetrievalDb::kDocuments, RetrievalDb::kIds, RetrievalDb::kChanges,
                      RetrievalDb::kSources, RetrievalDb::kBm25}) {
    CATENA_RETURN_IF_ERROR(db_->DeletePrefix(family, prefix_, batch));
  }
  std::error_code error;
  std::filesystem::remove(IndexPath().string() + ".seq", error);
  std::filesystem::remove(IndexPath(), error);
  return absl::OkStatus();
}

}  // namespace catena::retrieval
