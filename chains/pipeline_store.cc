#include "chains/pipeline_store.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status.h"
#include "storage/rocksdb_util.h"

namespace catena::chains {
namespace {

constexpr const char* kCfNames[] = {"versions", "latest", "runs", "run_events", "run_order"};

rocksdb::Slice ToSlice(std::string_view text) { return rocksdb::Slice(text.data(), text.size()); }

// The key of `parts` (tenant first), each part 0x00-terminated.
template <typename... Parts>
std::string Key(const Parts&... parts) {
  return storage::JoinKeyParts({std::string_view(parts)...});
}

std::string EventKey(std::string_view tenant, std::string_view run_id, int64_t index) {
  std::string key = Key(tenant, run_id);
  storage::AppendOrderedInt64(key, index);
  return key;
}

std::string OrderKey(std::string_view tenant, int64_t started_ms, std::string_view run_id) {
  std::string key = Key(tenant);
  storage::AppendOrderedInt64(key, started_ms);
  storage::AppendKeyPart(key, run_id);
  return key;
}

// Key parts are 0x00-terminated, so they must not contain 0x00 themselves.
absl::Status CheckPart(std::string_view what, std::string_view part) {
  if (part.empty()) return absl::InvalidArgumentError(absl::StrCat(std::string(what), " is required"));
  if (part.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(what), " contains a NUL byte"));
  }
  return absl::OkStatus();
}

template <typename Message>
absl::StatusOr<Message> Parse(const std::string& bytes, std::string_view what) {
  Message message;
  if (!message.ParseFromString(bytes))
    return absl::DataLossError(absl::StrCat("pipeline store: corrupt ", std::string(what)));
  return message;
}

}  // namespace

PipelineStore::PipelineStore(PipelineStoreOptions options) : options_(std::move(options)) {}

PipelineStore::~PipelineStore() {
  if (db_ == nullptr) return;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  db_->Close().PermitUncheckedError();
}

absl::StatusOr<std::unique_ptr<PipelineStore>> PipelineStore::Open(PipelineStoreOptions options) {
  if (options.path.empty()) return absl::InvalidArgumentError("pipeline store: path is required");
  if (options.max_runs_per_tenant < 1) {
    return absl::InvalidArgumentError("pipeline store: max_runs_per_tenant must be at least 1");
  }
  std::unique_ptr<PipelineStore> store(new PipelineStore(std::move(options)));
  CATENA_RETURN_IF_ERROR(store->OpenDb());
  return store;
}

absl::Status PipelineStore::OpenDb() {
  std::error_code error;
  std::filesystem::create_directories(options_.path, error);
  if (error) {
    return absl::InternalError(absl::StrCat("pipeline store: cannot create ", options_.path, ": ", error.message()));
  }
  rocksdb::ColumnFamilyOptions cf_options;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {{rocksdb::kDefaultColumnFamilyName, cf_options}};
  for (const char* name : kCfNames) descriptors.emplace_back(name, cf_options);
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  CATENA_RETURN_IF_ERROR(storage::FromRocksDb(rocksdb::DB::Open(db_options, options_.path, descriptors, &handles, &db),
                                              absl::StrCat("pipeline store: open ", options_.path)));
  db_.reset(db);
  db_->DestroyColumnFamilyHandle(handles[0]).PermitUncheckedError();  // the default family is unused
  handles_.assign(handles.begin() + 1, handles.end());
  return absl::OkStatus();
}

int64_t PipelineStore::Now() const { return options_.clock ? options_.clock() : absl::ToUnixMillis(absl::Now()); }

absl::StatusOr<bool> PipelineStore::Exists(Cf cf, std::string_view key) const {
  std::string value;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), handles_[cf], ToSlice(key), &value);
  if (status.IsNotFound()) return false;
  CATENA_RETURN_IF_ERROR(storage::FromRocksDb(status, "pipeline store: get"));
  return true;
}

void PipelineStore::DeletePrefix(rocksdb::WriteBatch& batch, Cf cf, std::string_view prefix) {
  const std::string end = storage::PrefixUpperBound(prefix);
  batch.DeleteRange(handles_[cf], ToSlice(prefix), ToSlice(end)).PermitUncheckedError();
}

absl::Status PipelineStore::Write(rocksdb::WriteBatch& batch, std::string_view what) {
  rocksdb::WriteOptions write_options;
  write_options.sync = options_.sync_writes;
  return storage::FromRocksDb(db_->Write(write_options, &batch), absl::StrCat("pipeline store: ", std::string(what)));
}

absl::StatusOr<v1::Pipeline> PipelineStore::Put(std::string_view tenant, v1::Pipeline pipeline) {
  CATENA_RETURN_IF_ERROR(CheckPart("tenant", tenant));
  CATENA_RETURN_IF_ERROR(CheckPart("pipeline name", pipeline.name()));
  CATENA_RETURN_IF_ERROR(CheckPart("pipeline version", pipeline.version()));
  std::lock_guard lock(write_mutex_);
  const std::string key = Key(tenant, pipeline.name(), pipeline.version());
  std::string existing;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), handles_[kVersions], ToSlice(key), &existing);
  if (status.ok()) {
    CATENA_ASSIGN_OR_RETURN(v1::Pipeline stored, Parse<v1::Pipeline>(existing, "pipeline version"));
    pipeline.set_created_at_unix_ms(stored.created_at_unix_ms());
  } else if (status.IsNotFound()) {
    pipeline.set_created_at_unix_ms(Now());
  } else {
    return storage::FromRocksDb(status, "pipeline store: get");
  }
  rocksdb::WriteBatch batch;
  batch.Put(handles_[kVersions], ToSlice(key), pipeline.SerializeAsString()).PermitUncheckedError();
  batch.Put(handles_[kLatest], ToSlice(Key(tenant, pipeline.name())), ToSlice(pipeline.version()))
      .PermitUncheckedError();
  CATENA_RETURN_IF_ERROR(Write(batch, "put"));
  return pipeline;
}

absl::StatusOr<v1::Pipeline> PipelineStore::Get(std::string_view tenant, std::string_view name,
                                                std::string_view version) const {
  std::string resolved(version);
  if (resolved.empty()) {
    rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), handles_[kLatest], ToSlice(Key(tenant, name)), &resolved);
    if (status.IsNotFound()) return absl::NotFoundError(absl::StrCat("pipeline '", std::string(name), "' not found"));
    CATENA_RETURN_IF_ERROR(storage::FromRocksDb(status, "pipeline store: get latest"));
  }
  std::string bytes;
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), handles_[kVersions], ToSlice(Key(tenant, name, resolved)), &bytes);
  if (status.IsNotFound()) {
    return absl::NotFoundError(absl::StrCat("pipeline '", std::string(name), "' version '", resolved, "' not found"));
  }
  CATENA_RETURN_IF_ERROR(storage::FromRocksDb(status, "pipeline store: get"));
  return Parse<v1::Pipeline>(bytes, "pipeline version");
}

absl::StatusOr<PipelinePage> PipelineStore::List(std::string_view tenant, int page_size,
                                                 std::string_view page_token) const {
  if (page_size < 1 || page_size > 1000) return absl::InvalidArgumentError("page_size must be within 1..1000");
  const std::string prefix = Key(tenant);
  const std::string upper = storage::PrefixUpperBound(prefix);
  rocksdb::ReadOptions read_options;
  rocksdb::Slice upper_slice = ToSlice(upper);
  read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, handles_[kLatest]));
  const std::string start = page_token.empty() ? prefix : Key(tenant, page_token);
  PipelinePage page;
  for (it->Seek(ToSlice(start)); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    if (!page_token.empty() && key == start) continue;
    std::string name(key.substr(prefix.size(), key.size() - prefix.size() - 1));
    if (static_cast<int>(page.pipelines.size()) == page_size) {
      page.next_page_token = page.pipelines.back().name();
      break;
    }
    CATENA_ASSIGN_OR_RETURN(v1::Pipeline pipeline, Get(tenant, name, it->value().ToString()));
    pipeline.clear_source();
    page.pipelines.push_back(std::move(pipeline));
  }
  CATENA_RETURN_IF_ERROR(storage::FromRocksDb(it->status(), "pipeline store: list"));
  return page;
}

absl::Status PipelineStore::Delete(std::string_view tenant, std::string_view name) {
  CATENA_RETURN_IF_ERROR(CheckPart("pipeline name", name));
  std::lock_guard lock(write_mutex_);
  CATENA_ASSIGN_OR_RETURN(bool exists, Exists(kLatest, Key(tenant, name)));
  if (!exists) return absl::NotFoundError(absl::StrCat("pipeline '", std::string(name), "' not found"));
  rocksdb::WriteBatch batch;
  batch.Delete(handles_[kLatest], ToSlice(Key(tenant, name))).PermitUncheckedError();
  DeletePrefix(batch, kVersions, Key(tenant, name));
  return Write(batch, "delete");
}

absl::StatusOr<int64_t> PipelineStore::CountPrefix(Cf cf, std::string_view prefix) const {
  const std::string upper = storage::PrefixUpperBound(prefix);
  rocksdb::ReadOptions read_options;
  rocksdb::Slice upper_slice = ToSlice(upper);
  read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, handles_[cf]));
  int64_t count = 0;
  for (it->Seek(ToSlice(prefix)); it->Valid(); it->Next()) ++count;
  CATENA_RETURN_IF_ERROR(storage::FromRocksDb(it->status(), "pipeline store: count"));
  return count;
}

absl::StatusOr<int64_t> PipelineStore::RunCountLocked(std::string_view tenant) const {
  auto found = run_counts_.find(tenant);
  if (found != run_counts_.end()) return found->second;
  CATENA_ASSIGN_OR_RETURN(int64_t count, CountPrefix(kRunOrder, Key(tenant)));
  run_counts_.emplace(std::string(tenant), count);
  return count;
}

absl::StatusOr<int64_t> PipelineStore::CountRuns(std::string_view tenant) const {
  std::lock_guard lock(write_mutex_);
  return RunCountLocked(tenant);
}

absl::Status PipelineStore::PutRun(std::string_view tenant, const v1::RunTrace& trace) {
  CATENA_RETURN_IF_ERROR(CheckPart("tenant", tenant));
  CATENA_RETURN_IF_ERROR(CheckPart("run_id", trace.run_id()));
  v1::RunTrace header = trace;
  header.clear_events();
  std::lock_guard lock(write_mutex_);
  const std::string key = Key(tenant, trace.run_id());
  CATENA_ASSIGN_OR_RETURN(bool exists, Exists(kRuns, key));
  rocksdb::WriteBatch batch;
  batch.Put(handles_[kRuns], ToSlice(key), header.SerializeAsString()).PermitUncheckedError();
  if (exists) return Write(batch, "put run");
  batch.Put(handles_[kRunOrder], ToSlice(OrderKey(tenant, trace.started_at_unix_ms(), trace.run_id())), "")
      .PermitUncheckedError();
  CATENA_ASSIGN_OR_RETURN(int64_t count, RunCountLocked(tenant));
  CATENA_RETURN_IF_ERROR(Write(batch, "put run"));
  run_counts_[std::string(tenant)] = count + 1;
  return EnforceRetention(tenant, count + 1);
}

// Deletes the oldest traces of the tenant until at most max_runs_per_tenant remain; write_mutex_ held.
absl::Status PipelineStore::EnforceRetention(std::string_view tenant, int64_t count) {
  int64_t excess = count - options_.max_runs_per_tenant;
  if (excess <= 0) return absl::OkStatus();
  const std::string prefix = Key(tenant);
  const std::string upper = storage::PrefixUpperBound(prefix);
  rocksdb::ReadOptions read_options;
  rocksdb::Slice upper_slice = ToSlice(upper);
  read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, handles_[kRunOrder]));
  rocksdb::WriteBatch batch;
  int64_t deleted = 0;
  for (it->Seek(ToSlice(prefix)); it->Valid() && deleted < excess; it->Next(), ++deleted) {
    std::string_view key(it->key().data(), it->key().size());
    // tenant part, 8 bytes of start time, run id part
    std::string_view run_id = key.substr(prefix.size() + 8, key.size() - prefix.size() - 8 - 1);
    batch.Delete(handles_[kRunOrder], it->key()).PermitUncheckedError();
    batch.Delete(handles_[kRuns], ToSlice(Key(tenant, run_id))).PermitUncheckedError();
    DeletePrefix(batch, kRunEvents, Key(tenant, run_id));
  }
  CATENA_RETURN_IF_ERROR(storage::FromRocksDb(it->status(), "pipeline store: retention"));
  CATENA_RETURN_IF_ERROR(Write(batch, "retention"));
  run_counts_[std::string(tenant)] = count - deleted;
  return absl::OkStatus();
}

absl::Status PipelineStore::DeleteRun(std::string_view tenant, std::string_view run_id) {
  CATENA_RETURN_IF_ERROR(CheckPart("run_id", run_id));
  std::lock_guard lock(write_mutex_);
  std::string bytes;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), handles_[kRuns], ToSlice(Key(tenant, run_id)), &bytes);
  if (status.IsNotFound()) return absl::NotFoundError(absl::StrCat("run '", std::string(run_id), "' not found"));
  CATENA_RETURN_IF_ERROR(storage::FromRocksDb(status, "pipeline store: get run"));
  CATENA_ASSIGN_OR_RETURN(v1::RunTrace header, Parse<v1::RunTrace>(bytes, "run trace"));
  rocksdb::WriteBatch batch;
  batch.Delete(handles_[kRuns], ToSlice(Key(tenant, run_id))).PermitUncheckedError();
  batch.Delete(handles_[kRunOrder], ToSlice(OrderKey(tenant, header.started_at_unix_ms(), run_id)))
      .PermitUncheckedError();
  DeletePrefix(batch, kRunEvents, Key(tenant, run_id));
  CATENA_ASSIGN_OR_RETURN(int64_t count, RunCountLocked(tenant));
  CATENA_RETURN_IF_ERROR(Write(batch, "delete run"));
  run_counts_[std::string(tenant)] = count - 1;
  return absl::OkStatus();
}

absl::Status PipelineStore::AppendRunEvents(std::string_view tenant, std::string_view run_id, int64_t first_index,
                                            const std::vector<v1::RunEvent>& events) {
  CATENA_RETURN_IF_ERROR(CheckPart("run_id", run_id));
  CATENA_ASSIGN_OR_RETURN(bool exists, Exists(kRuns, Key(tenant, run_id)));
  if (!exists) return absl::NotFoundError(absl::StrCat("run '", std::string(run_id), "' not found"));
  rocksdb::WriteBatch batch;
  for (size_t i = 0; i < events.size(); ++i) {
    batch
        .Put(handles_[kRunEvents], ToSlice(EventKey(tenant, run_id, first_index + static_cast<int64_t>(i))),
             events[i].SerializeAsString())
        .PermitUncheckedError();
  }
  return Write(batch, "append run events");
}

absl::StatusOr<std::pair<v1::RunTrace, int64_t>> PipelineStore::GetRunHeader(std::string_view tenant,
                                                                             std::string_view run_id) const {
  std::string bytes;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), handles_[kRuns], ToSlice(Key(tenant, run_id)), &bytes);
  if (status.IsNotFound()) return absl::NotFoundError(absl::StrCat("run '", std::string(run_id), "' not found"));
  CATENA_RETURN_IF_ERROR(storage::FromRocksDb(status, "pipeline store: get run"));
  CATENA_ASSIGN_OR_RETURN(v1::RunTrace header, Parse<v1::RunTrace>(bytes, "run trace"));
  CATENA_ASSIGN_OR_RETURN(int64_t count, CountPrefix(kRunEvents, Key(tenant, run_id)));
  return std::make_pair(std::move(header), count);
}

absl::StatusOr<v1::RunTrace> PipelineStore::GetRun(std::string_view tenant, std::string_view run_id) const {
  CATENA_ASSIGN_OR_RETURN(auto header, GetRunHeader(tenant, run_id));
  v1::RunTrace trace = std::move(header.first);
  const std::string prefix = Key(tenant, run_id);
  const std::string upper = storage::PrefixUpperBound(prefix);
  rocksdb::ReadOptions read_options;
  rocksdb::Slice upper_slice = ToSlice(upper);
  read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, handles_[kRunEvents]));
  for (it->Seek(ToSlice(prefix)); it->Valid(); it->Next()) {
    if (!trace.add_events()->ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("pipeline store: corrupt event of run '", std::string(run_id), "'"));
    }
  }
  CATENA_RETURN_IF_ERROR(storage::FromRocksDb(it->status(), "pipeline store: get run events"));
  return trace;
}

}  // namespace catena::chains
