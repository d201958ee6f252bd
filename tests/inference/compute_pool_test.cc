#include "inference/compute_pool.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

namespace catena::inference {
namespace {

TEST_CASE("parallel for covers every index exactly once in at most threads ranges", "[unit]") {
  for (int threads : {1, 2, 3, 5}) {
    ComputePool pool(threads);
    REQUIRE(pool.threads() == threads);
    for (int64_t n : {0, 1, 2, 7, 16, 100, 1000, 4097}) {
      for (int64_t grain : {1, 3, 16, 1000}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        std::mutex mu;
        std::vector<std::pair<int64_t, int64_t>> ranges;
        pool.ParallelFor(n, grain, [&](int64_t begin, int64_t end) {
          for (int64_t i = begin; i < end; ++i) hits[i].fetch_add(1);
          std::lock_guard<std::mutex> lock(mu);
          ranges.emplace_back(begin, end);
        });
        INFO("threads " << threads << " n " << n << " grain " << grain);
        for (int64_t i = 0; i < n; ++i) REQUIRE(hits[i].load() == 1);
        REQUIRE(static_cast<int>(ranges.size()) <= threads);
        if (n == 0) REQUIRE(ranges.empty());
        // Every range but the one ending at n holds at least `grain` items.
        for (const auto& [begin, end] : ranges) {
          REQUIRE(begin < end);
          if (end != n) REQUIRE(end - begin >= grain);
        }
      }
    }
  }
}

TEST_CASE("claimed items are each run once, and a slow item does not hold back the rest", "[unit]") {
  for (int threads : {1, 2, 3}) {
    ComputePool pool(threads);
    for (int64_t n : {0, 1, 2, 7, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.ForEachClaimed(n, [&](int64_t i) { hits[i].fetch_add(1); });
      INFO("threads " << threads << " n " << n);
      for (int64_t i = 0; i < n; ++i) REQUIRE(hits[i].load() == 1);
    }
  }
  // Item 0 waits (up to 5 s) for the other 99: with two threads, the other thread must take them all.
  ComputePool pool(2);
  std::atomic<int> others{0};
  bool saw_all = false;
  pool.ForEachClaimed(100, [&](int64_t i) {
    if (i != 0) {
      others.fetch_add(1);
      return;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (others.load() < 99 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    saw_all = others.load() == 99;
  });
  REQUIRE(saw_all);
}

TEST_CASE("a pool is reusable thousands of times", "[unit]") {
  ComputePool pool(2);
  std::atomic<int64_t> total{0};
  for (int round = 0; round < 5000; ++round) {
    pool.ParallelFor(64, 1, [&](int64_t begin, int64_t end) {
      int64_t s = 0;
      for (int64_t i = begin; i < end; ++i) s += i;
      total.fetch_add(s);
    });
  }
  REQUIRE(total.load() == int64_t{5000} * (63 * 64 / 2));
}

TEST_CASE("the calling thread takes a share and a one-thread pool runs inline", "[unit]") {
  const std::thread::id caller = std::this_thread::get_id();
  ComputePool single(1);
  std::vector<std::thread::id> seen;
  single.ParallelFor(100, 1, [&](int64_t, int64_t) { seen.push_back(std::this_thread::get_id()); });
  REQUIRE(seen.size() == 1);
  REQUIRE(seen[0] == caller);

  ComputePool pool(2);
  std::mutex mu;
  std::vector<std::thread::id> ids;
  // Each range sleeps so one thread cannot take both before the other wakes.
  for (int round = 0; round < 20; ++round) {
    pool.ParallelFor(2, 1, [&](int64_t, int64_t) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      std::lock_guard<std::mutex> lock(mu);
      ids.push_back(std::this_thread::get_id());
    });
  }
  bool caller_worked = false, worker_worked = false;
  for (std::thread::id id : ids) (id == caller ? caller_worked : worker_worked) = true;
  REQUIRE(caller_worked);
  REQUIRE(worker_worked);
}

TEST_CASE("a pool sized zero uses the hardware threads", "[unit]") {
  ComputePool pool(0);
  REQUIRE(pool.threads() >= 1);
  int64_t sum = 0;
  std::mutex mu;
  pool.ParallelFor(10, 1, [&](int64_t begin, int64_t end) {
    std::lock_guard<std::mutex> lock(mu);
    for (int64_t i = begin; i < end; ++i) sum += i;
  });
  REQUIRE(sum == 45);
}

}  // namespace
}  // namespace catena::inference
