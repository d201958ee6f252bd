// RunCall: the state one Run, RunStream or Resume call shares with its run: the run handle (so that a client
// that goes away cancels the run, also when it goes away before the run has started), the trace recorder, and
// what to do with each event and with the result. Internal to PipelineService. Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

#include "catena/v1/pipeline.pb.h"
#include "chains/run_audit.h"
#include "chains/run_recorder.h"
#include "chains/runner.h"

namespace catena::chains {

class RunCall {
 public:
  using EventCallback = std::function<void(const v1::RunEvent&)>;
  using DoneCallback = std::function<void(const RunResult&, const v1::Interrupt&)>;

  RunCall(EventCallback on_event, DoneCallback on_done)
      : on_event_(std::move(on_event)), on_done_(std::move(on_done)) {}

  // Cancels the run now, or as soon as its handle arrives.
  void Cancel() {
    std::shared_ptr<RunHandle> handle;
    {
      std::lock_guard lock(mutex_);
      cancelled_ = true;
      handle = handle_;
    }
    if (handle != nullptr) handle->Cancel();
  }

  void SetHandle(std::shared_ptr<RunHandle> handle) {
    bool cancelled = false;
    {
      std::lock_guard lock(mutex_);
      handle_ = handle;
      cancelled = cancelled_;
    }
    if (cancelled) handle->Cancel();
  }

  // Records `event` (trace, audit) and passes it on, or `delivered` in its place when given (restored outputs).
  void Event(const v1::RunEvent& event, const v1::RunEvent* delivered = nullptr) {
    if (recorder_ != nullptr) recorder_->Record(event);
    if (audit_ != nullptr) audit_->Record(event);
    if (on_event_) on_event_(delivered != nullptr ? *delivered : event);
  }

  // Calls the done callback the first time only (the run's end and a failed start may both try).
  bool Done(const RunResult& result, const v1::Interrupt& interrupt) {
    if (done_.exchange(true)) return false;
    on_done_(result, interrupt);
    return true;
  }
  bool done() const { return done_.load(); }
  // Marks the call done without calling back (the run never started); false when it was done already.
  bool MarkDone() { return !done_.exchange(true); }

  void set_recorder(std::shared_ptr<RunRecorder> recorder) { recorder_ = std::move(recorder); }
  RunRecorder* recorder() const { return recorder_.get(); }
  void set_audit(std::shared_ptr<RunAudit> audit) { audit_ = std::move(audit); }
  RunAudit* audit() const { return audit_.get(); }

 private:
  const EventCallback on_event_;
  const DoneCallback on_done_;
  std::shared_ptr<RunRecorder> recorder_;
  std::shared_ptr<RunAudit> audit_;
  std::mutex mutex_;
  std::shared_ptr<RunHandle> handle_;
  bool cancelled_ = false;
  std::atomic<bool> done_{false};
};

}  // namespace catena::chains
