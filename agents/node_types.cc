// Registration of the agents node types (node_types.h): one Add line per type.
#include "agents/node_types.h"

namespace catena::agents {

void AddAgentNodeTypes(chains::NodeRegistry& registry) {
  registry.Add(NewToolNodeType());
  registry.Add(NewAgentNodeType());
  registry.Add(NewGuardPiiRedactNodeType());
  registry.Add(NewGuardPiiRestoreNodeType());
  registry.Add(NewGuardInjectionNodeType());
  registry.Add(NewGuardTopicNodeType());
  registry.Add(NewGuardGroundingNodeType());
}

const chains::NodeRegistry& AllNodeTypes() {
  static const chains::NodeRegistry* registry = [] {
    auto* all = new chains::NodeRegistry();
    chains::AddBuiltInNodeTypes(*all);
    AddAgentNodeTypes(*all);
    return all;
  }();
  return *registry;
}

}  // namespace catena::agents
