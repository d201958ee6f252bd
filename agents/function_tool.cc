#include "agents/function_tool.h"

#include "agents/tool_invoke.h"
#include "common/status.h"

namespace catena::agents {

FunctionTool::FunctionTool(chains::ToolDefinition definition, ToolFunction function)
    : definition_(std::move(definition)), function_(std::move(function)) {}

absl::StatusOr<chains::ToolOutput> FunctionTool::Invoke(const chains::ToolCallContext& context,
                                                        std::string_view arguments_json) const {
  CATENA_ASSIGN_OR_RETURN(nlohmann::ordered_json arguments, ParseToolArguments(definition_.name, arguments_json));
  return function_(context, arguments);
}

std::shared_ptr<const chains::Tool> MakeFunctionTool(chains::ToolDefinition definition, ToolFunction function) {
  return std::make_shared<FunctionTool>(std::move(definition), std::move(function));
}

chains::ToolOutput JsonOutput(const nlohmann::ordered_json& value) {
  return chains::ToolOutput{value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), true};
}

chains::ToolOutput TextOutput(std::string text) { return chains::ToolOutput{std::move(text), false}; }

}  // namespace catena::agents
