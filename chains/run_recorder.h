// RunRecorder: writes the trace of one run (or one resumed part of it) to the PipelineStore while the run goes:
// the header as "running" at the start, events in batches as they come (and at once for interrupts, errors and
// the final event), and the final state, outputs, usage and error at the end. Trace writes are best effort: a
// failed write is logged and never fails the run. Used by PipelineService; thread-safe (events arrive on run
// threads, the end on whichever thread finishes the run).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "catena/v1/pipeline.pb.h"
#include "chains/pipeline_store.h"
#include "chains/runner.h"

namespace catena::chains {

class RunRecorder {
 public:
  // Records run header.run_id() of `tenant` into `store` (not owned; outlives this); events are numbered from
  // `next_index` (0 for a new run, the stored count for a resumed one).
  RunRecorder(PipelineStore* store, std::string tenant, v1::RunTrace header, int64_t next_index);

  // Stores the header with state "running".
  absl::Status Begin(int64_t now_unix_ms);
  // Buffers `event`; writes the buffer every kBatch events and at interrupt, error and final events.
  void Record(const v1::RunEvent& event);
  // Writes what is buffered and the final header from `result`.
  void Finish(const RunResult& result, int64_t now_unix_ms);

  // The last interrupt event seen (empty when none).
  v1::Interrupt last_interrupt() const;

  static constexpr size_t kBatch = 32;

 private:
  void FlushLocked();

  PipelineStore* const store_;
  const std::string tenant_;
  mutable std::mutex mutex_;
  v1::RunTrace header_;
  int64_t next_index_;
  std::vector<v1::RunEvent> buffer_;
  v1::Interrupt last_interrupt_;
  std::string error_node_;
};

}  // namespace catena::chains
