// Placeholder until the node types land: the built-in registry is empty. The nodes component replaces this
// file with the list of built-in node types.
#include "chains/node_type.h"

namespace catena::chains {

const NodeRegistry& NodeRegistry::BuiltIn() {
  static const auto* registry = new NodeRegistry();
  return *registry;
}

}  // namespace catena::chains
