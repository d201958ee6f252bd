// Executor on Boost.Asio: worker threads run one io_context kept alive by a work guard until Shutdown; every task
// runs inside a catch-all so a throwing task is logged instead of terminating the process.
#include "common/executor.h"

#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <set>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "spdlog/spdlog.h"

namespace catena {
namespace {

thread_local Executor* current_executor = nullptr;

int ResolveThreadCount(int requested) {
  if (requested > 0) return requested;
  const unsigned hardware = std::thread::hardware_concurrency();
  return hardware == 0 ? 1 : static_cast<int>(hardware);
}

// Runs `task`, logging instead of propagating anything it throws.
void RunGuarded(const std::string& executor_name, absl::AnyInvocable<void()>& task) {
  try {
    task();
  } catch (const std::exception& e) {
    spdlog::error("executor '{}': task threw: {}", executor_name, e.what());
  } catch (...) {
    spdlog::error("executor '{}': task threw a non-std::exception", executor_name);
  }
}

}  // namespace

struct Executor::Impl {
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;

  explicit Impl(ExecutorOptions executor_options)
      : options(std::move(executor_options)), work(boost::asio::make_work_guard(io)) {}

  void RunWorker(Executor* owner, int index);

  const ExecutorOptions options;
  boost::asio::io_context io;
  WorkGuard work;
  std::vector<std::thread> threads;

  absl::Mutex mu;
  bool accepting ABSL_GUARDED_BY(mu) = true;
  std::set<std::shared_ptr<boost::asio::steady_timer>> timers ABSL_GUARDED_BY(mu);

  absl::Mutex join_mu;  // Serializes joining when several threads call Shutdown.
};

void Executor::Impl::RunWorker(Executor* owner, int index) {
  current_executor = owner;
  const std::string thread_name = std::string(options.name + "-" + std::to_string(index)).substr(0, 15);
  pthread_setname_np(pthread_self(), thread_name.c_str());
  for (;;) {
    // Handlers posted straight to io_context() (not via Post) may throw out of run(); keep serving after them.
    try {
      io.run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("executor '{}': handler threw: {}", options.name, e.what());
    } catch (...) {
      spdlog::error("executor '{}': handler threw a non-std::exception", options.name);
    }
  }
}

Executor::Executor(ExecutorOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  const int count = ResolveThreadCount(impl_->options.threads);
  impl_->threads.reserve(count);
  for (int i = 0; i < count; ++i) {
    impl_->threads.emplace_back([this, i] { impl_->RunWorker(this, i); });
  }
}

Executor::~Executor() {
  if (Current() == this) {
    std::fprintf(stderr, "catena::Executor '%s' destroyed from its own worker thread\n", impl_->options.name.c_str());
    std::abort();
  }
  Shutdown();
}

bool Executor::Post(absl::AnyInvocable<void()> task) {
  absl::MutexLock lock(&impl_->mu);
  if (!impl_->accepting) return false;
  boost::asio::post(impl_->io,
                    [impl = impl_.get(), task = std::move(task)]() mutable { RunGuarded(impl->options.name, task); });
  return true;
}

bool Executor::PostAfter(std::chrono::milliseconds delay, absl::AnyInvocable<void()> task) {
  absl::MutexLock lock(&impl_->mu);
  if (!impl_->accepting) return false;
  auto timer = std::make_shared<boost::asio::steady_timer>(impl_->io, delay);
  impl_->timers.insert(timer);
  timer->async_wait(
      [impl = impl_.get(), timer, task = std::move(task)](const boost::system::error_code& error) mutable {
        {
          absl::MutexLock timers_lock(&impl->mu);
          impl->timers.erase(timer);
        }
        if (!error) RunGuarded(impl->options.name, task);
      });
  return true;
}

boost::asio::io_context& Executor::io_context() { return impl_->io; }

void Executor::Shutdown() {
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->accepting = false;
    for (const auto& timer : impl_->timers) timer->cancel();
    impl_->work.reset();
  }
  if (Current() == this) return;
  absl::MutexLock join_lock(&impl_->join_mu);
  for (std::thread& thread : impl_->threads) {
    if (thread.joinable()) thread.join();
  }
}

int Executor::thread_count() const { return static_cast<int>(impl_->threads.size()); }

Executor* Executor::Current() { return current_executor; }

}  // namespace catena
