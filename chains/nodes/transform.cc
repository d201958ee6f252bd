// transform: every `with` field, evaluated, becomes an output field of the same name.
#include "chains/nodes/node_types.h"
#include "chains/nodes/node_util.h"

namespace catena::chains {
namespace {

absl::StatusOr<tmpl::Value> Transform(NodeCall& call) {
  tmpl::Value out = tmpl::Value::Dict();
  if (call.params().is_map()) {
    for (const auto& [key, value] : call.params().map().entries()) {
      if (absl::Status s = out.map().SetKey(key, value); !s.ok()) return s;
    }
  }
  return out;
}

}  // namespace

std::unique_ptr<NodeType> NewTransformNodeType() {
  NodeTypeInfo info{.name = "transform",
                    .summary = "Reshapes data: every `with` field, evaluated, becomes an output field.",
                    .params = {},
                    .outputs = {},
                    .open_outputs = true,
                    .open_params = true};
  return std::make_unique<nodes::SimpleNodeType>(std::move(info), nodes::SyncCompile(Transform));
}

}  // namespace catena::chains
