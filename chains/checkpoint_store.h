// CheckpointStore: where the Runner keeps the numbered records of a run: full states (the outputs of finished
// nodes, router choices, the interrupt it waits at) and small progress deltas appended by long nodes between
// them (run_checkpoint.cc), so a run resumes exactly where it stopped, even after catenad restarts.
// MemoryCheckpointStore keeps them as the memory component's checkpoint records (in-process MemoryStore, or
// MemoryService over gRPC in distributed mode). Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
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
  // Several records of one tenant in order (a record's parent may be an earlier one of the same call), up to the
  // first that fails: `stored` counts those before it, `status` is its error. The default calls Put for each;
  // the memory store writes them in one batch.
  struct Record {
    std::string user_id, run_id;
    int64_t step = 0;
    std::string state;
  };
  struct PutAllResult {
    size_t stored = 0;
    absl::Status status;
  };
  virtual PutAllResult PutAll(std::string_view tenant, std::span<Record> records, bool sync) {
    PutAllResult result;
    for (Record& record : records) {
      result.status = Put(tenant, record.user_id, record.run_id, record.step, std::move(record.state), sync);
      if (!result.status.ok()) break;
      ++result.stored;
    }
    return result;
  }
  // The latest checkpoint of the run; NOT_FOUND when it has none.
  virtual absl::StatusOr<StoredCheckpoint> Latest(std::string_view tenant, std::string_view run_id) const = 0;
  // Step `step` of the run; NOT_FOUND when absent.
  virtual absl::StatusOr<StoredCheckpoint> Get(std::string_view tenant, std::string_view run_id,
                                               int64_t step) const = 0;
};

// Checkpoints in a ConversationMemory (not owned; must outlive the result).
std::unique_ptr<CheckpointStore> NewMemoryCheckpointStore(memory::ConversationMemory* store);

// How a run's checkpoint records reach the store (pipelines.checkpoint_durability), as LangGraph's durability
// modes "sync" and "async":
//  - kSync: every record is written before the step goes on (a killed process loses nothing acknowledged).
//  - kAsync: records without sync are queued and written in order by one background writer while the run goes
//    on; a killed process can lose the records still queued (the run then resumes from an earlier step). Synced
//    records (a run pausing for approval) and reads (Latest, Get) wait until everything queued before them is
//    written, so nothing is ever read out of order.
enum class CheckpointDurability { kSync, kAsync };

// `inner` behind an ordered write-behind queue (kAsync above). Put without sync returns at once, unless an
// earlier queued write of the same run failed: that error is returned (once) and the record is not queued.
// Put with sync, Latest and Get first wait for the queue. At most `max_queued` records wait; a Put beyond that
// waits for room. The destructor writes everything still queued.
std::unique_ptr<CheckpointStore> NewAsyncCheckpointStore(std::unique_ptr<CheckpointStore> inner,
                                                         size_t max_queued = 4096);

}  // namespace catena::chains
