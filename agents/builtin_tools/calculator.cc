// calculator: evaluates an arithmetic expression with the safe evaluator of agents/calculator.h.
#include "agents/builtin_tools.h"
#include "agents/calculator.h"
#include "agents/function_tool.h"
#include "common/status.h"

namespace catena::agents {

std::shared_ptr<const chains::Tool> NewCalculatorTool() {
  chains::ToolDefinition definition{
      .name = "calculator",
      .description = "Evaluates an arithmetic expression exactly as IEEE double arithmetic does. Supports + - * / % "
                     "^ (power), parentheses, sqrt abs round floor ceil min max pow ln log exp, and pi and e.",
      .parameters_json_schema = R"({"type":"object","properties":{"expression":{"type":"string","minLength":1,)"
                                R"("description":"For example (1 + 2) * sqrt(16) / 4"}},"required":["expression"],)"
                                R"("additionalProperties":false})",
      .source = "builtin"};
  return MakeFunctionTool(std::move(definition), [](const chains::ToolCallContext&, const nlohmann::ordered_json& args)
                                                     -> absl::StatusOr<chains::ToolOutput> {
    CATENA_ASSIGN_OR_RETURN(double value, EvaluateExpression(args.at("expression").get<std::string>()));
    return TextOutput(FormatNumber(value));
  });
}

}  // namespace catena::agents
