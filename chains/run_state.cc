// RunState: dependency counting, skip rules, the ready-queue driver, run completion and ordered event delivery.
// Per-node policies (retries, fallback, timeout, cache) and the NodeCall methods are in node_call.cc;
// checkpoint encoding and input checks in run_checkpoint.cc.
#include <algorithm>
#include <cstdio>
#include <random>
#include <utility>

#include "chains/run_state.h"
#include "common/executor.h"
#include "common/status.h"

namespace catena::chains::internal {
namespace {

// Nodes this thread will start once the node it runs now has returned (inline execution without recursion).
struct Driver {
  absl::InlinedVector<std::pair<std::shared_ptr<RunState>, int>, 4> queue;
};
thread_local Driver* tls_driver = nullptr;

std::string NewRunId() {
  thread_local std::mt19937_64 generator{(static_cast<uint64_t>(std::random_device{}()) << 32) ^
                                         std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    uint64_t bits = generator();
    for (int i = 0; i < 16; ++i, bits >>= 4) id[half * 16 + i] = kHex[bits & 15];
  }
  return id;
}

// The nodes `bindings` read, or null when one of them uses `nodes` whole.
std::shared_ptr<const std::vector<int>> ReadsOf(const CompiledPipeline& pipeline,
                                                const std::vector<const Binding*>& bindings) {
  auto reads = std::make_shared<std::vector<int>>();
  for (const Binding* binding : bindings) {
    for (const Reference& reference : binding->references()) {
      if (reference.root != "nodes") continue;
      const int index = IndexOfNode(pipeline, reference.name);
      if (index < 0) return nullptr;
      if (std::find(reads->begin(), reads->end(), index) == reads->end()) reads->push_back(index);
    }
  }
  return reads;
}

std::shared_ptr<const std::vector<int>> NodeReads(const CompiledPipeline& pipeline, const CompiledNode& node) {
  std::vector<const Binding*> bindings;
  if (node.when.has_value()) bindings.push_back(&*node.when);
  for (const auto& [name, binding] : node.params) bindings.push_back(&binding);
  return ReadsOf(pipeline, bindings);
}

bool NeedsContext(const CompiledNode& node) {
  if (node.when.has_value()) return true;
  for (const auto& [name, binding] : node.params) {
    if (!binding.is_literal()) return true;
  }
  return false;
}

}  // namespace

void Drive(std::shared_ptr<RunState> run, int index) {
  if (tls_driver != nullptr) {
    tls_driver->queue.emplace_back(std::move(run), index);
    return;
  }
  Driver driver;
  tls_driver = &driver;
  driver.queue.emplace_back(std::move(run), index);
  for (size_t i = 0; i < driver.queue.size(); ++i) {
    std::shared_ptr<RunState> current = std::move(driver.queue[i].first);
    current->StartNode(driver.queue[i].second);
    // Synchronous nodes of one run finished back to back share a checkpoint, written when this thread
    // leaves the run.
    if (i + 1 == driver.queue.size() || driver.queue[i + 1].first != current) current->FlushCheckpoint();
  }
  tls_driver = nullptr;
}

DriverScope::DriverScope() : saved_(tls_driver) { tls_driver = nullptr; }
DriverScope::~DriverScope() { tls_driver = static_cast<Driver*>(saved_); }

int IndexOfNode(const CompiledPipeline& pipeline, std::string_view id) {
  for (size_t i = 0; i < pipeline.nodes.size(); ++i) {
    if (pipeline.nodes[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

Plan BuildPlan(const CompiledPipeline& pipeline) {
  const int n = static_cast<int>(pipeline.nodes.size());
  Plan plan;
  plan.pending.assign(n, 0);
  plan.successors.resize(n);
  plan.predecessors.resize(n);
  plan.needs_context.resize(n);
  for (int i = 0; i < n; ++i) {
    const CompiledNode& node = pipeline.nodes[i];
    plan.needs_context[i] = NeedsContext(node);
    plan.reads.push_back(NodeReads(pipeline, node));
    if (node.is_fallback) {
      plan.pending[i] = -1;
      continue;
    }
    ++plan.total;
    std::vector<int>& preds = plan.predecessors[i];
    for (const std::vector<int>* list : {&node.dependencies, &node.gated_by}) {
      for (int dep : *list) {
        if (dep < 0 || dep >= n || dep == i || pipeline.nodes[dep].is_fallback) continue;
        if (std::find(preds.begin(), preds.end(), dep) == preds.end()) preds.push_back(dep);
      }
    }
    for (int dep : preds) plan.successors[dep].push_back(i);
    plan.pending[i] = static_cast<int>(preds.size());
  }
  std::vector<const Binding*> outputs;
  for (const auto& [name, binding] : pipeline.outputs) outputs.push_back(&binding);
  plan.reads.push_back(ReadsOf(pipeline, outputs));
  return plan;
}

RunState::RunState(RunOwner* owner, std::shared_ptr<const CompiledPipeline> pipeline,
                   std::shared_ptr<const Plan> plan, RunOptions options, std::function<void(RunResult)> done)
    : owner_(owner),
      services_(owner->services()),
      pipeline_(std::move(pipeline)),
      plan_(std::move(plan)),
      run_id_(options.run_id.empty() ? NewRunId() : std::move(options.run_id)),
      tenant_(std::move(options.tenant)),
      user_id_(std::move(options.user_id)),
      deadline_(options.deadline),
      checkpoint_(options.checkpoint),
      sink_(std::move(options.sink)),
      done_(std::move(done)),
      slots_(std::make_unique<NodeSlot[]>(pipeline_->nodes.size())) {
  if (sink_) sink_root_ = this;
}

RunState::~RunState() {
  if ((linked || queued.load()) && !ended_reported_ && parent_ == nullptr) owner_->RunEnded(this);
}

void RunState::SetParent(std::shared_ptr<RunState> parent, const std::string& node_id) {
  prefix_ = parent->prefix_ + node_id + "/";
  sink_root_ = parent->sink_root_;
  run_id_ = parent->run_id_;
  parent_ = std::move(parent);
}

void RunState::Begin(RunSeed seed) {
  IndexList ready;
  mu_.lock();
  begun_ = true;
  if (end_ != End::kNone) return Deliver();
  inputs_ = std::move(seed.inputs);
  next_step_ = seed.next_step;
  resume_data_ = std::move(seed.resume_data);
  const int n = static_cast<int>(pipeline_->nodes.size());
  for (int i = 0; i < n; ++i) {
    slots_[i].pending = plan_->pending[i];
    slots_[i].first_call.run_ = this;
  }
  RestoreLocked(seed);
  if (has_sink()) {
    RunEvent event;
    event.kind = RunEvent::Kind::kRunStarted;
    event.data = inputs_;
    EnqueueLocked(std::move(event));
  }
  for (int i = 0; i < n; ++i) {
    NodeSlot& slot = slots_[i];
    if (plan_->pending[i] < 0 || slot.state != SlotState::kPending || slot.pending != 0) continue;
    if (ShouldSkipLocked(i)) {
      SkipLocked(i, ready);
    } else {
      slot.state = SlotState::kRunning;
      ++running_;
      ready.push_back(i);
    }
  }
  if (done_count_ == plan_->total && ready.empty()) CompleteLocked();
  Deliver();
  ArmDeadline();
  Schedule(ready);
}

void RunState::ArmDeadline() {
  if (deadline_ == absl::InfiniteFuture() || parent_ != nullptr) return;
  const absl::Duration left = deadline_ - absl::Now();
  auto expire = [weak = weak_from_this()] {
    if (auto run = weak.lock()) run->Fail(absl::DeadlineExceededError("run deadline exceeded"), "");
  };
  if (left <= absl::ZeroDuration() ||
      !services_.executor->PostAfter(absl::ToChronoMilliseconds(left), std::move(expire))) {
    Fail(absl::DeadlineExceededError("run deadline exceeded"), "");
  }
}

void RunState::Schedule(const IndexList& ready) {
  if (ready.empty()) return;
  Executor* executor = services_.executor;
  for (size_t i = 1; i < ready.size(); ++i) {
    auto task = [run = shared_from_this(), index = ready[i]]() mutable { Drive(std::move(run), index); };
    if (!executor->Post(std::move(task))) Drive(shared_from_this(), ready[i]);
  }
  Drive(shared_from_this(), ready[0]);
}

bool RunState::ShouldSkipLocked(int index) const {
  const CompiledNode& cn = node(index);
  for (int router : cn.gated_by) {
    if (router < 0 || router >= static_cast<int>(pipeline_->nodes.size())) continue;
    const NodeSlot& slot = slots_[router];
    if (slot.state != SlotState::kFinished) return true;
    if (std::find(slot.chosen.begin(), slot.chosen.end(), index) == slot.chosen.end()) return true;
  }
  const std::vector<int>& preds = plan_->predecessors[index];
  if (preds.empty()) return false;
  int skipped = 0;
  for (int dep : preds) skipped += slots_[dep].state == SlotState::kSkipped ? 1 : 0;
  return cn.policy.join_any ? skipped == static_cast<int>(preds.size()) : skipped > 0;
}

void RunState::SkipLocked(int index, IndexList& ready) {
  slots_[index].state = SlotState::kSkipped;
  if (has_sink()) EnqueueNodeEventLocked(RunEvent::Kind::kNodeSkipped, index, tmpl::Value());
  ReleaseLocked(index, ready);
}

void RunState::ReleaseLocked(int first, IndexList& ready) {
  IndexList work;
  work.push_back(first);
  while (!work.empty()) {
    const int done = work.back();
    work.pop_back();
    ++done_count_;
    for (int next : plan_->successors[done]) {
      NodeSlot& slot = slots_[next];
      if (--slot.pending != 0 || slot.state != SlotState::kPending) continue;
      if (ShouldSkipLocked(next)) {
        slot.state = SlotState::kSkipped;
        if (has_sink()) EnqueueNodeEventLocked(RunEvent::Kind::kNodeSkipped, next, tmpl::Value());
        work.push_back(next);
      } else if (interrupted_at_ < 0) {
        slot.state = SlotState::kRunning;
        ++running_;
        ready.push_back(next);
      }
    }
  }
}

tmpl::Value RunState::ContextLocked() {
  if (!nodes_dirty_) return context_view_;
  tmpl::Value nodes = tmpl::Value::Dict();
  const int n = static_cast<int>(pipeline_->nodes.size());
  for (int i = 0; i < n; ++i) {
    if (slots_[i].state == SlotState::kFinished) nodes.map().Set(node(i).id, slots_[i].output);
  }
  context_view_ = ContextWith(std::move(nodes));
  nodes_dirty_ = false;
  return context_view_;
}

tmpl::Value RunState::ContextLocked(const std::vector<int>* reads) {
  if (reads == nullptr) return ContextLocked();
  if (reads->empty()) {  // reads inputs (and roots) only: one context serves the whole run
    if (base_context_.is_undefined()) base_context_ = ContextWith(tmpl::Value::Dict());
    return base_context_;
  }
  tmpl::Value nodes = tmpl::Value::Dict();
  for (int index : *reads) {
    if (slots_[index].state == SlotState::kFinished) nodes.map().Set(node(index).id, slots_[index].output);
  }
  return ContextWith(std::move(nodes));
}

tmpl::Value RunState::ContextWith(tmpl::Value nodes) const {
  tmpl::Value context = tmpl::Value::Dict();
  context.map().Set("inputs", inputs_);
  context.map().Set("nodes", std::move(nodes));
  if (inputs_.is_map()) {
    for (const std::string& root : pipeline_->extra_roots) {
      if (const tmpl::Value* value = inputs_.map().Find(root)) context.map().Set(root, *value);
    }
  }
  return context;
}

tmpl::Value RunState::Context() {
  std::lock_guard<std::mutex> lock(mu_);
  return ContextLocked();
}

absl::StatusOr<bool> RunState::ResolveLocked(int index, const tmpl::Value& context, tmpl::Value& params) {
  const CompiledNode& cn = node(index);
  if (cn.when.has_value()) {
    absl::StatusOr<tmpl::Value> guard = cn.when->Evaluate(context);
    if (!guard.ok()) return Annotate(guard.status(), absl::StrCat("node '", cn.id, "': when"));
    if (!tmpl::Truthy(*guard)) return false;
  }
  params = tmpl::Value::Dict();
  for (const auto& [name, binding] : cn.params) {
    absl::StatusOr<tmpl::Value> value = binding.Evaluate(context);
    if (!value.ok()) return Annotate(value.status(), absl::StrCat("node '", cn.id, "'"));
    params.map().Set(name, *std::move(value));
  }
  return true;
}

void RunState::StartNode(int index) {
  NodeSlot& slot = slots_[index];
  mu_.lock();
  if (end_ != End::kNone) return mu_.unlock();
  if (interrupted_at_ >= 0) {  // an interrupt is pending: leave the node for Resume
    slot.state = SlotState::kPending;
    --running_;
    MaybeEndInterruptedLocked();
    return Deliver();
  }
  NodeCallImpl* call = &slot.first_call;
  tmpl::Value context;
  if (plan_->needs_context[index]) context = ContextLocked(plan_->reads[index].get());
  absl::StatusOr<bool> run = ResolveLocked(index, context, call->params_);
  if (!run.ok() || !*run) {
    mu_.unlock();
    return run.ok() ? SkipNode(index) : Fail(run.status(), node(index).id);
  }
  call->node_ = index;
  call->impl_node_ = index;
  // A context narrowed to the nodes the bindings read is not what lazy bindings need: context() builds that.
  call->context_ = plan_->reads[index] == nullptr ? std::move(context) : tmpl::Value();
  if (node(index).policy.cache_ttl.has_value()) {
    mu_.unlock();
    return StartCall(call);
  }
  BeginCallLocked(call);
  Deliver();
  Launch(call);
}

void RunState::SkipNode(int index) {
  IndexList ready;
  mu_.lock();
  if (end_ != End::kNone) return mu_.unlock();
  --running_;
  SkipLocked(index, ready);
  if (done_count_ == plan_->total) CompleteLocked();
  if (interrupted_at_ >= 0) MaybeEndInterruptedLocked();
  Deliver();
  Schedule(ready);
}

bool RunState::EndLocked(End end, absl::Status status) {
  if (end_ != End::kNone) return false;
  end_ = end;
  status_ = std::move(status);
  if (end == End::kFailed || end == End::kCancelled) stopped_.store(true, std::memory_order_release);
  const int n = static_cast<int>(pipeline_->nodes.size());
  for (int i = 0; i < n; ++i) {
    NodeCallImpl* call = slots_[i].current;
    if (slots_[i].state != SlotState::kRunning || call == nullptr) continue;
    for (auto& on_cancel : call->on_cancel_) pending_cancels_.push_back(std::move(on_cancel));
    call->on_cancel_.clear();
  }
  finalize_pending_ = true;
  return true;
}

void RunState::Cancel() {
  mu_.lock();
  if (EndLocked(End::kCancelled, absl::CancelledError("run cancelled")) && has_sink() && parent_ == nullptr) {
    RunEvent event;
    event.kind = RunEvent::Kind::kError;
    event.status = status_;
    EnqueueLocked(std::move(event));
  }
  Deliver();
}

void RunState::Fail(absl::Status status, const std::string& node_id) {
  mu_.lock();
  FailLocked(std::move(status), node_id);
  Deliver();
}

void RunState::FailLocked(absl::Status status, const std::string& node_id) {
  if (!EndLocked(End::kFailed, status) || !has_sink()) return;
  RunEvent event;
  event.kind = RunEvent::Kind::kError;
  event.node = node_id;
  event.status = std::move(status);
  EnqueueLocked(std::move(event));
}

void RunState::FlushCheckpoint() {
  if (!checkpoint_) return;
  mu_.lock();
  if (checkpoint_dirty_ && end_ == End::kNone) {
    if (absl::Status stored = CheckpointLocked(); !stored.ok()) FailLocked(Annotate(stored, "checkpoint"), "");
  }
  Deliver();
}

void RunState::CompleteLocked() {
  if (end_ != End::kNone) return;
  if (checkpoint_dirty_) {
    if (absl::Status stored = CheckpointLocked(); !stored.ok()) return FailLocked(Annotate(stored, "checkpoint"), "");
  }
  const tmpl::Value context = ContextLocked(plan_->reads.back().get());
  tmpl::Value outputs = tmpl::Value::Dict();
  for (const auto& [name, binding] : pipeline_->outputs) {
    absl::StatusOr<tmpl::Value> value = binding.Evaluate(context);
    if (!value.ok() && !ReadsSkippedNode(binding)) {
      return FailLocked(Annotate(value.status(), absl::StrCat("output '", name, "'")), "");
    }
    outputs.map().Set(name, !value.ok() || value->is_undefined() ? tmpl::Value::None() : *std::move(value));
  }
  EndLocked(End::kCompleted, absl::OkStatus());
  outputs_ = outputs;
  if (has_sink()) {
    RunEvent event;
    event.kind = RunEvent::Kind::kFinal;
    event.data = std::move(outputs);
    event.usage = usage_;
    EnqueueLocked(std::move(event));
  }
}

bool RunState::ReadsSkippedNode(const Binding& binding) const {
  for (const Reference& reference : binding.references()) {
    if (reference.root != "nodes") continue;
    const int index = IndexOfNode(*pipeline_, reference.name);
    if (index >= 0 && slots_[index].state != SlotState::kFinished) return true;
  }
  return false;
}

}  // namespace catena::chains::internal
