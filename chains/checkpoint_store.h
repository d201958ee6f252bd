// CheckpointStore: where the Runner keeps the numbered records of a run: full states (the outputs of finished
// nodes, router choices, the interrupt it waits at) and small progress deltas appended by long nodes between
// them (run_checkpoint.cc), so a run resumes exactly where it stopped, even after catenad restarts.
// MemoryCheckpointStore keeps them as the memory component's checkpoint records (in-process MemoryStore, or
// MemoryService over gRPC in distributed mode). Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"

namespace catena::memory {
class ConversationMemory;
}

namespace catena::chains {

struct StoredCheckpoint {
  std::string run_id;
  int64_t step = 0;
  std::string state;  // encoded by the Runner
};

class CheckpointStore {
 public:
  virtual ~CheckpointStore() = default;
  // Stores step `step` of the run (parent step - 1, or none for step 0). sync: the write reaches the disk
  // (fsync) before returning; else it survives a crash of the process but not of the machine (unless the
  // store syncs every write anyway).
  virtual absl::Status Put(std::string_view tenant, std::string_view user_id, std::string_view run_id, int64_t step,
                           std::string state, bool sync) = 0;
  // Put without sync.
  absl::Status Put(std::string_view tenant, std::string_view user_id, std::string_view run_id, int64_t step,
                   std::string state) {
    return Put(tenant, user_id, run_id, step, std::move(state), false);
  }
  // The latest checkpoint of the run; NOT_FOUND when it has none.
  virtual absl::StatusOr<StoredCheckpoint> Latest(std::string_view tenant, std::string_view run_id) const = 0;
  // Step `step` of the run; NOT_FOUND when absent.
  virtual absl::StatusOr<StoredCheckpoint> Get(std::string_view tenant, std::string_view run_id,
                                               int64_t step) const = 0;
};

// Checkpoints in a ConversationMemory (not owned; must outlive the result).
std::unique_ptr<CheckpointStore> NewMemoryCheckpointStore(memory::ConversationMemory* store);

}  // namespace catena::chains
