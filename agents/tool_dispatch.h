// How the tool and agent nodes call tools: find the tool in the run's ToolSet and call it through
// agents::InvokeTool (arguments validated against its JSON Schema, the run's tenant and deadline), and turn every failure (unknown tool, invalid
// JSON, schema mismatch, tool error) into an outcome the model can read. RunToolCalls runs several calls on
// the executor (concurrently when asked) and reports all outcomes at once. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "chains/node_type.h"
#include "chains/tool.h"

namespace catena {
class Executor;
}

namespace catena::agents {

// What a call returned, as the model and the node output see it.
struct ToolCallOutcome {
  std::string content;  // the result text (JSON text when is_json), or the error message
  bool is_json = false;
  bool is_error = false;
};

// Checks `arguments_json` against the tool's schema with the same messages as InvokeTool ("tool 'x': arguments are
// not valid JSON: ...", "tool 'x': $.amount: expected number, got string"); used before asking for approval.
absl::Status ValidateArguments(const chains::ToolDefinition& tool, std::string_view arguments_json);

// Looks `name` up for `context.tenant` and calls it with InvokeTool; every failure becomes an error outcome.
ToolCallOutcome CallTool(const chains::ToolSet& tools, const chains::ToolCallContext& context, std::string_view name,
                         std::string_view arguments_json);

// The context of a call made by `call`'s node, with `deadline` (the earlier of it and the run's applies).
chains::ToolCallContext ContextFor(chains::NodeCall& call, absl::Time deadline);

struct PendingToolCall {
  std::string name;
  std::string arguments_json;
};

// Runs `calls` on `executor` (all at once when `parallel`, else one after another on one task; a sequential batch
// called from one of the executor's threads runs right there) and calls `on_each` as each finishes (any thread)
// and then `done` once with every outcome in order. `tools` must outlive the calls.
void RunToolCalls(Executor& executor, const chains::ToolSet& tools, chains::ToolCallContext context,
                  std::vector<PendingToolCall> calls, bool parallel,
                  std::function<void(size_t index, const ToolCallOutcome&)> on_each,
                  std::function<void(std::vector<ToolCallOutcome>)> done);

}  // namespace catena::agents
