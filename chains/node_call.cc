// NodeCallImpl (what node implementations see) and the per-node policies of RunState: result cache, timeout,
// retries with doubling backoff and jitter, fallback nodes, router choices, interrupts and nested runs.
#include <algorithm>
#include <cmath>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "chains/checkpoint_store.h"
#include "chains/result_cache.h"
#include "chains/run_state.h"
#include "common/executor.h"
#include "common/status.h"

namespace catena::chains::internal {
namespace {

double Jitter() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.8, 1.2)(generator);
}

}  // namespace

const std::string& NodeCallImpl::node_id() const { return run_->node(impl_node_).id; }

const tmpl::Value& NodeCallImpl::context() const {
  if (context_.is_undefined()) context_ = run_->Context();
  return context_;
}

const RunServices& NodeCallImpl::services() const { return run_->services_; }
const std::string& NodeCallImpl::tenant() const { return run_->tenant_; }
const std::string& NodeCallImpl::run_id() const { return run_->run_id_; }
absl::Time NodeCallImpl::deadline() const { return run_->deadline_; }

bool NodeCallImpl::cancelled() const {
  return run_->stopped_.load(std::memory_order_acquire) || done_.load(std::memory_order_acquire);
}

void NodeCallImpl::OnCancel(std::function<void()> on_cancel) {
  {
    std::lock_guard<std::mutex> lock(run_->mu_);
    const bool live = run_->end_ == RunState::End::kNone && !done_.load(std::memory_order_acquire);
    if (live) {
      on_cancel_.push_back(std::move(on_cancel));
      return;
    }
    if (!cancelled()) return;  // completed normally: nothing to cancel any more
  }
  on_cancel();
}

void NodeCallImpl::Emit(RunEvent event) {
  if (!run_->has_sink() || done_.load(std::memory_order_acquire)) return;
  run_->mu_.lock();
  if (run_->end_ != RunState::End::kNone) return run_->mu_.unlock();
  event.node = node_id();
  event.node_type = run_->node(impl_node_).type;
  run_->EnqueueLocked(std::move(event));
  run_->Deliver();
}

void NodeCallImpl::AddUsage(const TokenUsage& usage) { run_->AddUsageFromChild(usage); }

void NodeCallImpl::RunChild(std::shared_ptr<const CompiledPipeline> pipeline, tmpl::Value inputs,
                            std::function<void(absl::StatusOr<tmpl::Value>)> done) {
  if (pipeline == nullptr) return done(absl::InvalidArgumentError("nested pipeline is missing"));
  absl::StatusOr<tmpl::Value> checked = RunState::CheckInputs(*pipeline, inputs);
  if (!checked.ok()) return done(Annotate(checked.status(), absl::StrCat("node '", node_id(), "'")));
  RunOptions options;
  options.tenant = run_->tenant_;
  options.user_id = run_->user_id_;
  options.deadline = run_->deadline_;
  auto plan = run_->owner_->PlanFor(pipeline);
  auto child = std::make_shared<RunState>(run_->owner_, std::move(pipeline), std::move(plan), std::move(options),
                                          nullptr);
  child->SetParent(run_->shared_from_this(), node_id());
  child->child_done_ = std::move(done);
  OnCancel([weak = std::weak_ptr<RunState>(child)] {
    if (auto run = weak.lock()) run->Cancel();
  });
  RunSeed seed;
  seed.inputs = *std::move(checked);
  child->Begin(std::move(seed));
}

void NodeCallImpl::Interrupt(std::string reason, tmpl::Value payload) {
  if (done_.exchange(true, std::memory_order_acq_rel)) return;
  std::shared_ptr<RunState> keep = std::move(keep_);  // Interrupt ends the call: no Finish follows
  run_->OnInterrupt(*this, std::move(reason), std::move(payload));
}

absl::Status NodeCallImpl::SaveProgress(tmpl::Value progress) {
  if (done_.load(std::memory_order_acquire)) return absl::OkStatus();
  return run_->SaveProgress(*this, std::move(progress));
}

absl::Status NodeCallImpl::AppendProgress(std::string delta_json) {
  if (done_.load(std::memory_order_acquire)) return absl::OkStatus();
  return run_->AppendProgress(*this, std::move(delta_json));
}

void NodeCallImpl::Finish(absl::StatusOr<tmpl::Value> output) {
  std::shared_ptr<RunState> keep = std::move(keep_);
  if (done_.exchange(true, std::memory_order_acq_rel)) return;  // timed out or finished already
  if (output.ok()) {
    run_->OnSuccess(*this, *std::move(output));
  } else {
    run_->OnFailure(*this, std::move(output).status());
  }
}

std::string RunState::CacheKey(int impl_node, const tmpl::Value& params) const {
  absl::StatusOr<nlohmann::ordered_json> json = tmpl::ToOrderedJson(params);
  if (!json.ok()) return "";
  return absl::StrCat(pipeline_->version, "\n", node(impl_node).id, "\n", json->dump());
}

bool RunState::TryCacheHit(NodeCallImpl* call) {
  const CompiledNode& slot_node = node(call->node_);
  if (!slot_node.policy.cache_ttl.has_value() || call->is_fallback_) return false;
  std::string key = CacheKey(call->impl_node_, call->params_);
  std::optional<tmpl::Value> hit = key.empty() ? std::nullopt : owner_->cache()->Get(key, absl::Now());
  if (!hit.has_value()) return false;
  call->done_.store(true, std::memory_order_release);
  OnSuccess(*call, *std::move(hit));
  return true;
}

void RunState::StartCall(NodeCallImpl* call) {
  if (TryCacheHit(call)) return;
  mu_.lock();
  if (end_ != End::kNone) return mu_.unlock();
  BeginCallLocked(call);
  Deliver();
  Launch(call);
}

void RunState::BeginCallLocked(NodeCallImpl* call) {
  slots_[call->node_].current = call;
  call->progress_ = slots_[call->node_].progress;
  call->progress_log_ = DecodeProgressLog(slots_[call->node_].progress_log);
  if (call->node_ == resume_target_) call->resume_data_ = resume_data_;
  if (!has_sink()) return;
  call->started_ = absl::Now();
  EnqueueNodeEventLocked(RunEvent::Kind::kNodeStarted, call->node_, tmpl::Value());
  if (call->is_fallback_) events_.back().text = absl::StrCat("fallback: ", node(call->impl_node_).id);
}

void RunState::Launch(NodeCallImpl* call) {
  const CompiledNode& slot_node = node(call->node_);
  call->keep_ = shared_from_this();
  if (slot_node.policy.timeout.has_value() && !call->is_fallback_) {
    auto expire = [weak = weak_from_this(), call] {
      if (auto run = weak.lock()) run->OnTimeout(call);
    };
    services_.executor->PostAfter(absl::ToChronoMilliseconds(*slot_node.policy.timeout), std::move(expire));
  }
  node(call->impl_node_).impl->Start(*call);
}

absl::Status RunState::RecordRouteLocked(int index, const tmpl::Value& output) {
  const CompiledNode& cn = node(index);
  std::vector<int>& chosen = slots_[index].chosen;
  chosen.clear();
  const tmpl::Value* next = output.is_map() ? output.map().Find("next") : nullptr;
  std::vector<const tmpl::Value*> names;
  if (next != nullptr && next->is_string()) names.push_back(next);
  if (next != nullptr && next->is_list()) {
    for (const tmpl::Value& item : next->list().items) names.push_back(&item);
  }
  for (const tmpl::Value* name : names) {
    const int target = name->is_string() ? IndexOfNode(*pipeline_, name->string_value()) : -1;
    if (target < 0 || std::find(cn.route_targets.begin(), cn.route_targets.end(), target) == cn.route_targets.end()) {
      return absl::InvalidArgumentError(absl::StrCat("node '", cn.id, "': router chose ", tmpl::Repr(*name),
                                                     ", which is not one of its routes"));
    }
    chosen.push_back(target);
  }
  return absl::OkStatus();
}

void RunState::OnSuccess(NodeCallImpl& call, tmpl::Value output) {
  const int index = call.node_;
  const CompiledNode& cn = node(index);
  IndexList ready;
  mu_.lock();
  if (end_ != End::kNone) return mu_.unlock();
  --running_;
  call.on_cancel_.clear();
  if (!cn.route_targets.empty()) {
    if (absl::Status routed = RecordRouteLocked(index, output); !routed.ok()) {
      mu_.unlock();
      return Fail(std::move(routed), cn.id);
    }
  }
  if (cn.policy.cache_ttl.has_value() && !call.is_fallback_ && !output.is_undefined()) {
    std::string key = CacheKey(call.impl_node_, call.params_);
    if (!key.empty()) owner_->cache()->Put(std::move(key), output, absl::Now() + *cn.policy.cache_ttl);
  }
  NodeSlot& slot = slots_[index];
  slot.output = std::move(output);
  slot.progress = tmpl::Value();
  slot.progress_log.clear();
  slot.state = SlotState::kFinished;
  nodes_dirty_ = true;
  if (has_sink()) {
    EnqueueNodeEventLocked(RunEvent::Kind::kNodeFinished, index, slot.output);
    if (call.started_ != absl::Time()) events_.back().duration_ms = absl::ToDoubleMilliseconds(absl::Now() - call.started_);
  }
  checkpoint_dirty_ = checkpoint_;
  ReleaseLocked(index, ready);
  if (checkpoint_dirty_ && ready.empty() && done_count_ < plan_->total) {  // nothing runs next on this thread
    if (absl::Status stored = CheckpointLocked(); !stored.ok()) {
      FailLocked(Annotate(stored, "checkpoint"), cn.id);
      return Deliver();
    }
  }
  if (done_count_ == plan_->total) CompleteLocked();
  if (interrupted_at_ >= 0) MaybeEndInterruptedLocked();
  Deliver();
  Schedule(ready);
}

void RunState::OnFailure(NodeCallImpl& call, absl::Status status) {
  const int index = call.node_;
  const CompiledNode& cn = node(index);
  mu_.lock();
  if (end_ != End::kNone) return mu_.unlock();
  call.on_cancel_.clear();
  const bool retry = !call.is_fallback_ && call.attempt_ < cn.policy.retries && interrupted_at_ < 0;
  mu_.unlock();
  if (retry) {
    const int attempt = call.attempt_ + 1;
    const absl::Duration delay = cn.policy.retry_backoff * std::pow(2.0, attempt - 1) * Jitter();
    auto task = [run = shared_from_this(), index, attempt, params = call.params_]() mutable {
      run->StartRetry(index, attempt, std::move(params));
    };
    if (services_.executor->PostAfter(absl::ToChronoMilliseconds(delay), std::move(task))) return;
  }
  if (!call.is_fallback_ && cn.fallback >= 0) return StartFallback(index);
  Fail(Annotate(status, absl::StrCat("node '", cn.id, "'")), cn.id);
}

void RunState::StartRetry(int index, int attempt, tmpl::Value params) {
  NodeCallImpl* call = nullptr;
  {
    mu_.lock();
    if (end_ != End::kNone) return mu_.unlock();
    if (interrupted_at_ >= 0) {
      slots_[index].state = SlotState::kPending;
      --running_;
      MaybeEndInterruptedLocked();
      return Deliver();
    }
    extra_calls_.push_back(std::make_unique<NodeCallImpl>());
    call = extra_calls_.back().get();
    call->context_ = slots_[index].first_call.context_;
    mu_.unlock();
  }
  call->run_ = this;
  call->node_ = index;
  call->impl_node_ = index;
  call->attempt_ = attempt;
  call->params_ = std::move(params);
  StartCall(call);
}

void RunState::StartFallback(int index) {
  const CompiledNode& fallback = node(node(index).fallback);
  NodeCallImpl* call = nullptr;
  tmpl::Value context;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (end_ != End::kNone) return;
    extra_calls_.push_back(std::make_unique<NodeCallImpl>());
    call = extra_calls_.back().get();
    context = ContextLocked();
  }
  tmpl::Value params = tmpl::Value::Dict();
  for (const auto& [name, binding] : fallback.params) {
    absl::StatusOr<tmpl::Value> value = binding.Evaluate(context);
    if (!value.ok()) return Fail(Annotate(value.status(), absl::StrCat("node '", fallback.id, "'")), fallback.id);
    params.map().Set(name, *std::move(value));
  }
  call->run_ = this;
  call->node_ = index;
  call->impl_node_ = node(index).fallback;
  call->is_fallback_ = true;
  call->params_ = std::move(params);
  call->context_ = std::move(context);
  StartCall(call);
}

void RunState::OnTimeout(NodeCallImpl* call) {
  if (call->done_.exchange(true, std::memory_order_acq_rel)) return;
  const CompiledNode& cn = node(call->node_);
  mu_.lock();
  for (auto& on_cancel : call->on_cancel_) pending_cancels_.push_back(std::move(on_cancel));
  call->on_cancel_.clear();
  Deliver();
  OnFailure(*call, absl::DeadlineExceededError(
                       absl::StrCat("timed out after ", absl::FormatDuration(*cn.policy.timeout))));
}

void RunState::OnInterrupt(NodeCallImpl& call, std::string reason, tmpl::Value payload) {
  const int index = call.node_;
  mu_.lock();
  if (end_ != End::kNone) return mu_.unlock();
  if (parent_ != nullptr) {
    mu_.unlock();
    return Fail(absl::UnimplementedError(absl::StrCat("node '", node(index).id,
                                                      "': interrupts inside nested pipelines are not supported")),
                node(index).id);
  }
  --running_;
  call.on_cancel_.clear();
  slots_[index].state = SlotState::kPending;
  interrupted_at_ = index;
  if (has_sink()) {
    EnqueueNodeEventLocked(RunEvent::Kind::kInterrupt, index, std::move(payload));
    events_.back().text = std::move(reason);
  }
  MaybeEndInterruptedLocked();
  Deliver();
}

absl::Status RunState::SaveProgress(NodeCallImpl& call, tmpl::Value progress) {
  std::lock_guard<std::mutex> lock(mu_);
  if (end_ != End::kNone) return absl::OkStatus();  // the run ended: nothing will resume from it
  call.progress_ = progress;
  slots_[call.node_].progress = std::move(progress);
  slots_[call.node_].progress_log.clear();
  if (!checkpoint_ || owner_->checkpoints() == nullptr || parent_ != nullptr) return absl::OkStatus();
  return CheckpointLocked();
}

absl::Status RunState::AppendProgress(NodeCallImpl& call, std::string delta_json) {
  std::lock_guard<std::mutex> lock(mu_);
  if (end_ != End::kNone) return absl::OkStatus();
  CheckpointStore* store = owner_->checkpoints();
  const bool write = checkpoint_ && store != nullptr && parent_ == nullptr;
  // A run's first record must be a full state (inputs included): then the delta goes in it, else alone.
  std::string record = write && next_step_ > 0 ? EncodeProgressDelta(node(call.node_).id, delta_json) : "";
  slots_[call.node_].progress_log.push_back(std::move(delta_json));
  if (!write) return absl::OkStatus();
  if (record.empty()) return CheckpointLocked();
  return store->Put(tenant_, user_id_, run_id_, next_step_++, std::move(record), /*sync=*/false);
}

void RunState::MaybeEndInterruptedLocked() {
  if (interrupted_at_ < 0 || running_ > 0 || end_ != End::kNone) return;
  if (owner_->checkpoints() != nullptr) {  // synced: the run may wait days for a person
    if (absl::Status stored = CheckpointLocked(/*sync=*/true); !stored.ok()) {
      EndLocked(End::kFailed, Annotate(stored, "checkpoint"));
      return;
    }
  }
  EndLocked(End::kInterrupted, absl::OkStatus());
}

}  // namespace catena::chains::internal
