// Extension points of the agents component (guard.*): registered names, so a file using them gets
// one clear problem instead of "unknown node type". Any parameter is accepted until the component lands.
#include "absl/strings/str_cat.h"
#include "chains/nodes/node_types.h"
#include "chains/nodes/node_util.h"

namespace catena::chains {
namespace {

std::unique_ptr<NodeType> ExtensionPoint(std::string name, std::string summary) {
  NodeTypeInfo info{.name = name,
                    .summary = std::move(summary) + " (provided by the agents component; not in this build yet)",
                    .params = {},
                    .outputs = {},
                    .open_outputs = true,
                    .open_params = true};
  return std::make_unique<nodes::SimpleNodeType>(
      std::move(info), [name](const NodeSpec& spec, NodeCompileContext& context) -> std::unique_ptr<NodeImpl> {
        context.Error(spec.type_pos, absl::StrCat("node type '", name,
                                                  "' is provided by the agents component, which is not part of "
                                                  "this build yet"));
        return nullptr;
      });
}

}  // namespace

std::unique_ptr<NodeType> NewGuardPiiRedactNodeType() {
  return ExtensionPoint("guard.pii_redact", "Redacts personal data from text.");
}
std::unique_ptr<NodeType> NewGuardInjectionNodeType() {
  return ExtensionPoint("guard.injection", "Detects prompt-injection attempts.");
}
std::unique_ptr<NodeType> NewGuardTopicNodeType() {
  return ExtensionPoint("guard.topic", "Keeps a conversation on allowed topics.");
}
std::unique_ptr<NodeType> NewGuardGroundingNodeType() {
  return ExtensionPoint("guard.grounding", "Checks that an answer is supported by its sources.");
}

}  // namespace catena::chains
