// MemoryStore: run checkpoints of the chain/agent engine, keyed (tenant, run id, step) so a run resumes from its
// latest step and replays from any earlier one by following parent pointers.
#include <rocksdb/db.h>

#include <algorithm>
#include <mutex>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_util.h"
#include "common/status.h"
#include "memory/memory_store.h"
#include "memory/record_codec.h"
#include "memory/store_internal.h"
#include "storage/rocksdb_util.h"

namespace catena::memory {
namespace {

constexpr size_t kMaxStateBytes = 16 << 20;

absl::Status ValidateCheckpoint(const Checkpoint& checkpoint) {
  CATENA_RETURN_IF_ERROR(ValidateName("checkpoint.run_id", checkpoint.run_id));
  CATENA_RETURN_IF_ERROR(ValidateName("checkpoint.user_id", checkpoint.user_id));
  if (checkpoint.step < 0) return absl::InvalidArgumentError("checkpoint.step: must be >= 0");
  if (checkpoint.parent_step < -1 || checkpoint.parent_step >= checkpoint.step) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint.parent_step: must be -1 or a step below ", checkpoint.step));
  }
  if (checkpoint.state.size() > kMaxStateBytes) {
    return absl::InvalidArgumentError("checkpoint.state: larger than 16 MiB");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Checkpoint> MemoryStore::PutCheckpoint(std::string_view tenant, Checkpoint checkpoint, bool sync) {
  PutCheckpointsResult result = PutCheckpoints(tenant, std::span<Checkpoint>(&checkpoint, 1), sync);
  if (!result.status.ok()) return result.status;
  return checkpoint;
}

MemoryStore::PutCheckpointsResult MemoryStore::PutCheckpoints(std::string_view tenant,
                                                              std::span<Checkpoint> checkpoints, bool sync) {
  // Every run's stripe, locked in address order so that two batches never wait on each other.
  std::vector<std::mutex*> stripes;
  for (const Checkpoint& checkpoint : checkpoints) {
    stripes.push_back(&Stripe(tenant, absl::StrCat("run\n", checkpoint.run_id)));
  }
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  for (std::mutex* stripe : stripes) stripe->lock();
  absl::Cleanup unlock = [&] {
    for (std::mutex* stripe : stripes) stripe->unlock();
  };

  PutCheckpointsResult result;
  // Each run as of this batch: the steps already in the batch exist; above the run's tip a step is free, the tip
  // itself is live unless it expired, and anything else is read (a client may leave gaps between steps).
  struct BatchedRun {
    CheckpointTip tip;
    std::vector<int64_t> batched;  // steps already in `batch`
  };
  absl::flat_hash_map<std::string, BatchedRun> runs;
  const auto exists = [&](std::string_view run_id, const std::string& run_key, int64_t step) -> absl::StatusOr<bool> {
    auto run = runs.find(run_key);
    if (run == runs.end()) {
      CATENA_ASSIGN_OR_RETURN(CheckpointTip stored, TipOf(tenant, run_id, run_key));
      run = runs.emplace(run_key, BatchedRun{stored, {}}).first;
    }
    const BatchedRun& known = run->second;
    if (std::find(known.batched.begin(), known.batched.end(), step) != known.batched.end()) return true;
    if (step > known.tip.step) return false;
    if (step == known.tip.step && known.tip.written_unix_ms >= 0)
      return !ttl_.Expired(tenant, known.tip.written_unix_ms);
    CATENA_ASSIGN_OR_RETURN(std::optional<std::string> found,
                            GetLive(kCheckpoints, codec::KeyNumbered(tenant, run_id, step)));
    return found.has_value();
  };
  const auto check = [&](const Checkpoint& checkpoint, const std::string& run_key) -> absl::Status {
    CATENA_RETURN_IF_ERROR(ValidateCheckpoint(checkpoint));
    CATENA_ASSIGN_OR_RETURN(const bool taken, exists(checkpoint.run_id, run_key, checkpoint.step));
    if (taken) {
      return absl::AlreadyExistsError(
          absl::StrCat("checkpoint ", checkpoint.step, " of run '", checkpoint.run_id, "' already exists"));
    }
    if (checkpoint.parent_step < 0) return absl::OkStatus();
    CATENA_ASSIGN_OR_RETURN(const bool parent, exists(checkpoint.run_id, run_key, checkpoint.parent_step));
    if (!parent) {
      return absl::FailedPreconditionError(absl::StrCat("checkpoint.parent_step: step ", checkpoint.parent_step,
                                                        " of run '", checkpoint.run_id, "' does not exist"));
    }
    return absl::OkStatus();
  };
  BatchWriter batch;
  const int64_t now = ttl_.NowMs();
  for (Checkpoint& checkpoint : checkpoints) {
    const std::string run_key = codec::Key2(tenant, checkpoint.run_id);
    if (result.status = check(checkpoint, run_key); !result.status.ok()) break;
    checkpoint.created_at_unix_ms = now;
    batch.batch.Put(handles_[kCheckpoints], codec::KeyNumbered(tenant, checkpoint.run_id, checkpoint.step),
                    codec::EncodeValue(now, codec::EncodeCheckpoint(checkpoint)));
    BatchedRun& run = runs[run_key];
    run.batched.push_back(checkpoint.step);
    if (checkpoint.step > run.tip.step) run.tip = {checkpoint.step, now};
    ++result.stored;
  }
  if (result.stored == 0) return result;
  if (absl::Status written = Write(batch, sync); !written.ok()) return {0, written};
  std::lock_guard<std::mutex> lock(tips_mu_);
  if (tips_.size() + runs.size() > kMaxTips) tips_.clear();
  for (auto& [run_key, run] : runs) tips_.insert_or_assign(run_key, run.tip);
  return result;
}

absl::StatusOr<MemoryStore::CheckpointTip> MemoryStore::TipOf(std::string_view tenant, std::string_view run_id,
                                                              const std::string& run_key) {
  {
    std::lock_guard<std::mutex> lock(tips_mu_);
    if (auto tip = tips_.find(run_key); tip != tips_.end()) return tip->second;
  }
  CheckpointTip tip;
  std::optional<int64_t> latest;
  CATENA_RETURN_IF_ERROR(Scan(kCheckpoints, codec::Key2(tenant, run_id), "", true, [&](std::string_view key, auto) {
    latest = codec::TrailingNumber(key);
    return false;
  }));
  if (latest.has_value()) tip.step = *latest;
  return tip;
}

absl::StatusOr<Checkpoint> MemoryStore::GetCheckpoint(std::string_view tenant, std::string_view run_id,
                                                      int64_t step) const {
  CATENA_RETURN_IF_ERROR(ValidateName("run_id", run_id));
  if (step < -1) return absl::InvalidArgumentError("step: must be -1 (latest) or >= 0");
  std::optional<std::string> payload;
  if (step >= 0) {
    CATENA_ASSIGN_OR_RETURN(payload, GetLive(kCheckpoints, codec::KeyNumbered(tenant, run_id, step)));
  } else {
    CATENA_RETURN_IF_ERROR(Scan(kCheckpoints, codec::Key2(tenant, run_id), "", true, [&](auto, std::string_view p) {
      payload = std::string(p);
      return false;
    }));
  }
  if (!payload) {
    return absl::NotFoundError(
        step < 0 ? absl::StrCat("run '", std::string(run_id), "' has no checkpoint")
                 : absl::StrCat("checkpoint ", step, " of run '", std::string(run_id), "' not found"));
  }
  return codec::DecodeCheckpoint(*payload);
}

absl::StatusOr<Page<Checkpoint>> MemoryStore::ListCheckpoints(std::string_view tenant, std::string_view run_id,
                                                              const PageSpec& page) const {
  CATENA_RETURN_IF_ERROR(ValidateName("run_id", run_id));
  CATENA_ASSIGN_OR_RETURN(const int page_size, PageSizeOrDefault(page.page_size));
  std::string resume;
  if (!page.page_token.empty()) {
    CATENA_ASSIGN_OR_RETURN(resume, codec::DecodePageToken(page.page_token));
  }
  Page<Checkpoint> result;
  absl::Status decode_status;
  CATENA_RETURN_IF_ERROR(
      Scan(kCheckpoints, codec::Key2(tenant, run_id), resume, false, [&](auto, std::string_view payload) {
        if (static_cast<int>(result.items.size()) == page_size) {
          std::string last;
          storage::AppendOrderedInt64(last, result.items.back().step);
          result.next_page_token = codec::EncodePageToken(last);
          return false;
        }
        absl::StatusOr<Checkpoint> checkpoint = codec::DecodeCheckpoint(payload, /*with_state=*/false);
        if (!checkpoint.ok()) return decode_status = checkpoint.status(), false;
        result.items.push_back(*std::move(checkpoint));
        return true;
      }));
  CATENA_RETURN_IF_ERROR(decode_status);
  return result;
}

absl::StatusOr<int64_t> MemoryStore::EraseCheckpoints(std::string_view tenant, std::string_view user_id) {
  BatchWriter batch;
  int64_t erased = 0;
  absl::Status status;
  CATENA_RETURN_IF_ERROR(Scan(
      kCheckpoints, codec::TenantPrefix(tenant), "", false,
      [&](std::string_view key, std::string_view payload) {
        absl::StatusOr<Checkpoint> checkpoint = codec::DecodeCheckpoint(payload, /*with_state=*/false);
        if (!checkpoint.ok()) return status = checkpoint.status(), false;
        if (checkpoint->user_id != user_id) return true;
        status =
            storage::FromRocksDb(batch.batch.Delete(handles_[kCheckpoints], rocksdb::Slice(key.data(), key.size())),
                                 "memory store: delete checkpoint");
        ++erased;
        return status.ok();
      },
      /*include_expired=*/true));
  CATENA_RETURN_IF_ERROR(status);
  CATENA_RETURN_IF_ERROR(Write(batch));
  std::lock_guard<std::mutex> lock(tips_mu_);
  tips_.clear();
  return erased;
}

}  // namespace catena::memory
