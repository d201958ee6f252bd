#include "chains/run_event.h"

namespace catena::chains {

const char* RunEventKindName(RunEvent::Kind kind) {
  switch (kind) {
    case RunEvent::Kind::kRunStarted:
      return "run_started";
    case RunEvent::Kind::kNodeStarted:
      return "node_started";
    case RunEvent::Kind::kNodeFinished:
      return "node_finished";
    case RunEvent::Kind::kNodeSkipped:
      return "node_skipped";
    case RunEvent::Kind::kToken:
      return "token";
    case RunEvent::Kind::kRetrieved:
      return "retrieved";
    case RunEvent::Kind::kToolCall:
      return "tool_call";
    case RunEvent::Kind::kToolResult:
      return "tool_result";
    case RunEvent::Kind::kInterrupt:
      return "interrupt";
    case RunEvent::Kind::kFinal:
      return "final";
    case RunEvent::Kind::kError:
      return "error";
  }
  return "unknown";
}

}  // namespace catena::chains
