// The test tools (test_tools.h), built as FunctionTools.
#include "agents/test_tools.h"

#include "absl/strings/str_cat.h"
#include "agents/function_tool.h"
#include "common/status.h"

namespace catena::agents {
namespace {

using Json = nlohmann::ordered_json;

chains::ToolDefinition Definition(std::string name, std::string description, std::string schema) {
  chains::ToolDefinition definition;
  definition.name = std::move(name);
  definition.description = std::move(description);
  definition.parameters_json_schema = std::move(schema);
  definition.source = "test";
  return definition;
}

}  // namespace

std::vector<std::shared_ptr<const chains::Tool>> TestTools() {
  auto echo = MakeFunctionTool(
      Definition("test_echo", "Returns its arguments as {\"echo\": ...}.", R"({"type":"object"})"),
      [](const chains::ToolCallContext&, const Json& arguments) -> absl::StatusOr<chains::ToolOutput> {
        return JsonOutput(Json{{"echo", arguments}});
      });
  auto transfer = MakeFunctionTool(
      Definition("test_transfer", "Pretends to send money.",
                 R"({"type":"object","properties":{"amount":{"type":"number"},"to":{"type":"string"}},)"
                 R"("required":["amount","to"]})"),
      [](const chains::ToolCallContext&, const Json& arguments) -> absl::StatusOr<chains::ToolOutput> {
        return TextOutput(absl::StrCat("sent ", arguments["amount"].dump(), " to ",
                                       arguments["to"].get<std::string>()));
      });
  return {echo, transfer};
}

absl::Status AddTestTools(ToolRegistry& registry) {
  for (auto& tool : TestTools()) CATENA_RETURN_IF_ERROR(registry.Add(std::move(tool)));
  return absl::OkStatus();
}

}  // namespace catena::agents
