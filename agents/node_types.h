// The node types of the agents component, `tool` (one tool call) and `agent` (a tool-using model loop), and
// the registry catenad compiles pipeline files against: chains' built-in types plus these. Registered
// explicitly (no static self-registration). Every returned type is immutable and thread-safe.
#pragma once

#include <memory>

#include "chains/node_type.h"

namespace catena::agents {

// tool: calls one tool of services().tools; approval may interrupt the run before the call.
std::unique_ptr<chains::NodeType> NewToolNodeType();
// agent: a model that calls tools until it answers or reaches a limit; every step is checkpointed.
std::unique_ptr<chains::NodeType> NewAgentNodeType();

// The guard types (agents/guard_*.cc), replacing chains' extension points of the same names.
std::unique_ptr<chains::NodeType> NewGuardPiiRedactNodeType();
std::unique_ptr<chains::NodeType> NewGuardPiiRestoreNodeType();
std::unique_ptr<chains::NodeType> NewGuardInjectionNodeType();
std::unique_ptr<chains::NodeType> NewGuardTopicNodeType();
std::unique_ptr<chains::NodeType> NewGuardGroundingNodeType();

// Adds `tool`, `agent` and the guard.* types to `registry`.
void AddAgentNodeTypes(chains::NodeRegistry& registry);

// chains::AddBuiltInNodeTypes plus AddAgentNodeTypes, built once; what catenad and the pipeline file tests use.
const chains::NodeRegistry& AllNodeTypes();

}  // namespace catena::agents
