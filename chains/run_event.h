// RunEvent: what a pipeline run reports while it runs, in one ordered stream per run (seq from 1): run and
// node starts and finishes, token deltas, retrieved documents, tool calls and results, interrupts, errors and
// the final outputs with token usage. The executor stamps seq and time; PipelineService converts events to
// catena.v1.RunEvent. Plain data.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "common/template/value.h"

namespace catena::chains {

struct TokenUsage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_prompt_tokens = 0;  // of prompt_tokens, those a prefix cache served (models that report it)
  int64_t total() const { return prompt_tokens + completion_tokens; }
  TokenUsage& operator+=(const TokenUsage& other) {
    prompt_tokens += other.prompt_tokens;
    completion_tokens += other.completion_tokens;
    cached_prompt_tokens += other.cached_prompt_tokens;
    return *this;
  }
};

struct RunEvent {
  enum class Kind {
    kRunStarted,     // data: the run's inputs
    kNodeStarted,    // node, node_type
    kNodeFinished,   // node, node_type, duration_ms, data: the node's output
    kNodeSkipped,    // node (not taken by a router, guard false, or depends on a skipped node)
    kToken,          // node, text: a delta of streamed model output
    kRetrieved,      // node, data: {documents: [...], scores: [...]}
    kToolCall,       // node, data: {id, name, arguments}
    kToolResult,     // node, data: {tool_call_id, result, is_error}
    kInterrupt,      // node, text: reason, data: payload; the run waits for Resume
    kFinal,          // data: the pipeline outputs, usage
    kError,          // node (when one failed), status
  };
  Kind kind = Kind::kRunStarted;
  int64_t seq = 0;           // set by the executor
  int64_t time_unix_ms = 0;  // set by the executor
  std::string node;
  std::string node_type;
  std::string text;
  tmpl::Value data;
  double duration_ms = 0;
  TokenUsage usage;
  absl::Status status;
};

// "run_started", "node_finished", ... (the names used in stored traces and pipeline test files).
const char* RunEventKindName(RunEvent::Kind kind);

// Receives a run's events in seq order, one call at a time (never concurrently for one run).
using RunEventSink = std::function<void(const RunEvent&)>;

}  // namespace catena::chains
