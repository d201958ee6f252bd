// Human approval of tool calls (docs/agents.md "Approval"): parsing the policies written in pipeline files
// (`always`, `never`, `{when: "<expression over args>"}`), deciding whether one call needs a person, the
// interrupt payload {tool, arguments, call_id, reason}, and the reviewer's decision read from Resume data
// {approved, payload: {arguments?}}. Used by the tool and agent nodes. Pure functions; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "chains/tool.h"
#include "common/template/value.h"
#include "nlohmann/json.hpp"

namespace catena::agents {

// What a rejected call returns to the model (agent) as its tool result.
inline constexpr char kRejectedByReviewer[] = "rejected by a reviewer";

// Parses "always" | "never" | {when: "<expression>"} (the expression sees `args` and `tool`; "{{ }}" around it
// is accepted). INVALID_ARGUMENT naming `where` and what was wrong, including expression syntax errors.
absl::StatusOr<chains::ApprovalPolicy> ParseApprovalPolicy(const tmpl::Value& value, std::string_view where);

// A node's `approval` parameter: one policy for every tool ("always", {when: ...}) or one per tool name
// ({transfer: always, lookup: never}). Tools without an entry keep their own definition's policy.
struct ApprovalOverrides {
  std::optional<chains::ApprovalPolicy> all;
  std::map<std::string, chains::ApprovalPolicy, std::less<>> per_tool;

  // The policy that applies to `tool`.
  const chains::ApprovalPolicy& For(const chains::ToolDefinition& tool) const;
};

// Parses a node's `approval` parameter (absent/none -> no overrides); errors name "approval" or "approval.<tool>".
absl::StatusOr<ApprovalOverrides> ParseApprovalOverrides(const tmpl::Value* value);

// Whether a call of `tool` with `arguments` needs approval under `policy`. A condition that fails to evaluate is
// an error naming the tool (the call is then not run).
absl::StatusOr<bool> NeedsApproval(const chains::ApprovalPolicy& policy, std::string_view tool,
                                   const nlohmann::ordered_json& arguments);

// The reason text of the interrupt: "approve call of tool 'transfer'" plus " (when: <condition>)" for kWhen.
std::string ApprovalReason(const chains::ApprovalPolicy& policy, std::string_view tool);

// The interrupt payload {tool, arguments (parsed JSON when it parses, else the text), call_id, reason}.
tmpl::Value ApprovalPayload(std::string_view tool, std::string_view arguments_json, std::string_view call_id,
                            std::string_view reason);

// What the reviewer decided.
struct ApprovalDecision {
  bool approved = false;
  // payload.arguments when given (a mapping, or JSON text): replaces the call's arguments; re-validated.
  std::optional<std::string> edited_arguments_json;
};

// Reads Resume data {approved: bool, payload?: {arguments?: map|string}}; INVALID_ARGUMENT when malformed.
absl::StatusOr<ApprovalDecision> ParseApprovalDecision(const tmpl::Value& resume_data);

}  // namespace catena::agents
