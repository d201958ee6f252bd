#include <algorithm>

#include "chains/node_type.h"

namespace catena::chains {

const NodeType* NodeRegistry::Find(std::string_view name) const {
  for (const auto& type : types_) {
    if (type->info().name == name) return type.get();
  }
  return nullptr;
}

std::vector<const NodeType*> NodeRegistry::All() const {
  std::vector<const NodeType*> all;
  all.reserve(types_.size());
  for (const auto& type : types_) all.push_back(type.get());
  std::sort(all.begin(), all.end(),
            [](const NodeType* a, const NodeType* b) { return a->info().name < b->info().name; });
  return all;
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

}  // namespace catena::chains
