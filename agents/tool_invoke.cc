#include "agents/tool_invoke.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "chains/json_schema_check.h"
#include "common/status.h"

namespace catena::agents {
namespace {

std::string Prefix(std::string_view tool_name) { return absl::StrCat("tool '", std::string(tool_name), "'"); }

absl::Status DeadlineError(std::string_view tool_name, absl::Time deadline, bool during) {
  return absl::DeadlineExceededError(absl::StrCat(
      Prefix(tool_name), during ? ": the call ran past its deadline by " : ": the deadline passed ",
      absl::FormatDuration(absl::Now() - deadline), during ? "" : " before the call started"));
}

}  // namespace

absl::StatusOr<nlohmann::ordered_json> ParseToolArguments(std::string_view tool_name, std::string_view arguments_json) {
  if (arguments_json.find_first_not_of(" \t\r\n") == std::string_view::npos) return nlohmann::ordered_json::object();
  nlohmann::ordered_json arguments;
  try {
    arguments = nlohmann::ordered_json::parse(arguments_json);
  } catch (const nlohmann::json::parse_error& error) {
    std::string what = error.what();
    if (auto pos = what.find("syntax error"); pos != std::string::npos) what = what.substr(pos);
    return absl::InvalidArgumentError(absl::StrCat(Prefix(tool_name), ": arguments are not valid JSON: ", what,
                                                   " at byte ", error.byte));
  }
  if (!arguments.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Prefix(tool_name), ": arguments must be a JSON object, got ", arguments.type_name()));
  }
  return arguments;
}

absl::StatusOr<chains::ToolOutput> InvokeTool(const chains::Tool& tool, const chains::ToolCallContext& context,
                                              std::string_view arguments_json) {
  const chains::ToolDefinition& definition = tool.definition();
  CATENA_ASSIGN_OR_RETURN(nlohmann::ordered_json arguments, ParseToolArguments(definition.name, arguments_json));
  const auto schema = nlohmann::ordered_json::parse(definition.parameters_json_schema, nullptr, false);
  if (schema.is_discarded()) {
    return absl::InternalError(absl::StrCat(Prefix(definition.name), ": its parameter schema is not valid JSON"));
  }
  if (absl::Status valid = chains::CheckJsonSchema(schema, arguments); !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(Prefix(definition.name), ": ", valid.message()));
  }
  if (context.cancelled && context.cancelled()) {
    return absl::CancelledError(absl::StrCat(Prefix(definition.name), ": the run was cancelled"));
  }
  if (absl::Now() >= context.deadline) return DeadlineError(definition.name, context.deadline, false);
  absl::StatusOr<chains::ToolOutput> output = tool.Invoke(context, arguments.dump());
  if (absl::Now() > context.deadline) return DeadlineError(definition.name, context.deadline, true);
  if (!output.ok()) {
    const std::string prefix = Prefix(definition.name);
    if (absl::string_view(output.status().message()).substr(0, prefix.size()) == prefix) return output.status();
    return Annotate(output.status(), prefix);
  }
  return output;
}

}  // namespace catena::agents
