// AsyncCheckpointStore (checkpoint_store.h, CheckpointDurability::kAsync): one writer thread drains a FIFO of
// records into the inner store, so a run's records are written in step order (each record's parent is the one
// before it) while the run goes on. Sequence numbers say what has been written: a waiter needs everything
// enqueued before it to be done. A wake-up and a storage write cost more than encoding a small record, so
// while records keep coming the writer gathers them for up to kGather and writes them in one batch: a Put
// wakes the writer only when it is idle (the queue was empty), or when the Put (or a read) must wait for it;
// the writer wakes producers only when one waits.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "chains/checkpoint_store.h"
#include "common/status.h"
#include "spdlog/spdlog.h"

namespace catena::chains {
namespace {

class AsyncCheckpointStore final : public CheckpointStore {
 public:
  AsyncCheckpointStore(std::unique_ptr<CheckpointStore> inner, size_t max_queued)
      : inner_(std::move(inner)), max_queued_(std::max<size_t>(1, max_queued)), writer_([this] { Write(); }) {}

  ~AsyncCheckpointStore() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    queued_.notify_one();
    writer_.join();  // the writer empties the queue before it stops
  }

  absl::Status Put(std::string_view tenant, std::string_view user_id, std::string_view run_id, int64_t step,
                   std::string state, bool sync) override {
    std::unique_lock<std::mutex> lock(mu_);
    const std::string run = RunKey(tenant, run_id);
    if (absl::Status failed = TakeFailureLocked(run); !failed.ok()) return failed;
    WaitLocked(lock, [&] { return queue_.size() < max_queued_; });
    queue_.push_back({std::string(tenant), std::string(user_id), std::string(run_id), step, std::move(state), sync});
    const uint64_t ticket = ++enqueued_;
    if (writer_state_ == WriterState::kIdle) queued_.notify_one();
    if (!sync) return absl::OkStatus();
    WaitLocked(lock, [&] { return written_ >= ticket; });
    return TakeFailureLocked(run);
  }

  absl::StatusOr<StoredCheckpoint> Latest(std::string_view tenant, std::string_view run_id) const override {
    WaitForQueue();
    return inner_->Latest(tenant, run_id);
  }

  absl::StatusOr<StoredCheckpoint> Get(std::string_view tenant, std::string_view run_id, int64_t step) const override {
    WaitForQueue();
    return inner_->Get(tenant, run_id, step);
  }

 private:
  struct Queued {
    std::string tenant, user_id, run_id;
    int64_t step = 0;
    std::string state;
    bool sync = false;
  };

  static std::string RunKey(std::string_view tenant, std::string_view run_id) {
    std::string key(tenant);
    key += '\n';
    key += run_id;
    return key;
  }

  // Writes `batch` in order: each stretch of one tenant's records with one PutAll (one storage write), going on
  // past a failed record so that one broken run does not hold up the others.
  void WriteBatch(std::deque<Queued>& batch, std::vector<std::pair<std::string, absl::Status>>& failures) {
    std::vector<Record> group;
    size_t begin = 0;
    while (begin < batch.size()) {
      size_t end = begin;
      bool sync = false;
      group.clear();
      for (; end < batch.size() && batch[end].tenant == batch[begin].tenant; ++end) {
        Queued& record = batch[end];
        sync = sync || record.sync;
        group.push_back({std::move(record.user_id), std::move(record.run_id), record.step, std::move(record.state)});
      }
      for (size_t next = 0; next < group.size();) {
        PutAllResult result = inner_->PutAll(batch[begin].tenant, std::span(group).subspan(next), sync);
        next += result.stored;
        if (result.status.ok()) break;
        failures.emplace_back(RunKey(batch[begin].tenant, group[next].run_id), std::move(result.status));
        ++next;
      }
      begin = end;
    }
  }

  // The run's unreported failed write, now reported (OK when there is none). Needs mu_.
  absl::Status TakeFailureLocked(const std::string& run) {
    auto failed = failed_.find(run);
    if (failed == failed_.end()) return absl::OkStatus();
    absl::Status status = std::move(failed->second);
    failed_.erase(failed);
    return status;
  }

  // Waits on drained_ until `done` holds, counted in waiters_ so that the writer knows to wake it. Needs mu_.
  template <class Done>
  void WaitLocked(std::unique_lock<std::mutex>& lock, Done done) const {
    if (done()) return;
    if (writer_state_ != WriterState::kBusy) queued_.notify_one();  // cut the gathering short
    ++waiters_;
    drained_.wait(lock, done);
    --waiters_;
  }

  void WaitForQueue() const {
    std::unique_lock<std::mutex> lock(mu_);
    const uint64_t ticket = enqueued_;
    WaitLocked(lock, [&] { return written_ >= ticket; });
  }

  // The writer thread: takes what is queued, writes it outside the lock, repeats; stops once asked to and empty.
  void Write() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      writer_state_ = WriterState::kIdle;
      queued_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      writer_state_ = WriterState::kGathering;
      queued_.wait_for(lock, kGather, [&] { return stopping_ || waiters_ > 0 || queue_.size() >= max_queued_ / 2; });
      writer_state_ = WriterState::kBusy;
      std::deque<Queued> batch;
      batch.swap(queue_);
      if (waiters_ > 0) drained_.notify_all();  // room for producers waiting on max_queued
      lock.unlock();
      std::vector<std::pair<std::string, absl::Status>> failures;
      WriteBatch(batch, failures);
      lock.lock();
      for (auto& [run, status] : failures) {
        spdlog::warn("checkpoint of run {} not written: {}", run.substr(run.find('\n') + 1),
                     std::string(status.message()));
        if (failed_.size() >= kMaxFailedRuns) failed_.clear();  // runs that never write again must not pile up
        failed_.try_emplace(run, std::move(status));
      }
      written_ += batch.size();
      if (waiters_ > 0) drained_.notify_all();
    }
  }

  static constexpr size_t kMaxFailedRuns = 1024;
  static constexpr std::chrono::microseconds kGather{1000};

  const std::unique_ptr<CheckpointStore> inner_;
  const size_t max_queued_;
  mutable std::mutex mu_;
  mutable std::condition_variable queued_;   // for the writer: a record was queued, or stopping_ was set
  mutable std::condition_variable drained_;  // for producers and readers: the queue shrank or written_ grew
  mutable int waiters_ = 0;                  // threads waiting on drained_
  enum class WriterState { kBusy, kIdle, kGathering };
  WriterState writer_state_ = WriterState::kBusy;  // kIdle: waits for a record; kGathering: waits up to kGather
  std::deque<Queued> queue_;
  uint64_t enqueued_ = 0;                                  // records ever queued
  uint64_t written_ = 0;                                   // records the writer finished (ok or not), in queue order
  absl::flat_hash_map<std::string, absl::Status> failed_;  // first failed write per run, not yet reported
  bool stopping_ = false;
  std::thread writer_;  // last: starts after everything above exists
};

}  // namespace

std::unique_ptr<CheckpointStore> NewAsyncCheckpointStore(std::unique_ptr<CheckpointStore> inner, size_t max_queued) {
  return std::make_unique<AsyncCheckpointStore>(std::move(inner), max_queued);
}

}  // namespace catena::chains
