// FunctionTool: a chains::Tool made of a definition and a function over the parsed arguments. The built-in tools
// use it, and so can tests and embedders of Catena. Immutable after construction; thread-safe when the function is.
#pragma once

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "chains/tool.h"
#include "nlohmann/json.hpp"

namespace catena::agents {

// Receives the call context and the arguments (already checked against the schema by InvokeTool).
using ToolFunction =
    std::function<absl::StatusOr<chains::ToolOutput>(const chains::ToolCallContext&, const nlohmann::ordered_json&)>;

class FunctionTool : public chains::Tool {
 public:
  FunctionTool(chains::ToolDefinition definition, ToolFunction function);
  const chains::ToolDefinition& definition() const override { return definition_; }
  // Parses `arguments_json` (INVALID_ARGUMENT when it is not a JSON object) and calls the function.
  absl::StatusOr<chains::ToolOutput> Invoke(const chains::ToolCallContext& context,
                                            std::string_view arguments_json) const override;

 private:
  chains::ToolDefinition definition_;
  ToolFunction function_;
};

// The tool as a shared_ptr, ready for ToolRegistry::Add.
std::shared_ptr<const chains::Tool> MakeFunctionTool(chains::ToolDefinition definition, ToolFunction function);

// Output helpers: JSON text (is_json = true) or plain text.
chains::ToolOutput JsonOutput(const nlohmann::ordered_json& value);
chains::ToolOutput TextOutput(std::string text);

}  // namespace catena::agents
