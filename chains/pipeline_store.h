// PipelineStore: the durable side of PipelineService, one RocksDB at <data_dir>/pipelines. Keeps every version of
// each pipeline per tenant (keyed tenant/name/version, version = content hash given by the caller), a pointer
// to the latest version of each name, and run traces (a header per run plus its events, appended in batches)
// with a bounded retention of the newest traces per tenant. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "catena/v1/pipeline.pb.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace catena::chains {

struct PipelineStoreOptions {
  // Directory of the RocksDB; created when missing.
  std::string path;
  // fsync every write (survives power loss) instead of WAL only (survives kill -9).
  bool sync_writes = false;
  // Run traces kept per tenant; creating one more deletes the oldest (by start time).
  int64_t max_runs_per_tenant = 10000;
  // Milliseconds since the epoch; empty = wall clock.
  std::function<int64_t()> clock;
};

struct PipelinePage {
  std::vector<v1::Pipeline> pipelines;  // latest versions, sorted by name, without source
  std::string next_page_token;          // empty on the last page
};

class PipelineStore {
 public:
  // Opens (creating if needed) the database at options.path; the RocksDB error otherwise.
  static absl::StatusOr<std::unique_ptr<PipelineStore>> Open(PipelineStoreOptions options);
  ~PipelineStore();
  PipelineStore(const PipelineStore&) = delete;
  PipelineStore& operator=(const PipelineStore&) = delete;

  // Stores `pipeline` (name, version, description and source required) and makes it the latest version of its
  // name. Storing a version that exists keeps its first created_at and still makes it the latest. Returns the
  // stored record (created_at set).
  absl::StatusOr<v1::Pipeline> Put(std::string_view tenant, v1::Pipeline pipeline);
  // Version `version` of `name` ("" = latest); NOT_FOUND naming the pipeline (and version).
  absl::StatusOr<v1::Pipeline> Get(std::string_view tenant, std::string_view name, std::string_view version) const;
  // The latest version of each pipeline of the tenant, by name, `page_size` (1..1000) at a time after
  // `page_token` (from a previous page; "" = first page).
  absl::StatusOr<PipelinePage> List(std::string_view tenant, int page_size, std::string_view page_token) const;
  // Deletes every version of `name`; NOT_FOUND when it has none.
  absl::Status Delete(std::string_view tenant, std::string_view name);

  // Creates or replaces the header of run trace.run_id() (state, inputs, outputs, ...; `events` are ignored).
  // Creating a run beyond max_runs_per_tenant deletes the tenant's oldest traces.
  absl::Status PutRun(std::string_view tenant, const v1::RunTrace& trace);
  // Stores `events` as events first_index, first_index + 1, ... of the run (the header must exist).
  absl::Status AppendRunEvents(std::string_view tenant, std::string_view run_id, int64_t first_index,
                               const std::vector<v1::RunEvent>& events);
  // The header and its events in order; NOT_FOUND naming the run.
  absl::StatusOr<v1::RunTrace> GetRun(std::string_view tenant, std::string_view run_id) const;
  // The header only (no events) and how many events are stored.
  absl::StatusOr<std::pair<v1::RunTrace, int64_t>> GetRunHeader(std::string_view tenant, std::string_view run_id) const;
  // Deletes the trace and its events; NOT_FOUND when there is none.
  absl::Status DeleteRun(std::string_view tenant, std::string_view run_id);
  // Traces stored for the tenant.
  absl::StatusOr<int64_t> CountRuns(std::string_view tenant) const;

 private:
  enum Cf { kVersions, kLatest, kRuns, kRunEvents, kRunOrder, kCfCount };
  explicit PipelineStore(PipelineStoreOptions options);
  absl::Status OpenDb();
  int64_t Now() const;
  absl::StatusOr<bool> Exists(Cf cf, std::string_view key) const;
  // Adds the deletion of every key of `cf` starting with `prefix` to `batch`.
  void DeletePrefix(rocksdb::WriteBatch& batch, Cf cf, std::string_view prefix);
  absl::Status Write(rocksdb::WriteBatch& batch, std::string_view what);
  absl::Status EnforceRetention(std::string_view tenant, int64_t count);
  absl::StatusOr<int64_t> RunCountLocked(std::string_view tenant) const;
  absl::StatusOr<int64_t> CountPrefix(Cf cf, std::string_view prefix) const;

  const PipelineStoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  mutable std::mutex write_mutex_;  // serializes Put/Delete/PutRun (read-modify-write of latest pointers and counts)
  mutable std::map<std::string, int64_t, std::less<>> run_counts_;  // per tenant, loaded on first use
};

}  // namespace catena::chains
