// MemoryCheckpointStore: run checkpoints as ConversationMemory checkpoint records (tenant, run id, step), each step's
// parent the step before it.
#include "chains/checkpoint_store.h"

#include <utility>
#include <vector>

#include "common/status.h"
#include "memory/conversation_memory.h"

namespace catena::chains {
namespace {

class MemoryCheckpointStore final : public CheckpointStore {
 public:
  explicit MemoryCheckpointStore(memory::ConversationMemory* store) : store_(store) {}

  absl::Status Put(std::string_view tenant, std::string_view user_id, std::string_view run_id, int64_t step,
                   std::string state, bool sync) override {
    return store_->PutCheckpoint(tenant, ToCheckpoint(user_id, run_id, step, std::move(state)), sync).status();
  }

  PutAllResult PutAll(std::string_view tenant, std::span<Record> records, bool sync) override {
    std::vector<memory::Checkpoint> checkpoints(records.size());
    for (size_t i = 0; i < records.size(); ++i) {
      checkpoints[i] =
          ToCheckpoint(records[i].user_id, records[i].run_id, records[i].step, std::move(records[i].state));
    }
    memory::ConversationMemory::PutCheckpointsResult result = store_->PutCheckpoints(tenant, checkpoints, sync);
    return {result.stored, std::move(result.status)};
  }

  absl::StatusOr<StoredCheckpoint> Latest(std::string_view tenant, std::string_view run_id) const override {
    return Get(tenant, run_id, -1);
  }

  absl::StatusOr<StoredCheckpoint> Get(std::string_view tenant, std::string_view run_id, int64_t step) const override {
    CATENA_ASSIGN_OR_RETURN(memory::Checkpoint checkpoint, store_->GetCheckpoint(tenant, run_id, step));
    return StoredCheckpoint{std::move(checkpoint.run_id), checkpoint.step, std::move(checkpoint.state)};
  }

 private:
  static memory::Checkpoint ToCheckpoint(std::string_view user_id, std::string_view run_id, int64_t step,
                                         std::string state) {
    memory::Checkpoint checkpoint;
    checkpoint.run_id = std::string(run_id);
    checkpoint.step = step;
    checkpoint.parent_step = step - 1;
    checkpoint.state = std::move(state);
    checkpoint.user_id = std::string(user_id);
    return checkpoint;
  }

  memory::ConversationMemory* const store_;
};

}  // namespace

std::unique_ptr<CheckpointStore> NewMemoryCheckpointStore(memory::ConversationMemory* store) {
  return std::make_unique<MemoryCheckpointStore>(store);
}

}  // namespace catena::chains
