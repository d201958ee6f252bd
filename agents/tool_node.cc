// The `tool` node: one call of a registered tool with templated arguments. With an approval policy that
// applies, the run interrupts before the call; resumed with approved = false the node finishes with
// approved = false (not an error) so that `when:` conditions downstream choose the branch.
#include "absl/strings/str_cat.h"
#include "agents/approval.h"
#include "agents/node_types.h"
#include "agents/tool_dispatch.h"
#include "chains/nodes/node_util.h"
#include "common/executor.h"
#include "common/status.h"

namespace catena::agents {
namespace {

using chains::NodeCall;
namespace nodes = chains::nodes;
using Json = nlohmann::ordered_json;

tmpl::Value Output(const ToolCallOutcome& outcome, bool approved) {
  tmpl::Value out = tmpl::Value::Dict();
  out.map().Set("result", outcome.is_error ? std::string() : outcome.content);
  out.map().Set("is_json", outcome.is_json);
  if (outcome.is_json) {
    Json json = Json::parse(outcome.content, nullptr, false);
    if (!json.is_discarded()) out.map().Set("json", tmpl::Value::FromJson(json));
  }
  if (outcome.is_error) out.map().Set("error", outcome.content);
  out.map().Set("approved", approved);
  return out;
}

struct Request {
  std::shared_ptr<const chains::Tool> tool;
  std::string arguments_json;
  chains::ApprovalPolicy policy;
};

absl::StatusOr<Request> RequestFrom(const NodeCall& call) {
  CATENA_RETURN_IF_ERROR(nodes::NeedService(call.services().tools, "tools"));
  CATENA_RETURN_IF_ERROR(nodes::NeedService(call.services().executor, "executor"));
  CATENA_ASSIGN_OR_RETURN(std::string name, nodes::RequireString(call.params(), "tool"));
  Request request;
  request.tool = call.services().tools->Find(call.tenant(), name);
  if (request.tool == nullptr) {
    return absl::NotFoundError(absl::StrCat("tool '", name, "' is not registered for tenant '", call.tenant(), "'"));
  }
  CATENA_ASSIGN_OR_RETURN(tmpl::Value arguments, nodes::GetMap(call.params(), "arguments"));
  request.arguments_json = "{}";
  if (arguments.is_map()) {
    CATENA_ASSIGN_OR_RETURN(request.arguments_json, nodes::ToJsonText(arguments, "arguments"));
  }
  CATENA_ASSIGN_OR_RETURN(ApprovalOverrides overrides, ParseApprovalOverrides(nodes::FindParam(call.params(), "approval")));
  request.policy = overrides.For(request.tool->definition());
  return request;
}

void Emit(NodeCall& call, chains::RunEvent::Kind kind, tmpl::Value data) {
  chains::RunEvent event;
  event.kind = kind;
  event.data = std::move(data);
  call.Emit(std::move(event));
}

class ToolNode final : public chains::NodeImpl {
 public:
  void Start(NodeCall& call) const override {
    absl::StatusOr<Request> request = RequestFrom(call);
    if (!request.ok()) return call.Finish(request.status());
    const std::string& name = request->tool->definition().name;
    const std::string call_id = absl::StrCat(call.node_id(), "/", name);
    bool approved = true;
    if (const tmpl::Value* resume = call.resume_data(); resume != nullptr && !resume->is_none()) {
      absl::StatusOr<ApprovalDecision> decision = ParseApprovalDecision(*resume);
      if (!decision.ok()) return call.Finish(decision.status());
      if (!decision->approved) return call.Finish(Output({kRejectedByReviewer, false, true}, false));
      if (decision->edited_arguments_json.has_value()) request->arguments_json = *decision->edited_arguments_json;
    } else if (ValidateArguments(request->tool->definition(), request->arguments_json).ok()) {
      // Invalid arguments are not shown to a reviewer: the call fails with the schema error below.
      const Json arguments = Json::parse(request->arguments_json);
      absl::StatusOr<bool> needs = NeedsApproval(request->policy, name, arguments);
      if (!needs.ok()) return call.Finish(needs.status());
      if (*needs) {
        const std::string reason = ApprovalReason(request->policy, name);
        return call.Interrupt(reason, ApprovalPayload(name, request->arguments_json, call_id, reason));
      }
    }
    Emit(call, chains::RunEvent::Kind::kToolCall,
         nodes::MakeDict({{"id", call_id}, {"name", name}, {"arguments", request->arguments_json}}));
    auto run = [&call, request = *std::move(request), call_id, approved] {
      const ToolCallOutcome outcome = CallTool(*call.services().tools, ContextFor(call, absl::InfiniteFuture()),
                                               request.tool->definition().name, request.arguments_json);
      Emit(call, chains::RunEvent::Kind::kToolResult,
           nodes::MakeDict({{"tool_call_id", call_id}, {"name", request.tool->definition().name},
                            {"result", outcome.content}, {"is_error", outcome.is_error}}));
      call.Finish(Output(outcome, approved));
    };
    if (!call.services().executor->Post(run)) run();
  }
};

}  // namespace

std::unique_ptr<chains::NodeType> NewToolNodeType() {
  using chains::FieldType;
  chains::NodeTypeInfo info{
      .name = "tool",
      .summary = "Calls one registered tool with templated arguments, after a person's approval when required.",
      .params = {{"tool", FieldType::kString, true, false, "", "The tool's name."},
                 {"arguments", FieldType::kMap, false, false, "{}", "The arguments (templates allowed); checked "
                  "against the tool's schema."},
                 {"approval", FieldType::kAny, false, false, "", "always, never or {when: expr over args}; "
                  "overrides the tool's own policy."}},
      .outputs = {{"result", FieldType::kString, "The tool's result text (\"\" on error or rejection)."},
                  {"is_json", FieldType::kBool, "Whether the result is JSON text."},
                  {"json", FieldType::kAny, "The result parsed (only when is_json)."},
                  {"error", FieldType::kString, "What went wrong (only on error or rejection)."},
                  {"approved", FieldType::kBool, "false when a reviewer rejected the call (not an error)."}}};
  return std::make_unique<nodes::SimpleNodeType>(std::move(info), [](const chains::NodeSpec&,
                                                                     chains::NodeCompileContext&) {
    return std::make_unique<ToolNode>();
  });
}

}  // namespace catena::agents
