#include "inference/tool_choice.h"

#include "absl/strings/str_cat.h"

namespace catena::inference {
namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kMaxTools = 128;

bool ValidToolName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

absl::Status ValidateTools(std::span<const ToolDefinition> tools) {
  if (tools.size() > kMaxTools) {
    return absl::InvalidArgumentError(absl::StrCat("tools has ", tools.size(), " entries; at most 128 are allowed"));
  }
  for (size_t i = 0; i < tools.size(); ++i) {
    if (!ValidToolName(tools[i].name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("tools[", i, "].name \"", tools[i].name, "\" must match [A-Za-z0-9_-]{1,64}"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (tools[j].name == tools[i].name) {
        return absl::InvalidArgumentError(absl::StrCat("tools[", i, "].name \"", tools[i].name, "\" is declared twice"));
      }
    }
    const std::string& schema = tools[i].parameters_json_schema;
    if (!schema.empty() && !Json::parse(schema, nullptr, false).is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tools[", i, "].parameters_json_schema must be a JSON object (the arguments' schema)"));
    }
  }
  return absl::OkStatus();
}

// Moves `parameters`' $defs/definitions into `root`; UNIMPLEMENTED when a name is already there and differs.
absl::Status HoistDefinitions(Json& parameters, Json& root, const std::string& tool) {
  for (const char* key : {"$defs", "definitions"}) {
    if (!parameters.contains(key) || !parameters[key].is_object()) continue;
    Json& target = root[key];
    if (target.is_null()) target = Json::object();
    for (auto it = parameters[key].begin(); it != parameters[key].end(); ++it) {
      if (target.contains(it.key()) && target[it.key()] != it.value()) {
        return absl::UnimplementedError(absl::StrCat("tools: \"", tool, "\" defines ", key, "/", it.key(),
                                                     " differently from another tool"));
      }
      target[it.key()] = it.value();
    }
    parameters.erase(key);
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> ToolChoice::names() const {
  std::vector<std::string> out;
  for (const ToolDefinition& tool : tools) out.push_back(tool.name);
  return out;
}

absl::StatusOr<ToolChoice> ResolveToolChoice(std::string_view tool_choice, std::vector<ToolDefinition> tools) {
  if (absl::Status valid = ValidateTools(tools); !valid.ok()) return valid;
  ToolChoice choice;
  if (tool_choice == "none" || (tools.empty() && (tool_choice.empty() || tool_choice == "auto"))) {
    choice.mode = ToolChoice::Mode::kNone;
    return choice;
  }
  if (tools.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("tool_choice \"", std::string(tool_choice), "\" needs tools"));
  }
  if (tool_choice.empty() || tool_choice == "auto" || tool_choice == "required") {
    choice.mode = tool_choice == "required" ? ToolChoice::Mode::kRequired : ToolChoice::Mode::kAuto;
    choice.tools = std::move(tools);
    return choice;
  }
  for (ToolDefinition& tool : tools) {
    if (tool.name != tool_choice) continue;
    choice.mode = ToolChoice::Mode::kNamed;
    choice.tools.push_back(std::move(tool));
    return choice;
  }
  return absl::InvalidArgumentError(absl::StrCat("tool_choice \"", std::string(tool_choice),
                                                 "\" is not \"auto\", \"none\", \"required\" or a declared tool"));
}

absl::StatusOr<std::string> ToolCallSchema(std::span<const ToolDefinition> tools) {
  if (tools.empty()) return absl::InvalidArgumentError("tools: a tool call schema needs at least one tool");
  Json root = Json::object();
  Json alternatives = Json::array();
  for (const ToolDefinition& tool : tools) {
    Json parameters = tool.parameters_json_schema.empty() ? Json{{"type", "object"}}
                                                          : Json::parse(tool.parameters_json_schema, nullptr, false);
    if (!parameters.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat("tools: \"", tool.name, "\" has parameters that are not a JSON object"));
    }
    if (absl::Status hoisted = HoistDefinitions(parameters, root, tool.name); !hoisted.ok()) return hoisted;
    alternatives.push_back(Json{{"type", "object"},
                                {"properties", {{"name", {{"const", tool.name}}}, {"arguments", parameters}}},
                                {"required", {"name", "arguments"}}});
  }
  if (alternatives.size() == 1) {
    for (auto it = alternatives[0].begin(); it != alternatives[0].end(); ++it) root[it.key()] = it.value();
  } else {
    root["anyOf"] = std::move(alternatives);
  }
  return root.dump();
}

}  // namespace catena::inference
