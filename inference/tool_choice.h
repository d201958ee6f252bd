// How a Chat request's tools and tool_choice shape generation: ResolveToolChoice validates the declared tools and
// the choice ("auto", "none", "required" or a tool name); ToolCallSchema writes the JSON Schema of a call object
// ({"name": ..., "arguments": ...}) that constrains output when a call is required. Pure functions; thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/chat_template.h"

namespace catena::inference {

struct ToolChoice {
  enum class Mode { kNone, kAuto, kRequired, kNamed };
  Mode mode = Mode::kAuto;
  std::vector<ToolDefinition> tools;  // the tools the model may call (all declared ones, or the named one)
  // Names of `tools`, for ParseToolCalls.
  std::vector<std::string> names() const;
};

// Checks `tools` (at most 128, names [A-Za-z0-9_-]{1,64} and unique, schemas JSON objects or "") and resolves
// `tool_choice` ("" means "auto"; "none" and no tools give kNone). INVALID_ARGUMENT naming the field otherwise.
absl::StatusOr<ToolChoice> ResolveToolChoice(std::string_view tool_choice, std::vector<ToolDefinition> tools);

// The JSON Schema of one call to any of `tools`: {"name": const, "arguments": the tool's parameters schema},
// as anyOf over the tools; each tool's $defs/definitions move to the root so local $refs still resolve.
// UNIMPLEMENTED when two tools define the same $defs name differently; INVALID_ARGUMENT for no tools.
absl::StatusOr<std::string> ToolCallSchema(std::span<const ToolDefinition> tools);

}  // namespace catena::inference
