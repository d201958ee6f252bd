// CallDeadline: the deadline of the work the current thread is doing for a run (set by the chain engine around
// a node body), so that blocking calls made deep inside it (remote clients in remote/) can bound themselves by
// it without every interface taking a deadline. Thread-local; a scope restores the previous value on exit.
#pragma once

#include "absl/time/time.h"

namespace catena {

namespace internal {
inline thread_local absl::Time current_call_deadline = absl::InfiniteFuture();
}  // namespace internal

// The deadline set by the innermost ScopedCallDeadline of this thread; InfiniteFuture when none.
inline absl::Time CurrentCallDeadline() { return internal::current_call_deadline; }

// Sets this thread's call deadline for the scope's lifetime (the earlier of `deadline` and an enclosing one).
class ScopedCallDeadline {
 public:
  explicit ScopedCallDeadline(absl::Time deadline) : previous_(internal::current_call_deadline) {
    internal::current_call_deadline = std::min(previous_, deadline);
  }
  ~ScopedCallDeadline() { internal::current_call_deadline = previous_; }
  ScopedCallDeadline(const ScopedCallDeadline&) = delete;
  ScopedCallDeadline& operator=(const ScopedCallDeadline&) = delete;

 private:
  const absl::Time previous_;
};

}  // namespace catena
