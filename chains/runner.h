// Runner: the graph executor. Runs compiled pipelines asynchronously on the shared Executor (no thread per
// run): a node starts as soon as its dependencies are done; independent nodes run in parallel; synchronous
// nodes run inline on the thread that finished their last dependency. Applies per-node policies (timeout,
// retries with backoff and jitter, fallback node, result cache keyed by resolved parameters), the run
// deadline, cancellation and a bound on concurrent runs (RESOURCE_EXHAUSTED beyond it). With a checkpoint
// store, finished nodes are checkpointed before the run waits (synchronous nodes finished back to back share one
// step), at interrupts and at the end, so an interrupted or crashed run resumes where it stopped.
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "chains/compiled_pipeline.h"
#include "chains/run_event.h"
#include "chains/run_services.h"

namespace catena::chains {

class CheckpointStore;

struct RunnerOptions {
  RunServices services;
  // Runs executing at once; further Start calls wait in a queue of max_queued_runs, beyond which they fail
  // with RESOURCE_EXHAUSTED.
  int max_concurrent_runs = 1024;
  int max_queued_runs = 4096;
  // When set, runs started with checkpoint=true store each step here. Not owned.
  CheckpointStore* checkpoints = nullptr;
};

struct RunOptions {
  std::string run_id;  // generated when empty
  std::string tenant;
  std::string user_id = "anonymous";  // checkpoints are erasable per user
  absl::Time deadline = absl::InfiniteFuture();
  bool checkpoint = false;
  RunEventSink sink;  // may be empty
};

struct RunResult {
  enum class State { kCompleted, kInterrupted, kFailed, kCancelled };
  State state = State::kCompleted;
  std::string run_id;
  tmpl::Value outputs;  // a dict of the pipeline outputs when completed
  TokenUsage usage;
  absl::Status status;  // the error when failed (names the node)
};

// Handle to a started run.
class RunHandle {
 public:
  virtual ~RunHandle() = default;
  virtual const std::string& run_id() const = 0;
  // Cancels the run: running nodes are told, nothing new starts, the result is CANCELLED.
  virtual void Cancel() = 0;
};

class Runner {
 public:
  explicit Runner(RunnerOptions options);
  ~Runner();  // cancels and waits for every run

  // Starts a run; `done` is called exactly once (possibly inline). INVALID_ARGUMENT for inputs that do not
  // match the pipeline's declared inputs; RESOURCE_EXHAUSTED when the queue is full.
  absl::StatusOr<std::shared_ptr<RunHandle>> Start(std::shared_ptr<const CompiledPipeline> pipeline,
                                                   tmpl::Value inputs, RunOptions options,
                                                   std::function<void(RunResult)> done);
  // Starts and waits. Synchronous pipelines run entirely on the calling thread.
  RunResult Run(std::shared_ptr<const CompiledPipeline> pipeline, tmpl::Value inputs, RunOptions options);

  // Continues a run from its latest checkpoint (after an interrupt or a crash). `resume_data` goes to the
  // interrupted node ({approved, payload}). NOT_FOUND when the run has no checkpoint.
  absl::StatusOr<std::shared_ptr<RunHandle>> Resume(std::shared_ptr<const CompiledPipeline> pipeline,
                                                    tmpl::Value resume_data, RunOptions options,
                                                    std::function<void(RunResult)> done);

  // Runs executing and queued now.
  int running() const;
  int queued() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace catena::chains
