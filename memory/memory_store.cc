#include "memory/memory_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>

#include <filesystem>
#include <functional>

#include "absl/strings/str_cat.h"
#include "common/grpc_util.h"
#include "common/request_context.h"
#include "common/status.h"
#include "memory/record_codec.h"
#include "memory/store_internal.h"
#include "storage/rocksdb_util.h"

namespace catena::memory {
namespace {

constexpr const char* kCfNames[] = {"sessions",  "messages", "embeddings", "idempotency",
                                    "summaries", "facts",    "checkpoints"};

rocksdb::Slice ToSlice(std::string_view text) { return rocksdb::Slice(text.data(), text.size()); }
std::string_view ToView(const rocksdb::Slice& slice) { return std::string_view(slice.data(), slice.size()); }

}  // namespace

absl::Status ValidateId(absl::string_view field, std::string_view id) {
  if (id.empty() || id.size() > 128) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be 1..128 bytes, got ", id.size()));
  }
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == ':' || c == '-';
    if (!ok) return absl::InvalidArgumentError(absl::StrCat(field, ": only [A-Za-z0-9_.:-] allowed"));
  }
  return absl::OkStatus();
}

absl::Status ValidateName(absl::string_view field, std::string_view text) {
  if (text.empty() || text.size() > 128) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be 1..128 bytes, got ", text.size()));
  }
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": control characters are not allowed"));
    }
  }
  return absl::OkStatus();
}

MemoryStore::MemoryStore(MemoryStoreOptions options)
    : options_(std::move(options)),
      ttl_(options_.default_ttl_seconds, options_.tenant_ttl_seconds, options_.clock),
      stripes_(new std::mutex[kStripes]),
      summary_stripes_(new std::mutex[kStripes]) {}

MemoryStore::~MemoryStore() {
  if (db_ == nullptr) return;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
  db_->Close();
}

absl::StatusOr<std::unique_ptr<MemoryStore>> MemoryStore::Open(MemoryStoreOptions options) {
  if (options.path.empty()) return absl::InvalidArgumentError("memory store: path is empty");
  std::unique_ptr<MemoryStore> store(new MemoryStore(std::move(options)));
  CATENA_RETURN_IF_ERROR(store->OpenDb());
  return store;
}

absl::Status MemoryStore::OpenDb() {
  std::error_code error;
  std::filesystem::create_directories(options_.path, error);
  if (error)
    return absl::InternalError(absl::StrCat("memory store: cannot create ", options_.path, ": ", error.message()));
  filter_ = ttl_.NewCompactionFilter();
  rocksdb::BlockBasedTableOptions table_options;
  table_options.block_cache = rocksdb::NewLRUCache(static_cast<size_t>(options_.block_cache_bytes));
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.compaction_filter = filter_.get();
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {{rocksdb::kDefaultColumnFamilyName, cf_options}};
  for (const char* name : kCfNames) descriptors.emplace_back(name, cf_options);
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  // Compactions run niced so that they never take the CPU from a call waiting on a read or an append.
  db_options.env->LowerThreadPoolCPUPriority(rocksdb::Env::Priority::LOW);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  CATENA_RETURN_IF_ERROR(storage::FromRocksDb(rocksdb::DB::Open(db_options, options_.path, descriptors, &handles, &db),
                                              absl::StrCat("memory store: open ", options_.path)));
  db_.reset(db);
  db_->DestroyColumnFamilyHandle(handles[0]);  // the default family is unused
  handles_.assign(handles.begin() + 1, handles.end());
  return absl::OkStatus();
}

std::mutex& MemoryStore::Stripe(std::string_view tenant, std::string_view id) {
  const size_t hash = std::hash<std::string_view>()(tenant) * 31 + std::hash<std::string_view>()(id);
  return stripes_[hash % kStripes];
}

absl::StatusOr<std::optional<std::string>> MemoryStore::GetLive(Cf cf, std::string_view key) const {
  std::string value;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), handles_[cf], ToSlice(key), &value);
  if (status.IsNotFound()) return std::nullopt;
  CATENA_RETURN_IF_ERROR(storage::FromRocksDb(status, "memory store: get"));
  CATENA_ASSIGN_OR_RETURN(codec::Value decoded, codec::DecodeValue(value));
  if (ttl_.Expired(codec::TenantOf(key), decoded.written_unix_ms)) return std::nullopt;
  return std::string(decoded.payload);
}

absl::Status MemoryStore::Scan(Cf cf, std::string_view prefix, std::string_view resume_after, bool reverse,
                               const Visitor& visit, bool include_expired) const {
  const std::string lower(prefix);
  const std::string upper = storage::PrefixUpperBound(prefix);
  rocksdb::Slice lower_slice(lower), upper_slice(upper);
  rocksdb::ReadOptions read_options;
  read_options.iterate_lower_bound = &lower_slice;
  if (!upper.empty()) read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, handles_[cf]));
  const std::string start = absl::StrCat(lower, std::string(resume_after));
  if (reverse) {
    resume_after.empty() ? it->SeekToLast() : it->SeekForPrev(start);
  } else {
    it->Seek(start);
  }
  const std::string_view tenant = codec::TenantOf(prefix);
  for (; it->Valid(); reverse ? it->Prev() : it->Next()) {
    const std::string_view key = ToView(it->key());
    if (!resume_after.empty() && key == start) continue;
    CATENA_ASSIGN_OR_RETURN(codec::Value value, codec::DecodeValue(ToView(it->value())));
    if (!include_expired && ttl_.Expired(tenant, value.written_unix_ms)) continue;
    if (!visit(key, value.payload)) return absl::OkStatus();
  }
  return storage::FromRocksDb(it->status(), "memory store: scan");
}

absl::StatusOr<int64_t> MemoryStore::DeletePrefix(Cf cf, std::string_view prefix, BatchWriter& batch) const {
  const std::string lower(prefix);
  const std::string upper = storage::PrefixUpperBound(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read_options;
  if (!upper.empty()) read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, handles_[cf]));
  int64_t live = 0;
  for (it->Seek(lower); it->Valid(); it->Next()) {
    if (!ttl_.ExpiredRecord(ToView(it->key()), ToView(it->value()))) ++live;
    CATENA_RETURN_IF_ERROR(storage::FromRocksDb(batch.batch.Delete(handles_[cf], it->key()), "memory store: delete"));
  }
  CATENA_RETURN_IF_ERROR(storage::FromRocksDb(it->status(), "memory store: scan for delete"));
  return live;
}

absl::Status MemoryStore::Write(BatchWriter& batch, bool sync) {
  rocksdb::WriteOptions write_options;
  write_options.sync = sync || options_.sync_writes;
  return storage::FromRocksDb(db_->Write(write_options, &batch.batch), "memory store: write");
}

absl::StatusOr<Session> MemoryStore::CreateSession(std::string_view tenant, Session session) {
  if (session.id.empty()) session.id = NewRequestId();
  CATENA_RETURN_IF_ERROR(ValidateId("id", session.id));
  CATENA_RETURN_IF_ERROR(ValidateName("user_id", session.user_id));
  const std::string key = codec::Key2(tenant, session.id);
  std::lock_guard<std::mutex> lock(Stripe(tenant, session.id));
  CATENA_ASSIGN_OR_RETURN(std::optional<std::string> existing, GetLive(kSessions, key));
  if (existing) return absl::AlreadyExistsError(absl::StrCat("session '", session.id, "' already exists"));
  // An expired session's leftovers must not leak into the new one.
  BatchWriter batch;
  for (Cf cf : {kMessages, kEmbeddings, kIdempotency, kSummaries}) {
    CATENA_RETURN_IF_ERROR(DeletePrefix(cf, key, batch).status());
  }
  const int64_t now = ttl_.NowMs();
  session.created_at_unix_ms = session.updated_at_unix_ms = now;
  session.message_count = 0;
  batch.batch.Put(handles_[kSessions], key, codec::EncodeValue(now, codec::EncodeSession(session)));
  CATENA_RETURN_IF_ERROR(Write(batch));
  return session;
}

absl::StatusOr<Session> MemoryStore::GetSession(std::string_view tenant, std::string_view session_id) const {
  CATENA_RETURN_IF_ERROR(ValidateId("id", session_id));
  CATENA_ASSIGN_OR_RETURN(std::optional<std::string> payload, GetLive(kSessions, codec::Key2(tenant, session_id)));
  if (!payload) return absl::NotFoundError(absl::StrCat("session '", std::string(session_id), "' not found"));
  return codec::DecodeSession(*payload);
}

absl::StatusOr<Page<Session>> MemoryStore::ListSessions(std::string_view tenant, std::string_view user_id,
                                                        const PageSpec& page) const {
  if (!user_id.empty()) CATENA_RETURN_IF_ERROR(ValidateName("user_id", user_id));
  CATENA_ASSIGN_OR_RETURN(const int page_size, PageSizeOrDefault(page.page_size));
  std::string resume;
  if (!page.page_token.empty()) {
    CATENA_ASSIGN_OR_RETURN(resume, codec::DecodePageToken(page.page_token));
  }
  const std::string prefix = codec::TenantPrefix(tenant);
  Page<Session> result;
  absl::Status decode_status;
  std::string last_suffix;
  CATENA_RETURN_IF_ERROR(Scan(kSessions, prefix, resume, false, [&](std::string_view key, std::string_view payload) {
    absl::StatusOr<Session> session = codec::DecodeSession(payload);
    if (!session.ok()) return decode_status = session.status(), false;
    if (!user_id.empty() && session->user_id != user_id) return true;
    if (static_cast<int>(result.items.size()) == page_size) {
      result.next_page_token = codec::EncodePageToken(last_suffix);
      return false;
    }
    last_suffix = std::string(key.substr(prefix.size()));
    result.items.push_back(*std::move(session));
    return true;
  }));
  CATENA_RETURN_IF_ERROR(decode_status);
  return result;
}

absl::Status MemoryStore::DeleteSession(std::string_view tenant, std::string_view session_id) {
  CATENA_ASSIGN_OR_RETURN(Session session, GetSession(tenant, session_id));
  std::lock_guard<std::mutex> lock(Stripe(tenant, session.id));
  EraseCounts counts;
  return EraseSession(tenant, session, counts).status();
}

absl::StatusOr<int64_t> MemoryStore::EraseSession(std::string_view tenant, const Session& session,
                                                  EraseCounts& counts) {
  const std::string key = codec::Key2(tenant, session.id);
  BatchWriter batch;
  CATENA_ASSIGN_OR_RETURN(const int64_t messages, DeletePrefix(kMessages, key, batch));
  CATENA_RETURN_IF_ERROR(DeletePrefix(kEmbeddings, key, batch).status());
  CATENA_RETURN_IF_ERROR(DeletePrefix(kIdempotency, key, batch).status());
  CATENA_ASSIGN_OR_RETURN(const int64_t summaries, DeletePrefix(kSummaries, key, batch));
  CATENA_ASSIGN_OR_RETURN(const int64_t sessions, DeletePrefix(kSessions, key, batch));
  CATENA_RETURN_IF_ERROR(Write(batch));
  counts.messages += messages;
  counts.summaries += summaries;
  counts.sessions += sessions;
  return messages;
}

absl::Status MemoryStore::Compact() {
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    CATENA_RETURN_IF_ERROR(
        storage::FromRocksDb(db_->CompactRange(options, handle, nullptr, nullptr), "memory store: compact"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RawRecord>> MemoryStore::ScanRaw() const {
  std::vector<RawRecord> records;
  for (int cf = 0; cf < kCfCount; ++cf) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[cf]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      records.push_back({kCfNames[cf], it->key().ToString(), it->value().ToString()});
    }
    CATENA_RETURN_IF_ERROR(storage::FromRocksDb(it->status(), "memory store: raw scan"));
  }
  return records;
}

}  // namespace catena::memory
