// Approval policies and decisions (approval.h). Conditions are parsed with the template engine's Expression on
// every check: policies are few and calls rare next to model time.
#include "agents/approval.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/template/template.h"

namespace catena::agents {
namespace {

using chains::ApprovalPolicy;

const tmpl::Value* Field(const tmpl::Value& map, std::string_view key) {
  if (!map.is_map()) return nullptr;
  const tmpl::Value* found = map.map().Find(key);
  return found == nullptr || found->is_undefined() || found->is_none() ? nullptr : found;
}

absl::StatusOr<tmpl::Expression> ParseCondition(std::string_view condition) {
  return tmpl::Expression::Parse(condition);
}

}  // namespace

absl::StatusOr<ApprovalPolicy> ParseApprovalPolicy(const tmpl::Value& value, std::string_view where) {
  ApprovalPolicy policy;
  if (value.is_string() && (value.string_value() == "always" || value.string_value() == "never")) {
    policy.mode = value.string_value() == "always" ? ApprovalPolicy::Mode::kAlways : ApprovalPolicy::Mode::kNever;
    return policy;
  }
  const tmpl::Value* when = Field(value, "when");
  if (value.is_map() && value.map().size() == 1 && when != nullptr && when->is_string()) {
    policy.mode = ApprovalPolicy::Mode::kWhen;
    policy.condition = when->string_value();
    absl::StatusOr<tmpl::Expression> parsed = ParseCondition(policy.condition);
    if (!parsed.ok()) return Annotate(parsed.status(), absl::StrCat(std::string(where), ".when"));
    return policy;
  }
  return absl::InvalidArgumentError(absl::StrCat(std::string(where), ": expected always, never or {when: \"<condition over args>\"}, got ",
                                                 tmpl::Repr(value)));
}

const ApprovalPolicy& ApprovalOverrides::For(const chains::ToolDefinition& tool) const {
  if (auto found = per_tool.find(tool.name); found != per_tool.end()) return found->second;
  return all.has_value() ? *all : tool.approval;
}

absl::StatusOr<ApprovalOverrides> ParseApprovalOverrides(const tmpl::Value* value) {
  ApprovalOverrides overrides;
  if (value == nullptr || value->is_undefined() || value->is_none()) return overrides;
  const bool single = value->is_string() || (value->is_map() && value->map().size() == 1 && Field(*value, "when"));
  if (single) {
    CATENA_ASSIGN_OR_RETURN(overrides.all, ParseApprovalPolicy(*value, "approval"));
    return overrides;
  }
  if (!value->is_map()) {
    return absl::InvalidArgumentError(
        absl::StrCat("approval: expected a policy or a mapping {tool: policy}, got ", tmpl::TypeName(*value)));
  }
  for (const auto& [key, policy] : value->map().entries()) {
    const std::string name = tmpl::ToStr(key);
    CATENA_ASSIGN_OR_RETURN(ApprovalPolicy parsed, ParseApprovalPolicy(policy, absl::StrCat("approval.", name)));
    overrides.per_tool.emplace(name, std::move(parsed));
  }
  return overrides;
}

absl::StatusOr<bool> NeedsApproval(const ApprovalPolicy& policy, std::string_view tool,
                                   const nlohmann::ordered_json& arguments) {
  switch (policy.mode) {
    case ApprovalPolicy::Mode::kNever:
      return false;
    case ApprovalPolicy::Mode::kAlways:
      return true;
    case ApprovalPolicy::Mode::kWhen:
      break;
  }
  const std::string where = absl::StrCat("approval condition of tool '", std::string(tool), "'");
  absl::StatusOr<tmpl::Expression> condition = ParseCondition(policy.condition);
  if (!condition.ok()) return Annotate(condition.status(), where);
  tmpl::Value context = tmpl::Value::Dict();
  context.map().Set("args", tmpl::Value::FromJson(arguments));
  context.map().Set("tool", std::string(tool));
  absl::StatusOr<bool> truthy = condition->EvaluateCondition(context);
  if (!truthy.ok()) return Annotate(truthy.status(), where);
  return *truthy;
}

std::string ApprovalReason(const ApprovalPolicy& policy, std::string_view tool) {
  std::string reason = absl::StrCat("approve call of tool '", std::string(tool), "'");
  if (policy.mode == ApprovalPolicy::Mode::kWhen) absl::StrAppend(&reason, " (when: ", policy.condition, ")");
  return reason;
}

tmpl::Value ApprovalPayload(std::string_view tool, std::string_view arguments_json, std::string_view call_id,
                            std::string_view reason) {
  nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(arguments_json, nullptr, false);
  tmpl::Value payload = tmpl::Value::Dict();
  payload.map().Set("tool", std::string(tool));
  payload.map().Set("arguments", parsed.is_discarded() ? tmpl::Value(std::string(arguments_json))
                                                        : tmpl::Value::FromJson(parsed));
  payload.map().Set("call_id", std::string(call_id));
  payload.map().Set("reason", std::string(reason));
  return payload;
}

absl::StatusOr<ApprovalDecision> ParseApprovalDecision(const tmpl::Value& resume_data) {
  if (!resume_data.is_map()) {
    return absl::InvalidArgumentError(
        absl::StrCat("resume data must be a mapping {approved, payload}, got ", tmpl::TypeName(resume_data)));
  }
  ApprovalDecision decision;
  if (const tmpl::Value* approved = Field(resume_data, "approved")) {
    if (!approved->is_bool()) return absl::InvalidArgumentError("resume data: 'approved' must be true or false");
    decision.approved = approved->bool_value();
  }
  const tmpl::Value* payload = Field(resume_data, "payload");
  const tmpl::Value* arguments = payload != nullptr ? Field(*payload, "arguments") : nullptr;
  if (arguments == nullptr) return decision;
  if (arguments->is_string()) {
    decision.edited_arguments_json = arguments->string_value();
    return decision;
  }
  if (!arguments->is_map()) {
    return absl::InvalidArgumentError("resume data: payload.arguments must be a mapping (or JSON text)");
  }
  absl::StatusOr<nlohmann::ordered_json> json = tmpl::ToOrderedJson(*arguments);
  if (!json.ok()) return Annotate(json.status(), "resume data: payload.arguments");
  decision.edited_arguments_json = json->dump();
  return decision;
}

}  // namespace catena::agents
