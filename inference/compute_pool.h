// ComputePool: a fixed set of worker threads for the CPU kernels, started once and reused for every op, so a
// parallel matrix-vector product costs a wake-up, not a thread spawn. One caller at a time runs ParallelFor
// (the model's forward pass owns its pool); the calling thread takes a share of the work.
#pragma once

#include <cstdint>
#include <memory>

#include "absl/functional/function_ref.h"

namespace catena::inference {

class ComputePool {
 public:
  // `threads` >= 1 counts the calling thread; 0 means the number of hardware threads.
  explicit ComputePool(int threads);
  ~ComputePool();
  ComputePool(const ComputePool&) = delete;
  ComputePool& operator=(const ComputePool&) = delete;

  int threads() const;
  // Splits [0, n) into at most threads() contiguous ranges of at least `grain` items (the last may be
  // shorter), runs fn(begin, end) on each and returns when all are done.
  void ParallelFor(int64_t n, int64_t grain, absl::FunctionRef<void(int64_t begin, int64_t end)> fn);
  // Runs fn(i) for every i in [0, n), each thread claiming the next i from a shared counter, and returns when
  // all are done: for items of unequal cost (or a thread the OS preempts), where fixed ranges would leave one
  // thread waiting on another.
  void ForEachClaimed(int64_t n, absl::FunctionRef<void(int64_t i)> fn);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace catena::inference
