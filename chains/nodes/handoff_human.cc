// handoff.human: pauses the run for a human (NodeCall::Interrupt with reason and payload). On Resume the node
// runs again with the resume data {approved, payload} and outputs it; approved = false is an answer, not an
// error: a router downstream decides what follows.
#include "chains/nodes/node_types.h"
#include "chains/nodes/node_util.h"
#include "common/status.h"

namespace catena::chains {
namespace {

class HandoffNode final : public NodeImpl {
 public:
  void Start(NodeCall& call) const override {
    absl::StatusOr<std::string> reason = nodes::RequireString(call.params(), "reason");
    absl::StatusOr<tmpl::Value> payload = nodes::GetMap(call.params(), "payload");
    if (!reason.ok() || !payload.ok()) return call.Finish(!reason.ok() ? reason.status() : payload.status());
    const tmpl::Value original = payload->is_map() ? *payload : tmpl::Value::Dict();
    const tmpl::Value* resume = call.resume_data();
    if (resume == nullptr || resume->is_none() || resume->is_undefined()) {
      call.Interrupt(*std::move(reason), original);
      return;
    }
    call.Finish(Answer(*resume, original));
  }

 private:
  static absl::StatusOr<tmpl::Value> Answer(const tmpl::Value& resume, const tmpl::Value& original) {
    if (!resume.is_map()) return absl::InvalidArgumentError("resume data must be a mapping {approved, payload}");
    CATENA_ASSIGN_OR_RETURN(bool approved, nodes::GetBool(resume, "approved", false));
    CATENA_ASSIGN_OR_RETURN(tmpl::Value payload, nodes::GetMap(resume, "payload"));
    return nodes::MakeDict({{"approved", approved}, {"payload", payload.is_map() ? payload : original}});
  }
};

}  // namespace

std::unique_ptr<NodeType> NewHandoffHumanNodeType() {
  NodeTypeInfo info{
      .name = "handoff.human",
      .summary = "Interrupts the run for a human decision; resumed with {approved, payload}.",
      .params = {{"reason", FieldType::kString, true, false, "", "Why a human is needed (the interrupt event's text)."},
                 {"payload", FieldType::kMap, false, false, "{}", "Data shown to the human (the event's data)."}},
      .outputs = {{"approved", FieldType::kBool, "The human's decision (false is not an error)."},
                  {"payload", FieldType::kMap, "The payload given on resume, else the original one."}}};
  return std::make_unique<nodes::SimpleNodeType>(std::move(info), [](const NodeSpec&, NodeCompileContext&) {
    return std::make_unique<HandoffNode>();
  });
}

}  // namespace catena::chains
