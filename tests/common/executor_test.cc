// Tests for common/executor.h: tasks run on the pool's threads, Submit delivers values and exceptions, PostAfter
// waits at least its delay, throwing tasks do not kill workers, and Shutdown drains queued work then refuses more.
#include "common/executor.h"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"

namespace catena {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

TEST_CASE("executor runs posted tasks on all of its threads", "[unit][executor]") {
  Executor executor(ExecutorOptions{.threads = 4, .name = "test"});
  CHECK(executor.thread_count() == 4);
  // Every task waits until four tasks run at once, which needs four distinct worker threads.
  absl::BlockingCounter all_started(4);
  std::atomic<int> started{0};
  std::atomic<int> saw_current{0};
  std::mutex mu;
  std::set<std::thread::id> ids;
  for (int i = 0; i < 4; ++i) {
    REQUIRE(executor.Post([&] {
      {
        std::lock_guard<std::mutex> lock(mu);
        ids.insert(std::this_thread::get_id());
      }
      ++started;
      all_started.DecrementCount();
      while (started.load() < 4) std::this_thread::yield();
      if (Executor::Current() == &executor) ++saw_current;  // Catch2 assertions are not thread-safe.
    }));
  }
  all_started.Wait();
  executor.Shutdown();
  CHECK(ids.size() == 4);
  CHECK(saw_current.load() == 4);
  CHECK(ids.count(std::this_thread::get_id()) == 0);
  CHECK(Executor::Current() == nullptr);
}

TEST_CASE("executor defaults to the hardware thread count", "[unit][executor]") {
  Executor executor;
  const int hardware = static_cast<int>(std::thread::hardware_concurrency());
  CHECK(executor.thread_count() == (hardware > 0 ? hardware : 1));
}

TEST_CASE("executor submit returns values and exceptions through futures", "[unit][executor]") {
  Executor executor(ExecutorOptions{.threads = 2});
  std::future<int> answer = executor.Submit([] { return 6 * 7; });
  std::future<std::string> text = executor.Submit([] { return std::string("catena"); });
  std::future<void> failing = executor.Submit([]() -> void { throw std::runtime_error("boom"); });
  auto move_only = std::make_unique<int>(5);
  std::future<int> moved = executor.Submit([p = std::move(move_only)] { return *p + 1; });
  CHECK(answer.get() == 42);
  CHECK(text.get() == "catena");
  CHECK(moved.get() == 6);
  CHECK_THROWS_WITH(failing.get(), "boom");
}

TEST_CASE("executor survives tasks that throw", "[unit][executor]") {
  Executor executor(ExecutorOptions{.threads = 1});
  REQUIRE(executor.Post([] { throw std::runtime_error("task failure is logged"); }));
  REQUIRE(executor.Post([] { throw 7; }));
  // Handlers posted straight to the io_context are guarded too.
  boost::asio::post(executor.io_context(), [] { throw std::logic_error("raw handler failure is logged"); });
  CHECK(executor.Submit([] { return 1; }).get() == 1);
}

TEST_CASE("executor post-after waits at least the delay and keeps order of deadlines", "[unit][executor]") {
  Executor executor(ExecutorOptions{.threads = 2});
  std::mutex mu;
  std::vector<int> order;
  absl::BlockingCounter done(2);
  const auto start = steady_clock::now();
  steady_clock::time_point late_fired;
  REQUIRE(executor.PostAfter(milliseconds(120), [&] {
    std::lock_guard<std::mutex> lock(mu);
    late_fired = steady_clock::now();
    order.push_back(2);
    done.DecrementCount();
  }));
  REQUIRE(executor.PostAfter(milliseconds(10), [&] {
    std::lock_guard<std::mutex> lock(mu);
    order.push_back(1);
    done.DecrementCount();
  }));
  done.Wait();
  std::lock_guard<std::mutex> lock(mu);
  CHECK(order == std::vector<int>{1, 2});
  CHECK(late_fired - start >= milliseconds(120));
}

TEST_CASE("executor shutdown runs queued work, joins and refuses new tasks", "[unit][executor]") {
  Executor executor(ExecutorOptions{.threads = 1});
  absl::Notification release;
  std::atomic<int> ran{0};
  REQUIRE(executor.Post([&] { release.WaitForNotification(); }));
  for (int i = 0; i < 100; ++i) REQUIRE(executor.Post([&] { ++ran; }));
  std::atomic<bool> delayed_ran{false};
  REQUIRE(executor.PostAfter(std::chrono::hours(1), [&] { delayed_ran = true; }));

  std::thread releaser([&] {
    std::this_thread::sleep_for(milliseconds(20));
    release.Notify();
  });
  const auto start = steady_clock::now();
  executor.Shutdown();  // Blocks until the queue drains; the hour-long timer is cancelled, not awaited.
  releaser.join();
  CHECK(ran.load() == 100);
  CHECK_FALSE(delayed_ran.load());
  CHECK(steady_clock::now() - start < std::chrono::seconds(30));

  CHECK_FALSE(executor.Post([&] { ++ran; }));
  CHECK_FALSE(executor.PostAfter(milliseconds(1), [&] { ++ran; }));
  std::future<int> dropped = executor.Submit([] { return 1; });
  CHECK_THROWS_AS(dropped.get(), std::future_error);
  executor.Shutdown();  // Idempotent.
  CHECK(ran.load() == 100);
}

TEST_CASE("executor shutdown from a worker stops intake and the destructor joins", "[unit][executor]") {
  std::atomic<bool> posted_after{true};
  {
    Executor executor(ExecutorOptions{.threads = 2});
    executor
        .Submit([&] {
          executor.Shutdown();
          posted_after = executor.Post([] {});
        })
        .get();
  }
  CHECK_FALSE(posted_after.load());
}

TEST_CASE("executor tasks can post follow-up tasks while running", "[unit][executor]") {
  Executor executor(ExecutorOptions{.threads = 2});
  std::promise<int> result;
  REQUIRE(executor.Post([&] { executor.Post([&] { result.set_value(3); }); }));
  CHECK(result.get_future().get() == 3);
}

}  // namespace
}  // namespace catena
