// The built-in node types of chains: one Add line per type (lookup itself is in chains/node_registry.cc).
// The agents component adds `tool` and `agent` in its own registry (agents/node_types.h).
#include "chains/nodes/node_types.h"

namespace catena::chains {

void AddBuiltInNodeTypes(NodeRegistry& registry) {
  NodeRegistry* r = &registry;
  r->Add(NewPromptNodeType());
  r->Add(NewLlmChatNodeType());
  r->Add(NewLlmGenerateNodeType());
  r->Add(NewEmbedNodeType());
  r->Add(NewSegmentNodeType());
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
  r->Add(NewGuardPiiRedactNodeType());
  r->Add(NewGuardInjectionNodeType());
  r->Add(NewGuardTopicNodeType());
  r->Add(NewGuardGroundingNodeType());
}

const NodeRegistry& NodeRegistry::BuiltIn() {
  static const NodeRegistry* registry = [] {
    auto* r = new NodeRegistry();
    AddBuiltInNodeTypes(*r);
    return r;
  }();
  return *registry;
}

}  // namespace catena::chains
