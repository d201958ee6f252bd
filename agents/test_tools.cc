// The test tools and StaticToolSet (test_tools.h).
#include "agents/test_tools.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace catena::agents {
namespace {

using Json = nlohmann::ordered_json;

class FunctionTool final : public chains::Tool {
 public:
  using Body = absl::StatusOr<chains::ToolOutput> (*)(const Json& arguments);
  FunctionTool(chains::ToolDefinition definition, Body body) : definition_(std::move(definition)), body_(body) {}
  const chains::ToolDefinition& definition() const override { return definition_; }
  absl::StatusOr<chains::ToolOutput> Invoke(const chains::ToolCallContext&, std::string_view arguments_json) const override {
    const Json arguments = Json::parse(arguments_json, nullptr, false);
    if (arguments.is_discarded()) return absl::InvalidArgumentError("arguments are not valid JSON");
    return body_(arguments);
  }

 private:
  chains::ToolDefinition definition_;
  Body body_;
};

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
  auto echo = std::make_shared<FunctionTool>(
      Definition("test_echo", "Returns its arguments as {\"echo\": ...}.", R"({"type":"object"})"),
      [](const Json& arguments) -> absl::StatusOr<chains::ToolOutput> {
        return chains::ToolOutput{Json{{"echo", arguments}}.dump(), true};
      });
  auto transfer = std::make_shared<FunctionTool>(
      Definition("test_transfer", "Pretends to send money.",
                 R"({"type":"object","properties":{"amount":{"type":"number"},"to":{"type":"string"}},)"
                 R"("required":["amount","to"]})"),
      [](const Json& arguments) -> absl::StatusOr<chains::ToolOutput> {
        return chains::ToolOutput{absl::StrCat("sent ", arguments["amount"].dump(), " to ",
                                               arguments["to"].get<std::string>()),
                                  false};
      });
  return {echo, transfer};
}

StaticToolSet::StaticToolSet(std::vector<std::shared_ptr<const chains::Tool>> tools) : tools_(std::move(tools)) {
  std::sort(tools_.begin(), tools_.end(),
            [](const auto& a, const auto& b) { return a->definition().name < b->definition().name; });
}

std::shared_ptr<const chains::Tool> StaticToolSet::Find(std::string_view, std::string_view name) const {
  for (const auto& tool : tools_) {
    if (tool->definition().name == name) return tool;
  }
  return nullptr;
}

std::vector<std::shared_ptr<const chains::Tool>> StaticToolSet::List(std::string_view) const { return tools_; }

}  // namespace catena::agents
