#include "chains/nodes/child_runs.h"

namespace catena::chains::nodes {

void ChildRuns::Pump() {
  std::unique_lock lock(mutex_);
  if (pumping_) {
    again_ = true;
    return;
  }
  pumping_ = true;
  do {
    again_ = false;
    while (error_.ok() && !exhausted_ && running_ < concurrency_) {
      if (call_.cancelled()) {
        error_ = absl::CancelledError("the run was cancelled");
        break;
      }
      const int64_t index = launched_;
      std::optional<tmpl::Value> roots = hooks_.next(index);
      if (!roots.has_value()) {
        exhausted_ = running_ == 0;  // `next` may say more once a running child is done (loop)
        if (running_ > 0) break;
        continue;
      }
      ++launched_;
      ++running_;
      lock.unlock();
      auto self = shared_from_this();
      call_.RunChild(body_, *std::move(roots),
                     [self, index](absl::StatusOr<tmpl::Value> outputs) { self->OnChildDone(index, std::move(outputs)); });
      lock.lock();
    }
  } while (again_);
  pumping_ = false;
  const bool finish = running_ == 0 && (exhausted_ || !error_.ok()) && !finished_;
  if (!finish) return;
  finished_ = true;
  absl::StatusOr<tmpl::Value> result = error_.ok() ? absl::StatusOr<tmpl::Value>(hooks_.output()) : error_;
  lock.unlock();
  call_.Finish(std::move(result));
}

void ChildRuns::OnChildDone(int64_t index, absl::StatusOr<tmpl::Value> outputs) {
  {
    std::lock_guard lock(mutex_);
    --running_;
    absl::Status status = hooks_.done(index, std::move(outputs));
    if (!status.ok() && error_.ok()) error_ = std::move(status);
  }
  Pump();
}

tmpl::Value ParentInputs(const NodeCall& call) {
  const tmpl::Value& context = call.context();
  const tmpl::Value* inputs = context.is_map() ? context.map().Find("inputs") : nullptr;
  return inputs == nullptr ? tmpl::Value::None() : *inputs;
}

}  // namespace catena::chains::nodes
