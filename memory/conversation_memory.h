// ConversationMemory: what the chain engine needs from the memory component (memory.* nodes, the memory_lookup
// tool, run checkpoints): sessions, appends, context, facts and checkpoints. Implemented in-process by
// MemoryStore and over gRPC by remote::GrpcMemory (catenad's distributed mode). Implementations are
// thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "memory/memory_types.h"

namespace catena::memory {

class ConversationMemory {
 public:
  virtual ~ConversationMemory() = default;
  // Creates a session (id generated when empty). ALREADY_EXISTS when the id is taken in the tenant.
  virtual absl::StatusOr<Session> CreateSession(std::string_view tenant, Session session) = 0;
  // NOT_FOUND when absent or expired.
  virtual absl::StatusOr<Session> GetSession(std::string_view tenant, std::string_view session_id) const = 0;
  // Appends atomically; returns the sequence numbers. A repeated non-empty key does not append again.
  virtual absl::StatusOr<std::vector<int64_t>> AppendMessages(std::string_view tenant, std::string_view session_id,
                                                              std::span<const Message> messages,
                                                              std::string_view idempotency_key) = 0;
  // What goes into the next prompt; NOT_FOUND for an unknown session.
  virtual absl::StatusOr<ContextResult> GetContext(std::string_view tenant, const ContextRequest& request) = 0;
  // Upserts facts of a user; an empty value deletes that fact.
  virtual absl::Status PutFacts(std::string_view tenant, std::string_view user_id,
                                const std::map<std::string, std::string>& facts) = 0;
  // All live facts of a user (empty when none).
  virtual absl::StatusOr<std::map<std::string, std::string>> GetFacts(std::string_view tenant,
                                                                      std::string_view user_id) const = 0;
  // Stores a checkpoint; ALREADY_EXISTS for a step already stored, FAILED_PRECONDITION for a missing parent.
  // `sync`: the write reaches the disk before returning (a remote store applies its own sync setting).
  virtual absl::StatusOr<Checkpoint> PutCheckpoint(std::string_view tenant, Checkpoint checkpoint, bool sync) = 0;
  // Stores `checkpoints` in order (a checkpoint's parent may be an earlier one of the same call) up to the first
  // that fails; `stored` counts those before it and `status` is its error (OK when all were stored). The
  // default calls PutCheckpoint for each; MemoryStore writes them in one batch.
  struct PutCheckpointsResult {
    size_t stored = 0;
    absl::Status status;
  };
  virtual PutCheckpointsResult PutCheckpoints(std::string_view tenant, std::span<Checkpoint> checkpoints, bool sync) {
    PutCheckpointsResult result;
    for (Checkpoint& checkpoint : checkpoints) {
      result.status = PutCheckpoint(tenant, std::move(checkpoint), sync).status();
      if (!result.status.ok()) break;
      ++result.stored;
    }
    return result;
  }
  // The checkpoint at `step` (-1 = latest). NOT_FOUND when absent.
  virtual absl::StatusOr<Checkpoint> GetCheckpoint(std::string_view tenant, std::string_view run_id,
                                                   int64_t step) const = 0;
};

}  // namespace catena::memory
