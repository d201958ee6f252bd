// InvokeTool: the one way tool and agent nodes call a chains::Tool. It parses the model's arguments, checks them
// against the tool's JSON Schema, honors the caller's deadline and cancellation, and prefixes every error with
// the tool's name so it can go back to the model as the call's result. Thread-safe (tools are).
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "chains/tool.h"
#include "nlohmann/json.hpp"

namespace catena::agents {

// Parses `arguments_json` ("" counts as {}); INVALID_ARGUMENT "tool 'x': arguments are not valid JSON: ... at
// byte N" or "... must be a JSON object".
absl::StatusOr<nlohmann::ordered_json> ParseToolArguments(std::string_view tool_name, std::string_view arguments_json);

// Parses `arguments_json` and checks it against the tool's parameter schema (parsed once per distinct schema
// text and cached): INVALID_ARGUMENT as ParseToolArguments or "tool 'x': $.amount: expected number, got string";
// FAILED_PRECONDITION when the schema itself is not JSON.
absl::StatusOr<nlohmann::ordered_json> CheckedToolArguments(const chains::ToolDefinition& tool,
                                                            std::string_view arguments_json);

// Checks the arguments (CheckedToolArguments), then calls tool.Invoke with them re-serialized. Errors: INVALID_ARGUMENT
// for bad JSON or a schema violation ("tool 'x': $.amount: expected number, got string"), DEADLINE_EXCEEDED
// when the deadline passed before or during the call, CANCELLED when the run was cancelled first; the tool's own
// errors come back with "tool 'x': " prepended. Tools must bound blocking work by context.deadline.
absl::StatusOr<chains::ToolOutput> InvokeTool(const chains::Tool& tool, const chains::ToolCallContext& context,
                                              std::string_view arguments_json);

}  // namespace catena::agents
