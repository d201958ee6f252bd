// Approval policies: parsing (always, never, {when}), per-tool overrides, conditions over the arguments, the
// interrupt payload and the reviewer's decision.
#include <catch2/catch.hpp>

#include "agents/approval.h"

namespace catena::agents {
namespace {

using Json = nlohmann::ordered_json;
using Mode = chains::ApprovalPolicy::Mode;

tmpl::Value V(const std::string& json) { return tmpl::Value::FromJson(Json::parse(json)); }

TEST_CASE("approval policies parse from always, never and {when: condition}", "[unit]") {
  CHECK(ParseApprovalPolicy(V(R"("always")"), "approval")->mode == Mode::kAlways);
  CHECK(ParseApprovalPolicy(V(R"("never")"), "approval")->mode == Mode::kNever);
  auto when = ParseApprovalPolicy(V(R"({"when": "args.amount > 1000"})"), "approval");
  REQUIRE(when.ok());
  CHECK(when->mode == Mode::kWhen);
  CHECK(when->condition == "args.amount > 1000");
  auto bad = ParseApprovalPolicy(V(R"("sometimes")"), "approval.transfer");
  CHECK(bad.status().message() ==
        "approval.transfer: expected always, never or {when: \"<condition over args>\"}, got 'sometimes'");
  auto syntax = ParseApprovalPolicy(V(R"({"when": "args.amount >"})"), "approval");
  REQUIRE_FALSE(syntax.ok());
  CHECK_THAT(std::string(syntax.status().message()), Catch::StartsWith("approval.when: "));
}

TEST_CASE("conditions see the call's arguments and the tool name", "[unit]") {
  chains::ApprovalPolicy policy{Mode::kWhen, "args.amount > 1000 and tool == 'transfer'"};
  CHECK(*NeedsApproval(policy, "transfer", Json{{"amount", 5000}}));
  CHECK_FALSE(*NeedsApproval(policy, "transfer", Json{{"amount", 20}}));
  CHECK_FALSE(*NeedsApproval(policy, "pay", Json{{"amount", 5000}}));
  CHECK(*NeedsApproval({Mode::kAlways, ""}, "x", Json::object()));
  CHECK_FALSE(*NeedsApproval({Mode::kNever, ""}, "x", Json::object()));
  auto broken = NeedsApproval({Mode::kWhen, "args.amount > 'x'"}, "transfer", Json{{"amount", 1}});
  REQUIRE_FALSE(broken.ok());
  CHECK_THAT(std::string(broken.status().message()), Catch::StartsWith("approval condition of tool 'transfer'"));
}

TEST_CASE("a node's approval overrides one policy for all tools or one per tool; others keep their own",
          "[unit]") {
  chains::ToolDefinition transfer;
  transfer.name = "transfer";
  transfer.approval.mode = Mode::kAlways;
  chains::ToolDefinition lookup;
  lookup.name = "lookup";
  auto none = ParseApprovalOverrides(nullptr);
  REQUIRE(none.ok());
  CHECK(none->For(transfer).mode == Mode::kAlways);
  CHECK(none->For(lookup).mode == Mode::kNever);
  const tmpl::Value all_value = V(R"("never")");
  auto all = ParseApprovalOverrides(&all_value);
  CHECK(all->For(transfer).mode == Mode::kNever);
  const tmpl::Value per_tool_value = V(R"({"transfer": {"when": "args.amount > 10"}, "lookup": "always"})");
  auto per_tool = ParseApprovalOverrides(&per_tool_value);
  REQUIRE(per_tool.ok());
  CHECK(per_tool->For(transfer).mode == Mode::kWhen);
  CHECK(per_tool->For(lookup).mode == Mode::kAlways);
  const tmpl::Value bad_value = V(R"({"transfer": "maybe", "lookup": "always"})");
  CHECK_THAT(std::string(ParseApprovalOverrides(&bad_value).status().message()),
             Catch::StartsWith("approval.transfer: expected always, never"));
}

TEST_CASE("the interrupt payload carries tool, arguments, call id and reason", "[unit]") {
  chains::ApprovalPolicy policy{Mode::kWhen, "args.amount > 1000"};
  const std::string reason = ApprovalReason(policy, "transfer");
  CHECK(reason == "approve call of tool 'transfer' (when: args.amount > 1000)");
  auto payload = tmpl::ToOrderedJson(ApprovalPayload("transfer", R"({"amount": 5000})", "call_0", reason));
  REQUIRE(payload.ok());
  CHECK(*payload == Json{{"tool", "transfer"}, {"arguments", {{"amount", 5000}}}, {"call_id", "call_0"},
                         {"reason", reason}});
}

TEST_CASE("decisions read approve, reject and edited arguments; malformed data is refused", "[unit]") {
  auto approved = ParseApprovalDecision(V(R"({"approved": true, "payload": {"arguments": {"amount": 10}}})"));
  REQUIRE(approved.ok());
  CHECK(approved->approved);
  CHECK(approved->edited_arguments_json == std::optional<std::string>(R"({"amount":10})"));
  auto rejected = ParseApprovalDecision(V(R"({"approved": false})"));
  REQUIRE(rejected.ok());
  CHECK_FALSE(rejected->approved);
  CHECK_FALSE(rejected->edited_arguments_json.has_value());
  CHECK(ParseApprovalDecision(V(R"({"approved": "yes"})")).status().message() ==
        "resume data: 'approved' must be true or false");
  CHECK(ParseApprovalDecision(V(R"({"approved": true, "payload": {"arguments": [1]}})")).status().message() ==
        "resume data: payload.arguments must be a mapping (or JSON text)");
  CHECK_FALSE(ParseApprovalDecision(V("3")).ok());
}

}  // namespace
}  // namespace catena::agents
