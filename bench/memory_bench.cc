// Memory store latency and throughput, in process on a temporary directory: loads S sessions x 100 messages
// (S = 10,000 x CATENA_BENCH_SCALE), then reports append p50/p99 (WAL without fsync, and with fsync per write),
// last-20-messages read p50/p99, checkpoint write+read round trip p50/p99 and appends/s with 16 writers on
// different sessions. Targets: append p99 <= 1 ms (no fsync), read p99 <= 1 ms, checkpoint p99 <= 1 ms.
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include "bench/bench_util.h"
#include "memory/memory_store.h"

namespace {

using Clock = std::chrono::steady_clock;
using catena::memory::ContextRequest;
using catena::memory::MemoryStore;
using catena::memory::Message;
using catena::memory::Role;

constexpr int kMessagesPerSession = 100;
constexpr int kWriters = 16;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// CPU time of the calling thread in ms: latency minus time spent waiting for a core.
double ThreadCpuMs() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

std::unique_ptr<MemoryStore> OpenOrDie(const std::filesystem::path& path, bool sync) {
  auto store = MemoryStore::Open({.path = path.string(), .sync_writes = sync});
  if (!store.ok()) {
    std::fprintf(stderr, "memory_bench: %s\n", std::string(store.status().message()).c_str());
    std::exit(1);
  }
  return *std::move(store);
}

std::string SessionId(int index) { return "session-" + std::to_string(index); }

Message MessageOf(int index) {
  return Message{.role = index % 2 == 0 ? Role::kUser : Role::kAssistant,
                 .content = "Message " + std::to_string(index) +
                            ": I would like to move 250 EUR from my savings account to checking before Friday, "
                            "and please remind me about the card limit."};
}

void Check(const absl::Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "memory_bench: %s: %s\n", what, std::string(status.message()).c_str());
  std::exit(1);
}

void ReportLatency(const std::string& name, const std::string& case_name, std::vector<double>& samples) {
  catena::bench::Emit("memory", case_name, name + "_p50_ms", catena::bench::Quantile(samples, 0.5), "ms");
  catena::bench::Emit("memory", case_name, name + "_p99_ms", catena::bench::Quantile(samples, 0.99), "ms");
}

// Creates the sessions and appends kMessagesPerSession to each, round-robin; returns every append's latency.
std::vector<double> Load(MemoryStore& store, int sessions) {
  for (int s = 0; s < sessions; ++s)
    Check(store.CreateSession("bench", {.id = SessionId(s), .user_id = "u" + std::to_string(s % 1000)}).status(),
          "create");
  std::vector<double> latencies;
  latencies.reserve(static_cast<size_t>(sessions) * kMessagesPerSession);
  for (int m = 0; m < kMessagesPerSession; ++m) {
    const std::vector<Message> batch = {MessageOf(m)};
    for (int s = 0; s < sessions; ++s) {
      const auto start = Clock::now();
      Check(store.AppendMessages("bench", SessionId(s), batch, "").status(), "append");
      latencies.push_back(MsSince(start));
    }
    if (m % 10 == 9)
      std::fprintf(stderr, "memory_bench: loaded %d/%d messages per session\n", m + 1, kMessagesPerSession);
  }
  return latencies;
}

// Random sessions' last 20 messages; `cpu` receives each read's thread CPU time.
std::vector<double> ReadLast20(MemoryStore& store, int sessions, int samples, std::vector<double>& cpu) {
  std::mt19937 random(7);
  std::vector<double> latencies;
  for (int i = 0; i < samples; ++i) {
    const ContextRequest request{.session_id = SessionId(static_cast<int>(random() % sessions)), .last_n = 20};
    const double cpu_start = ThreadCpuMs();
    const auto start = Clock::now();
    auto context = store.GetContext("bench", request);
    latencies.push_back(MsSince(start));
    cpu.push_back(ThreadCpuMs() - cpu_start);
    Check(context.status(), "read");
    if (context->messages.size() != 20) Check(absl::InternalError("read returned fewer than 20 messages"), "read");
  }
  return latencies;
}

std::vector<double> CheckpointRoundTrips(MemoryStore& store, int samples) {
  const std::string state(4096, 's');
  std::vector<double> latencies;
  for (int i = 0; i < samples; ++i) {
    const std::string run = "run-" + std::to_string(i % 100);
    const int64_t step = i / 100;
    const auto start = Clock::now();
    Check(store
              .PutCheckpoint("bench",
                             {.run_id = run, .step = step, .parent_step = step - 1, .state = state, .user_id = "u"})
              .status(),
          "put checkpoint");
    auto back = store.GetCheckpoint("bench", run, -1);
    latencies.push_back(MsSince(start));
    Check(back.status(), "get checkpoint");
  }
  return latencies;
}

// Appends/s of `writers` threads, each on its own sessions, for `duration`.
double ConcurrentAppendsPerSecond(MemoryStore& store, int sessions, int writers, std::chrono::seconds duration) {
  std::atomic<int64_t> appends{0};
  const auto end = Clock::now() + duration;
  std::vector<std::thread> threads;
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&, t] {
      const std::vector<Message> batch = {MessageOf(t)};
      const int per_writer = sessions / writers;
      for (int i = 0; Clock::now() < end; ++i) {
        const int session = t + writers * (i % per_writer);  // writer t owns sessions t, t+writers, ...
        Check(store.AppendMessages("bench", SessionId(session), batch, "").status(), "append");
        appends.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  return static_cast<double>(appends.load()) / static_cast<double>(duration.count());
}

}  // namespace

int main() {
  double scale = 1.0;
  if (const char* env = std::getenv("CATENA_BENCH_SCALE"); env != nullptr && *env != '\0') scale = std::atof(env);
  const int sessions = std::max(kWriters, static_cast<int>(10'000 * scale));
  const std::string case_name = std::to_string(sessions) + "x" + std::to_string(kMessagesPerSession);
  const auto root = std::filesystem::temp_directory_path() / ("catena-memory-bench-" + std::to_string(::getpid()));

  auto store = OpenOrDie(root / "wal", /*sync=*/false);
  std::vector<double> appends = Load(*store, sessions);
  ReportLatency("append", case_name, appends);
  std::vector<double> read_cpu;
  std::vector<double> reads = ReadLast20(*store, sessions, 20'000, read_cpu);
  ReportLatency("read", case_name, reads);
  ReportLatency("read_cpu", case_name, read_cpu);
  std::vector<double> checkpoints = CheckpointRoundTrips(*store, 10'000);
  ReportLatency("checkpoint", case_name, checkpoints);
  catena::bench::Emit("memory", case_name + "/w1", "appends_per_s_1_writer",
                      ConcurrentAppendsPerSecond(*store, sessions, 1, std::chrono::seconds(3)), "1/s");
  catena::bench::Emit("memory", case_name + "/w16", "appends_per_s",
                      ConcurrentAppendsPerSecond(*store, sessions, kWriters, std::chrono::seconds(5)), "1/s");
  store.reset();

  auto synced = OpenOrDie(root / "fsync", /*sync=*/true);
  Check(synced->CreateSession("bench", {.id = SessionId(0), .user_id = "u"}).status(), "create");
  std::vector<double> fsync_appends;
  const std::vector<Message> batch = {MessageOf(0)};
  for (int i = 0; i < 2000; ++i) {
    const auto start = Clock::now();
    Check(synced->AppendMessages("bench", SessionId(0), batch, "").status(), "fsync append");
    fsync_appends.push_back(MsSince(start));
  }
  ReportLatency("append_fsync", "fsync", fsync_appends);
  synced.reset();
  std::filesystem::remove_all(root);
  return 0;
}
