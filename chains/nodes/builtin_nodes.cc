// NodeRegistry: lookup and the list of built-in node types (one Add line per type).
#include <algorithm>

#include "chains/nodes/node_types.h"

namespace catena::chains {

const NodeType* NodeRegistry::Find(std::string_view name) const {
  for (const auto& type : types_) {
    if (type->info().name == name) return type.get();
  }
  return nullptr;
}

std::vector<const NodeType*> NodeRegistry::All() const {
  std::vector<const NodeType*> out;
  for (const auto& type : types_) out.push_back(type.get());
  std::sort(out.begin(), out.end(), [](const NodeType* a, const NodeType* b) { return a->info().name < b->info().name; });
  return out;
}

void NodeRegistry::Add(std::unique_ptr<NodeType> type) {
  for (auto& existing : types_) {
    if (existing->info().name == type->info().name) {
      existing = std::move(type);
      return;
    }
  }
  types_.push_back(std::move(type));
}

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
