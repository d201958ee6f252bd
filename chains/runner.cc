// Runner: admission (max_concurrent_runs with a bounded FIFO queue), the per-pipeline plan cache, the result
// cache, Start/Run/Resume and shutdown. The run itself is RunState (run_state.cc, node_call.cc).
#include "chains/runner.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "chains/checkpoint_store.h"
#include "chains/result_cache.h"
#include "chains/run_state.h"
#include "common/executor.h"
#include "common/status.h"

namespace catena::chains {

using internal::Plan;
using internal::RunSeed;
using internal::RunState;

namespace {
constexpr size_t kResultCacheEntries = 4096;
}  // namespace

struct Runner::Impl final : internal::RunOwner {
  explicit Impl(RunnerOptions runner_options)
      : options(std::move(runner_options)), result_cache(kResultCacheEntries) {}

  const RunServices& services() const override { return options.services; }
  CheckpointStore* checkpoints() const override { return options.checkpoints; }
  internal::ResultCache* cache() const override { return &result_cache; }
  std::shared_ptr<const Plan> PlanFor(const std::shared_ptr<const CompiledPipeline>& pipeline) override;
  void RunEnded(RunState* run) override;

  // Starts `run` now or queues it; RESOURCE_EXHAUSTED when the queue is full.
  absl::Status Admit(const std::shared_ptr<RunState>& run, RunSeed seed);
  // Takes a slot when fewer than max_concurrent_runs are executing.
  bool TryAcquire();
  // Starts queued runs while slots are free.
  void DrainQueue();
  void Link(RunState* run);
  void Unlink(RunState* run);

  struct Queued {
    std::shared_ptr<RunState> run;
    RunSeed seed;
  };
  struct CachedPlan {
    std::weak_ptr<const CompiledPipeline> pipeline;
    std::shared_ptr<const Plan> plan;
  };
  // Live runs, sharded by starting thread so that concurrent starts do not contend on one mutex.
  struct Shard {
    std::mutex mu;
    RunState* live ABSL_GUARDED_BY(mu) = nullptr;
  };
  static constexpr int kShards = 16;

  const RunnerOptions options;
  mutable internal::ResultCache result_cache;
  std::atomic<int> running{0};
  std::atomic<int> waiting{0};  // queued runs plus admissions deciding whether to queue
  std::atomic<bool> closing{false};
  mutable absl::Mutex queue_mu;
  std::deque<Queued> queue ABSL_GUARDED_BY(queue_mu);
  Shard shards[kShards];
  absl::Mutex plans_mu;
  absl::flat_hash_map<const CompiledPipeline*, CachedPlan> plans ABSL_GUARDED_BY(plans_mu);
};

std::shared_ptr<const Plan> Runner::Impl::PlanFor(const std::shared_ptr<const CompiledPipeline>& pipeline) {
  struct Recent {
    const CompiledPipeline* raw = nullptr;
    std::weak_ptr<const CompiledPipeline> pipeline;
    std::shared_ptr<const Plan> plan;
  };
  thread_local Recent recent;  // plans depend only on the pipeline, so any Runner may share them
  if (recent.raw == pipeline.get() && !recent.pipeline.expired()) return recent.plan;
  std::shared_ptr<const Plan> plan;
  {
    absl::MutexLock lock(&plans_mu);
    auto found = plans.find(pipeline.get());
    if (found != plans.end() && !found->second.pipeline.expired()) {
      plan = found->second.plan;
    } else {
      if (plans.size() >= 256) absl::erase_if(plans, [](const auto& entry) { return entry.second.pipeline.expired(); });
      plan = std::make_shared<const Plan>(internal::BuildPlan(*pipeline));
      plans[pipeline.get()] = CachedPlan{pipeline, plan};
    }
  }
  recent = Recent{pipeline.get(), pipeline, plan};
  return plan;
}

void Runner::Impl::Link(RunState* run) {
  static std::atomic<int> next_shard{0};
  thread_local const int shard_index = next_shard.fetch_add(1, std::memory_order_relaxed) % kShards;
  Shard& shard = shards[shard_index];
  std::lock_guard<std::mutex> lock(shard.mu);
  run->shard = shard_index;
  run->linked = true;
  run->prev = nullptr;
  run->next = shard.live;
  if (shard.live != nullptr) shard.live->prev = run;
  shard.live = run;
}

void Runner::Impl::Unlink(RunState* run) {
  Shard& shard = shards[run->shard];
  std::lock_guard<std::mutex> lock(shard.mu);
  if (!run->linked) return;
  if (run->prev != nullptr) run->prev->next = run->next;
  if (run->next != nullptr) run->next->prev = run->prev;
  if (shard.live == run) shard.live = run->next;
  run->linked = false;
}

bool Runner::Impl::TryAcquire() {
  int now = running.load();
  while (now < options.max_concurrent_runs) {
    if (running.compare_exchange_weak(now, now + 1)) return true;
  }
  return false;
}

absl::Status Runner::Impl::Admit(const std::shared_ptr<RunState>& run, RunSeed seed) {
  if (closing.load()) return absl::UnavailableError("runner is shutting down");
  bool admitted = waiting.load() == 0 && TryAcquire();
  if (!admitted) {
    absl::MutexLock lock(&queue_mu);
    waiting.fetch_add(1);  // before looking at `running`: RunEnded decrements it, then looks at `waiting`
    admitted = TryAcquire();
    if (!admitted) {
      if (static_cast<int>(queue.size()) >= options.max_queued_runs) {
        waiting.fetch_sub(1);
        return absl::ResourceExhaustedError(absl::StrCat("runner: ", running.load(), " runs executing and ",
                                                         queue.size(), " queued (the limit); try again later"));
      }
      run->queued.store(true);
      queue.push_back(Queued{run, std::move(seed)});
      return absl::OkStatus();
    }
    waiting.fetch_sub(1);
  }
  Link(run.get());
  run->Begin(std::move(seed));
  return absl::OkStatus();
}

void Runner::Impl::DrainQueue() {
  while (waiting.load() > 0) {
    Queued next;
    {
      absl::MutexLock lock(&queue_mu);
      if (queue.empty() || !TryAcquire()) return;
      next = std::move(queue.front());
      queue.pop_front();
      waiting.fetch_sub(1);
      Link(next.run.get());  // before `queued` clears: a concurrent Cancel then finds the run linked
      next.run->queued.store(false);
    }
    auto begin = [next = std::move(next)]() mutable { next.run->Begin(std::move(next.seed)); };
    if (!options.services.executor->Post(begin)) begin();
  }
}

void Runner::Impl::RunEnded(RunState* run) {
  if (run->queued.load()) {
    absl::MutexLock lock(&queue_mu);
    for (auto it = queue.begin(); it != queue.end(); ++it) {
      if (it->run.get() != run) continue;
      queue.erase(it);
      waiting.fetch_sub(1);
      run->queued.store(false);
      return;
    }
  }
  Unlink(run);
  running.fetch_sub(1);
  DrainQueue();
}

Runner::Runner(RunnerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Runner::~Runner() {
  impl_->closing.store(true);
  std::vector<std::shared_ptr<RunState>> runs;
  {
    absl::MutexLock lock(&impl_->queue_mu);
    for (const Impl::Queued& queued : impl_->queue) runs.push_back(queued.run);
  }
  for (Impl::Shard& shard : impl_->shards) {
    std::lock_guard<std::mutex> lock(shard.mu);
    for (RunState* run = shard.live; run != nullptr; run = run->next) {
      if (auto strong = run->weak_from_this().lock()) runs.push_back(std::move(strong));
    }
  }
  for (const auto& run : runs) run->Cancel();
  runs.clear();
  while (impl_->running.load() > 0 || impl_->waiting.load() > 0) absl::SleepFor(absl::Milliseconds(1));
}

absl::StatusOr<std::shared_ptr<RunHandle>> Runner::Start(std::shared_ptr<const CompiledPipeline> pipeline,
                                                         tmpl::Value inputs, RunOptions options,
                                                         std::function<void(RunResult)> done) {
  if (pipeline == nullptr) return absl::InvalidArgumentError("Start: pipeline is null");
  if (impl_->options.services.executor == nullptr) {
    return absl::FailedPreconditionError("runner: RunServices.executor is not configured");
  }
  if (options.checkpoint && impl_->options.checkpoints == nullptr) {
    return absl::FailedPreconditionError("runner: checkpoint requested but no checkpoint store is configured");
  }
  CATENA_ASSIGN_OR_RETURN(tmpl::Value checked, RunState::CheckInputs(*pipeline, inputs));
  auto plan = impl_->PlanFor(pipeline);
  auto run = std::make_shared<RunState>(impl_.get(), std::move(pipeline), std::move(plan), std::move(options),
                                        std::move(done));
  RunSeed seed;
  seed.inputs = std::move(checked);
  CATENA_RETURN_IF_ERROR(impl_->Admit(run, std::move(seed)));
  return run;
}

RunResult Runner::Run(std::shared_ptr<const CompiledPipeline> pipeline, tmpl::Value inputs, RunOptions options) {
  internal::DriverScope scope;
  // std::mutex rather than absl::Notification: see the note on RunState::mu_.
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;
  RunResult result;
  std::string run_id = options.run_id;
  auto handle = Start(std::move(pipeline), std::move(inputs), std::move(options), [&](RunResult r) {
    std::lock_guard<std::mutex> lock(mu);
    result = std::move(r);
    finished = true;
    cv.notify_one();
  });
  if (!handle.ok()) {
    result.state = RunResult::State::kFailed;
    result.status = handle.status();
    result.run_id = std::move(run_id);
    return result;
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return finished; });
  return result;
}

absl::StatusOr<std::shared_ptr<RunHandle>> Runner::Resume(std::shared_ptr<const CompiledPipeline> pipeline,
                                                          tmpl::Value resume_data, RunOptions options,
                                                          std::function<void(RunResult)> done) {
  if (pipeline == nullptr) return absl::InvalidArgumentError("Resume: pipeline is null");
  if (impl_->options.checkpoints == nullptr) {
    return absl::FailedPreconditionError("runner: Resume needs a checkpoint store");
  }
  if (options.run_id.empty()) return absl::InvalidArgumentError("Resume: run_id is required");
  absl::StatusOr<RunSeed> seed =
      internal::LoadSeed(*pipeline, *impl_->options.checkpoints, options.tenant, options.run_id);
  if (absl::IsNotFound(seed.status())) return seed.status();
  if (!seed.ok()) return Annotate(seed.status(), absl::StrCat("run '", options.run_id, "'"));
  seed->resume_data = std::move(resume_data);
  auto plan = impl_->PlanFor(pipeline);
  auto run = std::make_shared<RunState>(impl_.get(), std::move(pipeline), std::move(plan), std::move(options),
                                        std::move(done));
  CATENA_RETURN_IF_ERROR(impl_->Admit(run, *std::move(seed)));
  return run;
}

int Runner::running() const { return impl_->running.load(); }

int Runner::queued() const {
  absl::MutexLock lock(&impl_->queue_mu);
  return static_cast<int>(impl_->queue.size());
}

}  // namespace catena::chains
