// MemoryStore: conversation memory on one RocksDB (column families per concern): sessions, messages (with their
// embeddings), idempotency records, running summaries, per-user facts and run checkpoints, all keyed by tenant
// first so no call of one tenant can reach another's records. Used by MemoryService and in-process by the
// chain engine and benchmarks. Thread-safe: appends to one session are totally ordered by a striped per-session
// mutex; different sessions proceed in parallel.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "memory/conversation_memory.h"
#include "memory/memory_types.h"
#include "memory/ttl_policy.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class CompactionFilter;
}  // namespace rocksdb

namespace catena::inference {
class Embedder;
class LanguageModel;
class Tokenizer;
}  // namespace catena::inference

namespace catena::memory {

class BatchWriter;

struct MemoryStoreOptions {
  // Directory of the RocksDB; created when missing.
  std::string path;
  // The WAL is always on. false: no fsync per write (acknowledged writes survive a process crash);
  // true: fsync per write (they also survive power loss).
  bool sync_writes = false;
  // Retention in seconds; 0 keeps records forever. Per-tenant overrides win.
  int64_t default_ttl_seconds = 0;
  std::map<std::string, int64_t, std::less<>> tenant_ttl_seconds;
  // Optional: embeds messages at append time for semantic recall. Not owned; must outlive the store.
  const inference::Embedder* embedder = nullptr;
  // Optional: writes running summaries. Not owned; must outlive the store.
  const inference::LanguageModel* summarizer = nullptr;
  // Optional: the tokenizer of a model name, nullptr when unknown.
  std::function<const inference::Tokenizer*(std::string_view model)> tokenizer_for_model;
  // Block cache shared by every column family (recent messages and session records stay in memory).
  int64_t block_cache_bytes = int64_t{256} << 20;
  // Time source (ms since epoch); empty = wall clock. Tests pass a fake one.
  Clock clock;
};

// One record as stored (for audits and tests): its column family, key and value bytes, expired or not.
struct RawRecord {
  std::string column_family;
  std::string key;
  std::string value;
};

class MemoryStore final : public ConversationMemory {
 public:
  // Opens (creating if needed) the database at options.path. INTERNAL/UNAVAILABLE from RocksDB otherwise.
  static absl::StatusOr<std::unique_ptr<MemoryStore>> Open(MemoryStoreOptions options);
  ~MemoryStore();
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  // Creates a session (id generated when empty). ALREADY_EXISTS when the id is taken in the tenant.
  absl::StatusOr<Session> CreateSession(std::string_view tenant, Session session) override;
  // NOT_FOUND when absent or expired.
  absl::StatusOr<Session> GetSession(std::string_view tenant, std::string_view session_id) const override;
  // Sessions of the tenant (only `user_id`'s when not empty), by id.
  absl::StatusOr<Page<Session>> ListSessions(std::string_view tenant, std::string_view user_id,
                                             const PageSpec& page) const;
  // Deletes the session with its messages, summary and idempotency records. NOT_FOUND when absent.
  absl::Status DeleteSession(std::string_view tenant, std::string_view session_id);

  // Appends `messages` atomically with consecutive sequence numbers; returns them in order. A repeated
  // non-empty `idempotency_key` returns the first call's numbers without appending again.
  absl::StatusOr<std::vector<int64_t>> AppendMessages(std::string_view tenant, std::string_view session_id,
                                                      std::span<const Message> messages,
                                                      std::string_view idempotency_key) override;
  // Messages by sequence number, oldest first (newest first when `reverse`).
  absl::StatusOr<Page<StoredMessage>> ListMessages(std::string_view tenant, std::string_view session_id, bool reverse,
                                                   const PageSpec& page) const;

  // What goes into the next prompt (see context_builder.cc for each strategy).
  absl::StatusOr<ContextResult> GetContext(std::string_view tenant, const ContextRequest& request) override;

  // Upserts facts of a user; an empty value deletes that fact.
  absl::Status PutFacts(std::string_view tenant, std::string_view user_id,
                        const std::map<std::string, std::string>& facts) override;
  // All live facts of a user (empty when none).
  absl::StatusOr<std::map<std::string, std::string>> GetFacts(std::string_view tenant,
                                                              std::string_view user_id) const override;

  // Stores a checkpoint; ALREADY_EXISTS for a step already stored, FAILED_PRECONDITION for a missing parent.
  // `sync` forces an fsync of the write-ahead log for this write even when sync_writes is off.
  absl::StatusOr<Checkpoint> PutCheckpoint(std::string_view tenant, Checkpoint checkpoint, bool sync = false) override;
  // The checks of PutCheckpoint for each in turn, then one write of those before the first that fails.
  PutCheckpointsResult PutCheckpoints(std::string_view tenant, std::span<Checkpoint> checkpoints, bool sync) override;
  // The checkpoint at `step` (-1 = latest). NOT_FOUND when absent.
  absl::StatusOr<Checkpoint> GetCheckpoint(std::string_view tenant, std::string_view run_id,
                                           int64_t step) const override;
  // Checkpoints of a run by step, without state bytes.
  absl::StatusOr<Page<Checkpoint>> ListCheckpoints(std::string_view tenant, std::string_view run_id,
                                                   const PageSpec& page) const;

  // Deletes every session, message, summary, fact and checkpoint of the user in the tenant.
  absl::StatusOr<EraseCounts> EraseUser(std::string_view tenant, std::string_view user_id);

  // Forces a full compaction of every column family (drops expired and deleted records physically).
  absl::Status Compact();
  // Every record currently in the database (expired ones included), for audits and tests.
  absl::StatusOr<std::vector<RawRecord>> ScanRaw() const;

 private:
  enum Cf { kSessions, kMessages, kEmbeddings, kIdempotency, kSummaries, kFacts, kCheckpoints, kCfCount };
  // Called with each live record's key and payload; returns false to stop.
  using Visitor = std::function<bool(std::string_view key, std::string_view payload)>;

  explicit MemoryStore(MemoryStoreOptions options);
  absl::Status OpenDb();

  // The live (present, not expired) payload under `key`, or nullopt.
  absl::StatusOr<std::optional<std::string>> GetLive(Cf cf, std::string_view key) const;
  // Visits live records with keys starting with `prefix`, after `resume_after` (a suffix; "" = from the edge).
  // With `include_expired`, expired records are visited too (erasure must find them).
  absl::Status Scan(Cf cf, std::string_view prefix, std::string_view resume_after, bool reverse, const Visitor& visit,
                    bool include_expired = false) const;
  // Deletes every key under `prefix` in `cf` into `batch`; returns how many live records were deleted.
  absl::StatusOr<int64_t> DeletePrefix(Cf cf, std::string_view prefix, BatchWriter& batch) const;
  absl::Status Write(BatchWriter& batch, bool sync = false);
  std::mutex& Stripe(std::string_view tenant, std::string_view id);
  // Embeddings of `messages` when an embedder is configured (empty otherwise).
  absl::StatusOr<std::vector<std::vector<float>>> EmbedMessages(std::span<const Message> messages) const;
  // Up to `limit` of the session's newest messages with seq > after_seq, oldest first. Messages are never
  // removed one by one except by TTL (oldest first), so they are read forward from seq last_seq - limit + 1.
  absl::StatusOr<std::vector<StoredMessage>> LastMessages(std::string_view tenant, const Session& session,
                                                          int64_t after_seq, int limit) const;
  absl::StatusOr<ContextResult> SummaryContext(std::string_view tenant, const ContextRequest& request,
                                               const inference::Tokenizer* tokenizer);
  absl::StatusOr<ContextResult> SemanticContext(std::string_view tenant, const ContextRequest& request);
  // The newest live checkpoint step of a run (-1 when it has none), read once per run and then kept in tips_.
  struct CheckpointTip {
    int64_t step = -1;
    int64_t written_unix_ms = -1;  // -1: unknown (read from disk), so its liveness is checked by a read
  };
  absl::StatusOr<CheckpointTip> TipOf(std::string_view tenant, std::string_view run_id, const std::string& run_key);
  // Deletes the user's checkpoints (expired ones too); returns how many live ones were deleted.
  absl::StatusOr<int64_t> EraseCheckpoints(std::string_view tenant, std::string_view user_id);
  absl::StatusOr<int64_t> EraseSession(std::string_view tenant, const Session& session, EraseCounts& counts);

  friend class BatchWriter;

  MemoryStoreOptions options_;
  TtlPolicy ttl_;
  std::unique_ptr<rocksdb::CompactionFilter> filter_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  static constexpr size_t kStripes = 256;
  std::unique_ptr<std::mutex[]> stripes_;
  std::unique_ptr<std::mutex[]> summary_stripes_;
  // Checkpoint tips by Key2(tenant, run id): a run's next step (parent = its tip) is checked without reading
  // RocksDB. An entry changes only under its run's stripe; erasure clears them all.
  static constexpr size_t kMaxTips = 1 << 16;
  std::mutex tips_mu_;
  absl::flat_hash_map<std::string, CheckpointTip> tips_;
};

}  // namespace catena::memory
