// subpipeline: resolves a stored pipeline of the run's tenant (services().pipelines) and runs it as a child;
// the child's outputs are this node's output.
#include "chains/nodes/node_types.h"
#include "chains/nodes/node_util.h"
#include "common/status.h"

namespace catena::chains {
namespace {

class SubpipelineNode final : public NodeImpl {
 public:
  void Start(NodeCall& call) const override {
    absl::Status started = Run(call);
    if (!started.ok()) call.Finish(started);
  }

 private:
  // Starts the child, or returns why it could not (then the node is not finished yet).
  static absl::Status Run(NodeCall& call) {
    CATENA_RETURN_IF_ERROR(nodes::NeedService(call.services().pipelines, "pipeline store"));
    CATENA_ASSIGN_OR_RETURN(std::string name, nodes::RequireString(call.params(), "pipeline"));
    CATENA_ASSIGN_OR_RETURN(std::string version, nodes::GetString(call.params(), "version"));
    CATENA_ASSIGN_OR_RETURN(tmpl::Value inputs, nodes::GetMap(call.params(), "inputs"));
    CATENA_ASSIGN_OR_RETURN(auto child, call.services().pipelines->Resolve(call.tenant(), name, version));
    call.RunChild(std::move(child), inputs.is_map() ? inputs : tmpl::Value::Dict(),
                  [&call](absl::StatusOr<tmpl::Value> outputs) { call.Finish(std::move(outputs)); });
    return absl::OkStatus();
  }
};

}  // namespace

std::unique_ptr<NodeType> NewSubpipelineNodeType() {
  NodeTypeInfo info{
      .name = "subpipeline",
      .summary = "Runs a stored pipeline by name; its outputs become this node's output.",
      .params = {{"pipeline", FieldType::kString, true, false, "", "Name of the stored pipeline."},
                 {"version", FieldType::kString, false, false, "\"\"", "Its version; empty = the latest."},
                 {"inputs", FieldType::kMap, false, false, "{}", "Inputs of the child pipeline."}},
      .outputs = {},
      .open_outputs = true};
  return std::make_unique<nodes::SimpleNodeType>(std::move(info), [](const NodeSpec&, NodeCompileContext&) {
    return std::make_unique<SubpipelineNode>();
  });
}

}  // namespace catena::chains
