// AuditLog: the append-only, hash-chained record of pipeline runs, kept in <data_dir>/audit/audit.jsonl (one
// JSON line per record: {index, prev, hash, record}; hash = SHA-256 hex of prev + "\n" + the record's canonical
// JSON, keys sorted, no spaces) plus audit.head ({count, hash} of the last record, replaced atomically) so that
// records removed from the end are detected too. Every append is durable before it returns: concurrent appends
// share one fdatasync and one head update (group commit), so a burst of run completions pays for one sync.
// Written by chains::PipelineService at run end and at interrupts; read by `catena audit verify|show`.
// One writer process per directory; AuditLog is thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace catena::guardrails {

inline constexpr char kAuditGenesisHash[] = "0000000000000000000000000000000000000000000000000000000000000000";

// What verification found. ok: every record chains and matches the head; else first_bad is the index of the
// first bad record (or the record count when records are missing at the end) and run_id its run (when readable).
struct AuditVerifyResult {
  bool ok = true;
  int64_t records = 0;  // well-formed records read before the first problem
  int64_t first_bad = -1;
  std::string run_id;
  std::string problem;
};

class AuditLog {
 public:
  // Opens (creating) the log in `dir`, reading its last record to continue the chain. DATA_LOSS when the
  // last line is not a complete record (run `catena audit verify`).
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& dir, bool sync = true);
  ~AuditLog();

  // Appends `record` (a JSON object with a string `run_id`) and returns its index once it is synced.
  absl::StatusOr<int64_t> Append(const nlohmann::json& record);
  // Records appended so far (in the file).
  int64_t size() const;
  // fdatasync calls made by appends (each covers every record written before it).
  int64_t sync_count() const;

 private:
  AuditLog(std::string dir, int fd, bool sync, int64_t count, std::string last_hash);
  absl::Status WriteHead(int64_t count, const std::string& hash);
  // Returns once the first `count` records are synced and in the head; the caller that finds no sync running
  // syncs everything written so far for all waiters.
  absl::Status WaitDurable(std::unique_lock<std::mutex>& lock, int64_t count);

  const std::string dir_;
  const int fd_;
  const bool sync_;
  mutable std::mutex mutex_;
  std::condition_variable synced_;
  int64_t count_;
  std::string last_hash_;
  int64_t durable_count_;     // records covered by a finished sync and head update
  bool syncing_ = false;      // a caller is syncing (outside the lock)
  int64_t sync_calls_ = 0;
};

// Hex SHA-256 of `prev` + "\n" + `canonical_record`.
std::string AuditChainHash(std::string_view prev, std::string_view canonical_record);
// The record's canonical JSON text (keys sorted, compact).
std::string CanonicalAuditJson(const nlohmann::json& record);
// Reads and checks the whole log in `dir`: JSON per line, index, prev link, hash, and the head, which must name
// a record of the log (records after it were appended after the last head update).
absl::StatusOr<AuditVerifyResult> VerifyAuditLog(const std::string& dir);
// The records of run `run_id` (each {index, hash, record}), in order; NOT_FOUND when there are none.
absl::StatusOr<std::vector<nlohmann::json>> FindAuditRecords(const std::string& dir, std::string_view run_id);

}  // namespace catena::guardrails
