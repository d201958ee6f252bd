// The built-in node types: one Add line per type (lookup itself is in chains/node_registry.cc).
#include "chains/nodes/node_types.h"

namespace catena::chains {

const NodeRegistry& NodeRegistry::BuiltIn() {
  static const NodeRegistry* registry = [] {
    auto* r = new NodeRegistry();
    r->Add(NewPromptNodeType());
    r->Add(NewLlmChatNodeType());
    r->Add(NewLlmGenerateNodeType());
    r->Add(NewEmbedNodeType());
    r->Add(NewRetrieveNodeType());
    r->Add(NewMemoryLoadNodeType());
    r->Add(NewMemorySaveNodeType());
    r->Add(NewMemoryFactsNodeType());
    r->Add(NewRouterNodeType());
    r->Add(NewTransformNodeType());
    r->Add(NewMapNodeType());
    r->Add(NewLoopNodeType());
    r->Add(NewSubpipelineNodeType());
    r->Add(NewOutputJsonNodeType());
    r->Add(NewHandoffHumanNodeType());
    r->Add(NewToolNodeType());
    r->Add(NewAgentNodeType());
    r->Add(NewGuardPiiRedactNodeType());
    r->Add(NewGuardInjectionNodeType());
    r->Add(NewGuardTopicNodeType());
    r->Add(NewGuardGroundingNodeType());
    return r;
  }();
  return *registry;
}

}  // namespace catena::chains
