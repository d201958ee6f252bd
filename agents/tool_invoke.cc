#include "agents/tool_invoke.h"

#include <memory>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "chains/json_schema_check.h"
#include "common/status.h"

namespace catena::agents {
namespace {

std::string Prefix(std::string_view tool_name) { return absl::StrCat("tool '", std::string(tool_name), "'"); }

absl::Status DeadlineError(std::string_view tool_name, absl::Time deadline, bool during) {
  return absl::DeadlineExceededError(
      absl::StrCat(Prefix(tool_name), during ? ": the call ran past its deadline by " : ": the deadline passed ",
                   absl::FormatDuration(absl::Now() - deadline), during ? "" : " before the call started"));
}

using Json = nlohmann::ordered_json;

// The parsed parameter schema of a tool, parsed once per distinct schema text for the life of the process (a
// tool call would otherwise parse its schema again every time). Null when the text is not JSON.
std::shared_ptr<const Json> ParsedSchema(const std::string& text) {
  constexpr size_t kMaxSchemas = 4096;  // tools come and go (MCP servers); start over rather than grow unbounded
  static std::mutex mutex;
  static auto* schemas = new absl::flat_hash_map<std::string, std::shared_ptr<const Json>>();
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto found = schemas->find(text); found != schemas->end()) return found->second;
  }
  Json parsed = Json::parse(text, nullptr, false);
  auto schema = parsed.is_discarded() ? nullptr : std::make_shared<const Json>(std::move(parsed));
  std::lock_guard<std::mutex> lock(mutex);
  if (schemas->size() >= kMaxSchemas) schemas->clear();
  schemas->emplace(text, schema);
  return schema;
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
    return absl::InvalidArgumentError(
        absl::StrCat(Prefix(tool_name), ": arguments are not valid JSON: ", what, " at byte ", error.byte));
  }
  if (!arguments.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Prefix(tool_name), ": arguments must be a JSON object, got ", arguments.type_name()));
  }
  return arguments;
}

absl::StatusOr<nlohmann::ordered_json> CheckedToolArguments(const chains::ToolDefinition& tool,
                                                            std::string_view arguments_json) {
  CATENA_ASSIGN_OR_RETURN(Json arguments, ParseToolArguments(tool.name, arguments_json));
  const std::shared_ptr<const Json> schema = ParsedSchema(tool.parameters_json_schema);
  if (schema == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(Prefix(tool.name), ": its parameter schema is not valid JSON"));
  }
  if (absl::Status valid = chains::CheckJsonSchema(*schema, arguments); !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(Prefix(tool.name), ": ", valid.message()));
  }
  return arguments;
}

absl::StatusOr<chains::ToolOutput> InvokeTool(const chains::Tool& tool, const chains::ToolCallContext& context,
                                              std::string_view arguments_json) {
  const chains::ToolDefinition& definition = tool.definition();
  CATENA_ASSIGN_OR_RETURN(Json arguments, CheckedToolArguments(definition, arguments_json));
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
