// ComputePool: workers spin briefly on a wake counter, then sleep on it (a Linux futex). A job is
// published as one 64-bit word (generation | chunk count | next chunk) that every thread claims chunks from by
// compare-and-swap, so a worker that wakes late for an old job can never claim a chunk of the next one.
#include "inference/compute_pool.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CATENA_CPU_RELAX() _mm_pause()
#else
#define CATENA_CPU_RELAX() ((void)0)
#endif

namespace catena::inference {
namespace {

constexpr int kSpinIterations = 1 << 14;
constexpr uint64_t kFieldBits = 20;
constexpr uint64_t kFieldMask = (uint64_t{1} << kFieldBits) - 1;

// Sleeps while *word == expected (the kernel re-checks atomically, so a change before the call is not lost).
void FutexWait(std::atomic<uint32_t>* word, uint32_t expected) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}
void FutexWakeAll(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

uint64_t PackJob(uint64_t generation, uint64_t chunks, uint64_t next) {
  return (generation << (2 * kFieldBits)) | (chunks << kFieldBits) | next;
}

}  // namespace

struct ComputePool::State {
  int threads = 1;
  std::vector<std::thread> workers;
  std::atomic<uint32_t> wake{0};
  std::atomic<int> sleepers{0};        // workers inside (or about to enter) FutexWait on `wake`
  std::atomic<bool> caller_asleep{false};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> job{0};
  std::atomic<uint32_t> pending{0};
  // Valid while a job's chunks are pending; written before `job` is published (release).
  const absl::FunctionRef<void(int64_t, int64_t)>* fn = nullptr;
  int64_t n = 0;
  int64_t per_chunk = 0;

  // Claims and runs chunks of the job with `generation` until none is left.
  void RunChunks(uint64_t generation);
  void WorkerLoop();
  void WakeWorkers();
};

void ComputePool::State::WakeWorkers() {
  wake.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers.load(std::memory_order_seq_cst) > 0) FutexWakeAll(&wake);
}

void ComputePool::State::RunChunks(uint64_t generation) {
  uint64_t word = job.load(std::memory_order_acquire);
  for (;;) {
    if ((word >> (2 * kFieldBits)) != generation) return;
    const uint64_t chunks = (word >> kFieldBits) & kFieldMask;
    const uint64_t next = word & kFieldMask;
    if (next >= chunks) return;
    if (!job.compare_exchange_weak(word, word + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    const int64_t begin = static_cast<int64_t>(next) * per_chunk;
    (*fn)(begin, std::min(n, begin + per_chunk));
    if (pending.fetch_sub(1, std::memory_order_seq_cst) == 1 && caller_asleep.load(std::memory_order_seq_cst)) {
      FutexWakeAll(&pending);
    }
    word = job.load(std::memory_order_acquire);
  }
}

void ComputePool::State::WorkerLoop() {
  uint32_t seen = 0;  // the value at construction: a late-starting worker still sees every later wake-up
  for (;;) {
    uint32_t now = wake.load(std::memory_order_acquire);
    for (int spin = 0; now == seen && spin < kSpinIterations; ++spin) {
      CATENA_CPU_RELAX();
      now = wake.load(std::memory_order_acquire);
    }
    if (now == seen) {
      sleepers.fetch_add(1, std::memory_order_seq_cst);
      if (wake.load(std::memory_order_seq_cst) == seen) FutexWait(&wake, seen);
      sleepers.fetch_sub(1, std::memory_order_seq_cst);
      continue;
    }
    seen = now;
    if (stop.load(std::memory_order_acquire)) return;
    RunChunks(job.load(std::memory_order_acquire) >> (2 * kFieldBits));
  }
}

ComputePool::ComputePool(int threads) : state_(std::make_unique<State>()) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  state_->threads = std::min(threads, 1024);
  for (int i = 1; i < state_->threads; ++i) state_->workers.emplace_back([s = state_.get()] { s->WorkerLoop(); });
}

ComputePool::~ComputePool() {
  state_->stop.store(true, std::memory_order_release);
  state_->wake.fetch_add(1, std::memory_order_seq_cst);
  FutexWakeAll(&state_->wake);
  for (std::thread& t : state_->workers) t.join();
}

int ComputePool::threads() const { return state_->threads; }

void ComputePool::ParallelFor(int64_t n, int64_t grain, absl::FunctionRef<void(int64_t begin, int64_t end)> fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t max_chunks = std::max<int64_t>(1, std::min<int64_t>(state_->threads, n / grain));
  if (max_chunks == 1) {
    fn(0, n);
    return;
  }
  // Chunk sizes are multiples of `grain` so callers can tile; only the last chunk may be shorter.
  const int64_t per_chunk = (n + max_chunks * grain - 1) / (max_chunks * grain) * grain;
  const int64_t chunks = (n + per_chunk - 1) / per_chunk;
  State& s = *state_;
  s.fn = &fn;
  s.n = n;
  s.per_chunk = per_chunk;
  s.pending.store(static_cast<uint32_t>(chunks), std::memory_order_relaxed);
  const uint64_t generation = ((s.job.load(std::memory_order_relaxed) >> (2 * kFieldBits)) + 1) & 0xFFFFFF;
  s.job.store(PackJob(generation, static_cast<uint64_t>(chunks), 0), std::memory_order_release);
  s.WakeWorkers();
  s.RunChunks(generation);
  uint32_t left = s.pending.load(std::memory_order_acquire);
  for (int spin = 0; left != 0; ++spin) {
    if (spin < kSpinIterations) {
      CATENA_CPU_RELAX();
    } else {
      s.caller_asleep.store(true, std::memory_order_seq_cst);
      if ((left = s.pending.load(std::memory_order_seq_cst)) != 0) FutexWait(&s.pending, left);
      s.caller_asleep.store(false, std::memory_order_seq_cst);
    }
    left = s.pending.load(std::memory_order_acquire);
  }
}

void ComputePool::ForEachClaimed(int64_t n, absl::FunctionRef<void(int64_t i)> fn) {
  std::atomic<int64_t> next{0};
  ParallelFor(std::min<int64_t>(n, threads()), 1, [&](int64_t, int64_t) {
    for (int64_t i = next.fetch_add(1, std::memory_order_relaxed); i < n;
         i = next.fetch_add(1, std::memory_order_relaxed)) {
      fn(i);
    }
  });
}

}  // namespace catena::inference
