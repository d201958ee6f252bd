// StreamReader<T>: the pull-style reader of a server-streaming RPC (RunStream, Resume, Generate, Chat,
// IngestStream, health Watch), returned by the service wrappers. Read it from one thread; Cancel() and a shared
// Cancellation may be used from any thread. Destroying an unfinished reader cancels the call.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace google::protobuf {
class MessageLite;
}  // namespace google::protobuf

namespace catena::sdk {
namespace internal {

// One server-streaming call (with its retries); implemented by the transport, type-erased here so that public
// headers need no gRPC headers.
class StreamCall {
 public:
  virtual ~StreamCall() = default;
  // Reads the next message into `message` (of the stream's type); false at the end or on an error.
  virtual bool Read(google::protobuf::MessageLite* message) = 0;
  // The final status once Read returned false.
  virtual absl::Status Finish() = 0;
  // Ends the call with CANCELLED; safe from any thread.
  virtual void Cancel() = 0;
};

}  // namespace internal

template <typename T>
class StreamReader {
 public:
  explicit StreamReader(std::unique_ptr<internal::StreamCall> call) : call_(std::move(call)) {}
  StreamReader(StreamReader&&) noexcept = default;
  StreamReader& operator=(StreamReader&&) noexcept = default;

  // The next message, or nullopt at the end of the stream; then status() tells whether it ended well.
  std::optional<T> Next() {
    if (done_) return std::nullopt;
    T message;
    if (call_->Read(&message)) return message;
    done_ = true;
    status_ = call_->Finish();
    return std::nullopt;
  }

  // OK while the stream is open and after a clean end; the call's error after Next() returned nullopt.
  const absl::Status& status() const { return status_; }
  // Whether Next() has returned nullopt.
  bool done() const { return done_; }
  // Ends the call; the next Next() returns nullopt and status() is CANCELLED (unless it had already ended).
  void Cancel() { call_->Cancel(); }

  // Calls `on_message` for every message until the end; returns the final status.
  absl::Status ForEach(const std::function<void(T&&)>& on_message) {
    while (std::optional<T> message = Next()) on_message(*std::move(message));
    return status_;
  }

  // Every message of the stream, or the error that ended it.
  absl::StatusOr<std::vector<T>> ReadAll() {
    std::vector<T> messages;
    while (std::optional<T> message = Next()) messages.push_back(*std::move(message));
    if (!status_.ok()) return status_;
    return messages;
  }

 private:
  std::unique_ptr<internal::StreamCall> call_;
  absl::Status status_;
  bool done_ = false;
};

}  // namespace catena::sdk
