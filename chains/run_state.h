// Internal to the Runner (runner.cc, run_state.cc, run_checkpoint.cc): the state of one run — per-node slots
// with dependency counters, the NodeCall handed to node implementations, the ordered event queue and the
// ready-queue driver that runs synchronous nodes inline. Not a public header. Every mutable field of RunState
// is guarded by RunState::mu_; sinks and `done` are never called with it held.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/inlined_vector.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "chains/compiled_pipeline.h"
#include "chains/runner.h"

namespace catena::chains::internal {

class ResultCache;
class RunState;

// What the Runner derives once per pipeline: initial dependency counts and successor lists over the union of
// `dependencies` and `gated_by` (fallback nodes excluded: they only run in place of a failed node).
struct Plan {
  std::vector<int> pending;                 // per node; -1 for fallback nodes
  std::vector<std::vector<int>> successors;  // non-fallback nodes waiting for each node
  std::vector<std::vector<int>> predecessors;
  std::vector<bool> needs_context;  // has a `when` or a non-literal parameter
  // The nodes each node's bindings read (index n: the pipeline outputs); a null entry means "every node"
  // (the bindings use `nodes` whole).
  std::vector<std::shared_ptr<const std::vector<int>>> reads;
  int total = 0;                     // non-fallback nodes
};
Plan BuildPlan(const CompiledPipeline& pipeline);
// Index of node `id` in `pipeline`, or -1.
int IndexOfNode(const CompiledPipeline& pipeline, std::string_view id);

// What runs share with the Runner that started them.
class RunOwner {
 public:
  virtual ~RunOwner() = default;
  virtual const RunServices& services() const = 0;
  virtual CheckpointStore* checkpoints() const = 0;
  virtual ResultCache* cache() const = 0;
  // The plan of `pipeline` (cached per pipeline).
  virtual std::shared_ptr<const Plan> PlanFor(const std::shared_ptr<const CompiledPipeline>& pipeline) = 0;
  // Called once when a top-level run ends (before `done`).
  virtual void RunEnded(RunState* run) = 0;
};

// One execution attempt of one node (or of its fallback in its place).
class NodeCallImpl final : public NodeCall {
 public:
  const std::string& node_id() const override;
  const tmpl::Value& params() const override { return params_; }
  const tmpl::Value& context() const override;
  const RunServices& services() const override;
  const std::string& tenant() const override;
  const std::string& run_id() const override;
  absl::Time deadline() const override;
  bool cancelled() const override;
  void OnCancel(std::function<void()> on_cancel) override;
  void Emit(RunEvent event) override;
  void AddUsage(const TokenUsage& usage) override;
  void RunChild(std::shared_ptr<const CompiledPipeline> pipeline, tmpl::Value inputs,
                std::function<void(absl::StatusOr<tmpl::Value>)> done) override;
  void Interrupt(std::string reason, tmpl::Value payload) override;
  const tmpl::Value* resume_data() const override { return resume_data_.is_undefined() ? nullptr : &resume_data_; }
  absl::Status SaveProgress(tmpl::Value progress) override;
  const tmpl::Value* progress() const override { return progress_.is_undefined() ? nullptr : &progress_; }
  absl::Status AppendProgress(std::string delta_json) override;
  const std::vector<tmpl::Value>& progress_log() const override { return progress_log_; }
  void Finish(absl::StatusOr<tmpl::Value> output) override;

 private:
  friend class RunState;
  RunState* run_ = nullptr;
  std::shared_ptr<RunState> keep_;  // holds the run until Finish
  int node_ = -1;                   // the slot this call fills
  int impl_node_ = -1;              // the node whose implementation runs (the fallback's when is_fallback_)
  int attempt_ = 0;
  bool is_fallback_ = false;
  std::atomic<bool> done_{false};
  tmpl::Value params_;
  mutable tmpl::Value context_;  // built on first use when the node's bindings did not need it
  tmpl::Value resume_data_;
  tmpl::Value progress_;  // the slot's progress when the call began, then what this call saved
  std::vector<tmpl::Value> progress_log_;  // the slot's progress log when the call began
  absl::Time started_;
  std::vector<std::function<void()>> on_cancel_;  // guarded by run_->mu_
};

enum class SlotState : uint8_t { kPending, kRunning, kFinished, kSkipped };

struct NodeSlot {
  SlotState state = SlotState::kPending;
  int pending = 0;
  tmpl::Value output;
  std::vector<int> chosen;  // routers: the targets chosen
  tmpl::Value progress;     // NodeCall::SaveProgress of an unfinished node (checkpointed)
  std::vector<std::string> progress_log;  // NodeCall::AppendProgress since then, JSON (checkpointed)
  NodeCallImpl first_call;
  NodeCallImpl* current = nullptr;  // the attempt running now
};

// Where a run starts from: fresh inputs or a decoded checkpoint.
struct RunSeed {
  tmpl::Value inputs;
  std::vector<std::pair<std::string, tmpl::Value>> finished;
  std::vector<std::string> skipped;
  std::vector<std::pair<std::string, std::vector<std::string>>> routes;
  std::string interrupted_at;
  tmpl::Value resume_data;
  std::vector<std::pair<std::string, tmpl::Value>> progress;  // of unfinished nodes
  std::vector<std::pair<std::string, std::vector<std::string>>> progress_log;  // of unfinished nodes, JSON
  int64_t next_step = 0;
};

class RunState final : public RunHandle, public std::enable_shared_from_this<RunState> {
 public:
  RunState(RunOwner* owner, std::shared_ptr<const CompiledPipeline> pipeline, std::shared_ptr<const Plan> plan,
           RunOptions options, std::function<void(RunResult)> done);
  ~RunState() override;

  const std::string& run_id() const override { return run_id_; }
  void Cancel() override;

  // Makes this a nested run of `parent` (events prefixed, usage and cancellation shared).
  void SetParent(std::shared_ptr<RunState> parent, const std::string& node_id);
  // Restores slots from `seed` and starts every ready node (the first inline). Call once.
  void Begin(RunSeed seed);

  // Runs node `index` unless the run has stopped (from the driver loop).
  void StartNode(int index);
  // Writes the checkpoint of the nodes finished since the last one (the driver calls it when leaving the run).
  void FlushCheckpoint();

  // Checked inputs with defaults applied; INVALID_ARGUMENT naming the input. Names in extra_roots (item,
  // index, loop of bodies) are accepted besides the declared inputs.
  static absl::StatusOr<tmpl::Value> CheckInputs(const CompiledPipeline& pipeline, const tmpl::Value& inputs);

  // Linked list of live top-level runs (guarded by the owner's shard mutex).
  RunState* prev = nullptr;
  RunState* next = nullptr;
  int shard = 0;
  bool linked = false;
  std::atomic<bool> queued{false};  // waiting in the owner's queue

 private:
  friend class NodeCallImpl;
  using IndexList = absl::InlinedVector<int, 8>;
  enum class End { kNone, kCompleted, kInterrupted, kFailed, kCancelled };

  const CompiledNode& node(int index) const { return pipeline_->nodes[index]; }
  bool has_sink() const { return sink_root_ != nullptr; }
  // The context with every finished node (cached until the next change), or, given `reads`, only with those.
  tmpl::Value ContextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  tmpl::Value ContextLocked(const std::vector<int>* reads) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  tmpl::Value ContextWith(tmpl::Value nodes) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  tmpl::Value Context();
  bool ShouldSkipLocked(int index) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Marks `first` done (finished or skipped) and propagates readiness/skips; appends nodes to start.
  void ReleaseLocked(int first, IndexList& ready) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SkipLocked(int index, IndexList& ready) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Schedule(const IndexList& ready);
  // Evaluates the guard and parameters of `index`; false when the guard is false.
  absl::StatusOr<bool> ResolveLocked(int index, const tmpl::Value& context, tmpl::Value& params)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartCall(NodeCallImpl* call);
  bool TryCacheHit(NodeCallImpl* call);
  void BeginCallLocked(NodeCallImpl* call) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Launch(NodeCallImpl* call);
  void SkipNode(int index);
  void OnFinish(NodeCallImpl& call, absl::StatusOr<tmpl::Value> output);
  void OnSuccess(NodeCallImpl& call, tmpl::Value output);
  void OnFailure(NodeCallImpl& call, absl::Status status);
  absl::Status RecordRouteLocked(int index, const tmpl::Value& output) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartRetry(int index, int attempt, tmpl::Value params);
  void StartFallback(int index);
  void OnTimeout(NodeCallImpl* call);
  void OnInterrupt(NodeCallImpl& call, std::string reason, tmpl::Value payload);
  absl::Status SaveProgress(NodeCallImpl& call, tmpl::Value progress);
  absl::Status AppendProgress(NodeCallImpl& call, std::string delta_json);
  void MaybeEndInterruptedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends the run; returns false when it had already ended. Queues the running calls' on-cancel callbacks.
  bool EndLocked(End end, absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Fail(absl::Status status, const std::string& node_id);
  void FailLocked(absl::Status status, const std::string& node_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Evaluates the outputs and ends the run (completed, or failed on an output error).
  void CompleteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // True when `binding` reads a node that did not run (outputs that read skipped nodes are null).
  bool ReadsSkippedNode(const Binding& binding) const;
  RunResult TakeResultLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Finalize(RunResult result);
  void AddUsageFromChild(const TokenUsage& usage);
  // Events: stamped and queued under mu_, delivered in order by one thread at a time.
  void EnqueueLocked(RunEvent event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EnqueueNodeEventLocked(RunEvent::Kind kind, int index, tmpl::Value data) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Deliver() ABSL_UNLOCK_FUNCTION(mu_);
  void ForwardEvent(RunEvent event);
  // Checkpoints: the state after the latest step, stored under mu_ so steps stay in order.
  absl::Status CheckpointLocked(bool sync = false) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string EncodeStateLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RestoreLocked(const RunSeed& seed) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string CacheKey(int impl_node, const tmpl::Value& params) const;
  void ArmDeadline();

  RunOwner* const owner_;
  const RunServices services_;  // a copy: nodes may still use it after the Runner is gone
  const std::shared_ptr<const CompiledPipeline> pipeline_;
  const std::shared_ptr<const Plan> plan_;
  std::string run_id_;
  const std::string tenant_;
  const std::string user_id_;
  const absl::Time deadline_;
  const bool checkpoint_;
  RunEventSink sink_;
  RunState* sink_root_ = nullptr;  // the run whose sink gets this run's events (self, an ancestor, or none)
  std::function<void(RunResult)> done_;
  std::function<void(absl::StatusOr<tmpl::Value>)> child_done_;
  std::shared_ptr<RunState> parent_;
  std::string prefix_;  // "<node>/" for nested runs
  tmpl::Value inputs_;
  std::unique_ptr<NodeSlot[]> slots_;

  // std::mutex, not absl::Mutex: a mutex per run is created and destroyed at high rates, and absl::Mutex in
  // debug builds of abseil (Debian's) registers every mutex in a global deadlock graph under one spinlock.
  mutable std::mutex mu_;
  int done_count_ ABSL_GUARDED_BY(mu_) = 0;
  int running_ ABSL_GUARDED_BY(mu_) = 0;  // calls outstanding or waiting for a retry
  End end_ ABSL_GUARDED_BY(mu_) = End::kNone;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  int interrupted_at_ ABSL_GUARDED_BY(mu_) = -1;
  int resume_target_ = -1;  // the node that gets resume_data (set before any node starts)
  std::atomic<bool> stopped_{false};
  std::vector<std::function<void()>> pending_cancels_ ABSL_GUARDED_BY(mu_);
  tmpl::Value resume_data_ ABSL_GUARDED_BY(mu_);
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  tmpl::Value outputs_ ABSL_GUARDED_BY(mu_);
  TokenUsage usage_ ABSL_GUARDED_BY(mu_);
  tmpl::Value context_view_ ABSL_GUARDED_BY(mu_);
  tmpl::Value base_context_ ABSL_GUARDED_BY(mu_);  // {inputs, nodes: {}, roots}  // {inputs, nodes, roots}; rebuilt after changes
  bool nodes_dirty_ ABSL_GUARDED_BY(mu_) = true;
  int64_t next_step_ ABSL_GUARDED_BY(mu_) = 0;
  bool checkpoint_dirty_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<NodeCallImpl>> extra_calls_ ABSL_GUARDED_BY(mu_);
  // Event delivery.
  int64_t seq_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<RunEvent> events_ ABSL_GUARDED_BY(mu_);
  bool delivering_ ABSL_GUARDED_BY(mu_) = false;
  bool finalize_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool begun_ = false;
  bool ended_reported_ = false;
};

// Decodes a checkpoint state written for `pipeline`; FAILED_PRECONDITION for another version, DATA_LOSS when
// malformed or naming nodes the pipeline lacks.
absl::StatusOr<RunSeed> DecodeState(const CompiledPipeline& pipeline, const std::string& text);
// The seed of a run from its records in `store`: the latest full state plus the progress deltas stored after
// it (next_step set past the latest record). Errors as DecodeState, and the store's.
// The checkpoint record of one NodeCall::AppendProgress: {"progress_delta": node id, "value": delta}.
std::string EncodeProgressDelta(const std::string& node_id, const std::string& delta_json);
// The values of a progress log (JSON texts); entries that do not parse become null.
std::vector<tmpl::Value> DecodeProgressLog(const std::vector<std::string>& log);
absl::StatusOr<RunSeed> LoadSeed(const CompiledPipeline& pipeline, const CheckpointStore& store,
                                 std::string_view tenant, std::string_view run_id);

// Runs `index` of `run` on this thread, or queues it behind the node this thread is already running.
void Drive(std::shared_ptr<RunState> run, int index);
// Hides the calling thread's driver (Runner::Run blocks; its run must not queue behind the caller's node).
class DriverScope {
 public:
  DriverScope();
  ~DriverScope();

 private:
  void* saved_;
};

}  // namespace catena::chains::internal
