// RunState: ending a run (the result, `done`, nested results to the parent) and event delivery: events are
// stamped and queued under the run mutex, then delivered in seq order by one thread at a time without it.
#include <utility>

#include "chains/run_state.h"

namespace catena::chains::internal {

RunResult RunState::TakeResultLocked() {
  RunResult result;
  result.run_id = run_id_;
  result.status = status_;
  result.outputs = std::move(outputs_);
  result.usage = usage_;
  result.state = end_ == End::kCompleted     ? RunResult::State::kCompleted
                 : end_ == End::kInterrupted ? RunResult::State::kInterrupted
                 : end_ == End::kCancelled   ? RunResult::State::kCancelled
                                             : RunResult::State::kFailed;
  return result;
}

void RunState::Finalize(RunResult result) {
  if (parent_ != nullptr) {
    auto done = std::move(child_done_);
    parent_->AddUsageFromChild(result.usage);
    if (!done) return;
    if (result.state == RunResult::State::kCompleted) return done(std::move(result.outputs));
    return done(result.status.ok() ? absl::CancelledError("nested run cancelled") : result.status);
  }
  ended_reported_ = true;
  owner_->RunEnded(this);
  if (auto done = std::move(done_)) done(std::move(result));
}

void RunState::AddUsageFromChild(const TokenUsage& usage) {
  std::lock_guard<std::mutex> lock(mu_);
  usage_ += usage;
}

void RunState::EnqueueLocked(RunEvent event) {
  if (parent_ != nullptr &&
      (event.kind == RunEvent::Kind::kRunStarted || event.kind == RunEvent::Kind::kFinal ||
       event.kind == RunEvent::Kind::kError)) {
    return;
  }
  if (!prefix_.empty() && !event.node.empty()) event.node = prefix_ + event.node;
  if (sink_root_ == this) {
    event.seq = ++seq_;
    event.time_unix_ms = absl::ToUnixMillis(absl::Now());
  }
  events_.push_back(std::move(event));
}

void RunState::EnqueueNodeEventLocked(RunEvent::Kind kind, int index, tmpl::Value data) {
  RunEvent event;
  event.kind = kind;
  event.node = node(index).id;
  event.node_type = node(index).type;
  event.data = std::move(data);
  EnqueueLocked(std::move(event));
}

void RunState::ForwardEvent(RunEvent event) {
  mu_.lock();
  if (end_ == End::kNone) EnqueueLocked(std::move(event));
  Deliver();
}

void RunState::Deliver() {
  if (delivering_ || (events_.empty() && pending_cancels_.empty() && !finalize_pending_)) return mu_.unlock();
  delivering_ = true;
  std::vector<RunEvent> events;
  std::vector<std::function<void()>> cancels;
  for (;;) {
    if (events_.empty() && pending_cancels_.empty()) {
      const bool finalize = finalize_pending_;
      finalize_pending_ = false;
      delivering_ = false;
      if (!finalize) return mu_.unlock();
      RunResult result = TakeResultLocked();
      mu_.unlock();
      return Finalize(std::move(result));
    }
    events.swap(events_);
    cancels.swap(pending_cancels_);
    mu_.unlock();
    for (auto& on_cancel : cancels) on_cancel();
    for (RunEvent& event : events) {
      if (sink_root_ == this) {
        sink_(event);
      } else if (sink_root_ != nullptr) {
        sink_root_->ForwardEvent(std::move(event));
      }
    }
    events.clear();
    cancels.clear();
    mu_.lock();
  }
}

}  // namespace catena::chains::internal
