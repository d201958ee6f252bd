// The ReAct text protocol for models without native tool calling (agent node `mode: react`): the instructions
// that list the tools and the reply format (Thought / Action / Action Input / Final Answer), the parser of a
// reply, whose errors say exactly what was wrong so the agent can feed them back to the model, and the
// Observation text that carries a tool result back. Used by agents/agent_loop.cc. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "chains/tool.h"

namespace catena::agents {

// One parsed reply: either an action (tool + JSON object arguments) or a final answer.
struct ReactReply {
  std::string thought;
  bool is_final = false;
  std::string final_answer;
  std::string action;            // a tool name
  std::string action_input_json; // a JSON object text (compact)
};

// The instructions appended to the system prompt: each tool with its description and argument schema, and
// the reply format.
std::string ReactInstructions(const std::vector<chains::ToolDefinition>& tools);

// Stop strings for ReAct requests (the model must not write the Observation itself).
std::vector<std::string> ReactStopStrings();

// Parses a reply. INVALID_ARGUMENT with a message meant for the model, e.g. "no 'Action:' or 'Final Answer:'
// line", "'Action Input' is not a JSON object: ... at byte 12", "unknown tool 'x' (available: a, b)".
absl::StatusOr<ReactReply> ParseReactReply(std::string_view text, const std::vector<chains::ToolDefinition>& tools);

// The user message that returns a tool result (or an error) to the model.
std::string ReactObservation(std::string_view result, bool is_error);

// The user message that returns a format error to the model, with a reminder of the format.
std::string ReactFormatError(const absl::Status& error);

}  // namespace catena::agents
