// Executor: a fixed pool of named threads running one Boost.Asio io_context. Components post CPU work and timers
// here; the HTTP gateway (Boost.Beast) runs its sockets on io_context(). All methods are thread-safe. A task that
// throws is logged and dropped, never terminating the process. Boost headers stay out of this header (pimpl).
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/functional/any_invocable.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace catena {

struct ExecutorOptions {
  int threads = 0;              // Worker threads; 0 (or less) = std::thread::hardware_concurrency().
  std::string name = "catena";  // Thread names are "<name>-<index>" (truncated to 15 chars) and appear in logs.
};

class Executor {
 public:
  // Starts the worker threads.
  explicit Executor(ExecutorOptions options = {});
  // Calls Shutdown().
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Queues `task` to run on a worker thread. Returns false, dropping the task, once Shutdown has begun.
  bool Post(absl::AnyInvocable<void()> task);

  // Queues `fn` and returns a future for its result (or its exception). After Shutdown the task is dropped and the
  // future reports std::future_errc::broken_promise.
  template <typename F>
  auto Submit(F fn) -> std::future<std::invoke_result_t<F&>> {
    std::packaged_task<std::invoke_result_t<F&>()> task(std::move(fn));
    auto future = task.get_future();
    Post([task = std::move(task)]() mutable { task(); });
    return future;
  }

  // Runs `task` on a worker thread once `delay` has passed. Returns false, dropping the task, once Shutdown has
  // begun; tasks still waiting for their time when Shutdown begins are dropped too.
  bool PostAfter(std::chrono::milliseconds delay, absl::AnyInvocable<void()> task);

  // The io_context the workers run, for asynchronous I/O (sockets, timers). Work started directly on it keeps
  // Shutdown waiting until it completes, so close sockets and acceptors before shutting down.
  boost::asio::io_context& io_context();

  // Stops accepting tasks, cancels pending PostAfter timers, runs the work already queued and joins the threads.
  // Idempotent. Called from a worker thread it does everything but the join, which the destructor then does.
  void Shutdown();

  // Number of worker threads.
  int thread_count() const;

  // The executor whose worker is running the calling thread, or nullptr.
  static Executor* Current();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace catena
