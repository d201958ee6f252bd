// Runner: admission (max_concurrent_runs with a bounded FIFO queue), the per-pipeline plan cache, the result
// cache, Start/Run/Resume and shutdown. The run itself is RunState (run_state.cc, node_call.cc).
#include "chains/runner.h"

#include <deque>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
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
  void LinkLocked(RunState* run) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void UnlinkLocked(RunState* run) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  struct Queued {
    std::shared_ptr<RunState> run;
    RunSeed seed;
  };
  struct CachedPlan {
    std::weak_ptr<const CompiledPipeline> pipeline;
    std::shared_ptr<const Plan> plan;
  };

  const RunnerOptions options;
  mutable internal::ResultCache result_cache;
  mutable absl::Mutex mu;
  int running ABSL_GUARDED_BY(mu) = 0;
  bool closing ABSL_GUARDED_BY(mu) = false;
  RunState* live ABSL_GUARDED_BY(mu) = nullptr;
  std::deque<Queued> queue ABSL_GUARDED_BY(mu);
  absl::Mutex plans_mu;
  absl::flat_hash_map<const CompiledPipeline*, CachedPlan> plans ABSL_GUARDED_BY(plans_mu);
};

std::shared_ptr<const Plan> Runner::Impl::PlanFor(const std::shared_ptr<const CompiledPipeline>& pipeline) {
  absl::MutexLock lock(&plans_mu);
  auto found = plans.find(pipeline.get());
  if (found != plans.end() && !found->second.pipeline.expired()) return found->second.plan;
  if (plans.size() >= 256) absl::erase_if(plans, [](const auto& entry) { return entry.second.pipeline.expired(); });
  auto plan = std::make_shared<const Plan>(internal::BuildPlan(*pipeline));
  plans[pipeline.get()] = CachedPlan{pipeline, plan};
  return plan;
}

void Runner::Impl::LinkLocked(RunState* run) {
  run->linked = true;
  run->prev = nullptr;
  run->next = live;
  if (live != nullptr) live->prev = run;
  live = run;
}

void Runner::Impl::UnlinkLocked(RunState* run) {
  if (!run->linked) return;
  if (run->prev != nullptr) run->prev->next = run->next;
  if (run->next != nullptr) run->next->prev = run->prev;
  if (live == run) live = run->next;
  run->linked = false;
}

absl::Status Runner::Impl::Admit(const std::shared_ptr<RunState>& run, RunSeed seed) {
  {
    absl::MutexLock lock(&mu);
    if (closing) return absl::UnavailableError("runner is shutting down");
    if (running >= options.max_concurrent_runs) {
      if (static_cast<int>(queue.size()) >= options.max_queued_runs) {
        return absl::ResourceExhaustedError(absl::StrCat("runner: ", running, " runs executing and ", queue.size(),
                                                         " queued (the limit); try again later"));
      }
      run->queued = true;
      queue.push_back(Queued{run, std::move(seed)});
      return absl::OkStatus();
    }
    ++running;
    LinkLocked(run.get());
  }
  run->Begin(std::move(seed));
  return absl::OkStatus();
}

void Runner::Impl::RunEnded(RunState* run) {
  Queued next;
  {
    absl::MutexLock lock(&mu);
    if (run->queued) {
      run->queued = false;
      for (auto it = queue.begin(); it != queue.end(); ++it) {
        if (it->run.get() == run) {
          queue.erase(it);
          break;
        }
      }
      return;
    }
    UnlinkLocked(run);
    --running;
    if (queue.empty() || running >= options.max_concurrent_runs) return;
    next = std::move(queue.front());
    queue.pop_front();
    next.run->queued = false;
    ++running;
    LinkLocked(next.run.get());
  }
  auto begin = [next = std::move(next)]() mutable { next.run->Begin(std::move(next.seed)); };
  if (!options.services.executor->Post(begin)) begin();
}

Runner::Runner(RunnerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Runner::~Runner() {
  std::vector<std::shared_ptr<RunState>> runs;
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->closing = true;
    for (const Impl::Queued& queued : impl_->queue) runs.push_back(queued.run);
    for (RunState* run = impl_->live; run != nullptr; run = run->next) {
      if (auto strong = run->weak_from_this().lock()) runs.push_back(std::move(strong));
    }
  }
  for (const auto& run : runs) run->Cancel();
  runs.clear();
  absl::MutexLock lock(&impl_->mu);
  impl_->mu.Await(absl::Condition(
      +[](Impl* impl) ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl->mu) { return impl->running == 0 && impl->queue.empty(); },
      impl_.get()));
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
  CATENA_ASSIGN_OR_RETURN(tmpl::Value checked, RunState::CheckInputs(pipeline->spec, inputs));
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
  absl::Notification finished;
  RunResult result;
  std::string run_id = options.run_id;
  auto handle = Start(std::move(pipeline), std::move(inputs), std::move(options), [&](RunResult r) {
    result = std::move(r);
    finished.Notify();
  });
  if (!handle.ok()) {
    result.state = RunResult::State::kFailed;
    result.status = handle.status();
    result.run_id = std::move(run_id);
    return result;
  }
  finished.WaitForNotification();
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
  CATENA_ASSIGN_OR_RETURN(StoredCheckpoint stored, impl_->options.checkpoints->Latest(options.tenant, options.run_id));
  absl::StatusOr<RunSeed> seed = internal::DecodeState(*pipeline, stored.state);
  if (!seed.ok()) return Annotate(seed.status(), absl::StrCat("run '", options.run_id, "'"));
  seed->next_step = stored.step + 1;
  seed->resume_data = std::move(resume_data);
  auto plan = impl_->PlanFor(pipeline);
  auto run = std::make_shared<RunState>(impl_.get(), std::move(pipeline), std::move(plan), std::move(options),
                                        std::move(done));
  CATENA_RETURN_IF_ERROR(impl_->Admit(run, *std::move(seed)));
  return run;
}

int Runner::running() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->running;
}

int Runner::queued() const {
  absl::MutexLock lock(&impl_->mu);
  return static_cast<int>(impl_->queue.size());
}

}  // namespace catena::chains
