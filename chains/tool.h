// Tool and ToolSet: what `tool` and `agent` nodes call. A Tool has a definition (name, description, JSON Schema
// of its arguments, approval policy) and an Invoke that may block (HTTP, MCP, retrieval): nodes run each call
// on the run's executor, parallel calls on separate tasks. Implementations live in agents/ (registry, built-ins,
// HTTP tools, MCP tools); the chain engine sees only this interface, like ChatModel. Thread-safe; a ToolSet
// outlives every run that uses it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "chains/chat_model.h"

namespace catena::chains {

struct RunServices;

// When a call needs a person's approval before it runs (human approval, docs/agents.md).
struct ApprovalPolicy {
  enum class Mode { kNever, kAlways, kWhen };
  Mode mode = Mode::kNever;
  // kWhen: a template expression over `args` (the call's arguments) and `tool` (its name), e.g.
  // "args.amount > 1000"; approval is needed when it evaluates truthy.
  std::string condition;
};

struct ToolDefinition {
  std::string name;         // unique within a ToolSet: [A-Za-z0-9_.-]{1,64}
  std::string description;  // shown to the model
  std::string parameters_json_schema = R"({"type":"object","properties":{}})";
  ApprovalPolicy approval;  // the tool's default; an agent node may override it
  std::string source;       // where it was declared, for error messages ("builtin", "tools.yaml:12", "mcp:docs")
};

// What a tool call may use: the caller's tenant and run, its services (retrieval, memory) and its deadline.
struct ToolCallContext {
  std::string tenant;
  std::string run_id;
  const RunServices* services = nullptr;  // may be null outside a run (CLI, tests)
  absl::Time deadline = absl::InfiniteFuture();
  // Polled by long calls; true once the run was cancelled.
  std::function<bool()> cancelled = [] { return false; };
};

struct ToolOutput {
  std::string content;   // what the model sees: text, or JSON text when is_json
  bool is_json = false;
};

class Tool {
 public:
  virtual ~Tool() = default;
  virtual const ToolDefinition& definition() const = 0;
  // Runs the call with `arguments_json` (already valid for the schema, see ToolSet::Invoke). Errors are
  // reported to the model as the tool's result, so messages must say what went wrong in plain words.
  virtual absl::StatusOr<ToolOutput> Invoke(const ToolCallContext& context, std::string_view arguments_json) const = 0;
};

// The tools a run may call.
class ToolSet {
 public:
  virtual ~ToolSet() = default;
  // The tool named `name` for `tenant`, or nullptr.
  virtual std::shared_ptr<const Tool> Find(std::string_view tenant, std::string_view name) const = 0;
  // Every tool `tenant` may call, sorted by name.
  virtual std::vector<std::shared_ptr<const Tool>> List(std::string_view tenant) const = 0;
};

// The definition as offered to a chat model.
inline ChatTool ToChatTool(const ToolDefinition& definition) {
  return ChatTool{definition.name, definition.description, definition.parameters_json_schema};
}

}  // namespace catena::chains
