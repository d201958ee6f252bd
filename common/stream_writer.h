// QueuedStreamWriter: a gRPC server-streaming reactor fed from any thread. Producers (a worker thread, the
// inference engine's loop) Enqueue messages and finally a status; the reactor writes them in order, one write in
// flight at a time, and finishes after the last one (or at once when the client has gone away). Subclasses add
// what happens on cancellation and when the call is done.
#pragma once

#include <grpcpp/support/server_callback.h>

#include <deque>
#include <mutex>
#include <optional>

namespace catena {

template <typename Message>
class QueuedStreamWriter : public grpc::ServerWriteReactor<Message> {
 public:
  // Queues `message` (if any) and, when `final_status` is set, the end of the stream after it.
  void Enqueue(std::optional<Message> message, std::optional<grpc::Status> final_status = std::nullopt) {
    std::lock_guard lock(mutex_);
    if (message.has_value()) queue_.push_back(std::move(*message));
    if (final_status.has_value() && !final_status_.has_value()) final_status_ = std::move(final_status);
    Pump();
  }

  // Waits until no Enqueue is running: call it in OnDone before deleting the reactor.
  void WaitForProducers() { std::lock_guard lock(mutex_); }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mutex_);
    writing_ = false;
    if (!ok) broken_ = true;
    Pump();
  }

 private:
  // Starts the next write or finishes; mutex_ held.
  void Pump() {
    if (writing_ || finished_) return;
    if (!queue_.empty() && !broken_) {
      current_ = std::move(queue_.front());
      queue_.pop_front();
      writing_ = true;
      this->StartWrite(&current_);
      return;
    }
    if (final_status_.has_value() && (queue_.empty() || broken_)) {
      finished_ = true;
      this->Finish(*final_status_);
    }
  }

  std::mutex mutex_;
  std::deque<Message> queue_;
  Message current_;
  std::optional<grpc::Status> final_status_;
  bool writing_ = false;
  bool finished_ = false;
  bool broken_ = false;
};

}  // namespace catena
