// Deterministic tools for tests and demos, which catenad adds to its tool registry when pipelines.test_models is
// on (like the test chat models). Immutable and thread-safe.
#pragma once

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "agents/tool_registry.h"
#include "chains/tool.h"

namespace catena::agents {

// test_echo: any object -> {"echo": <the arguments>} (JSON).
// test_transfer: {amount: number, to: string} -> "sent <amount> to <to>" (text); its own policy: never.
std::vector<std::shared_ptr<const chains::Tool>> TestTools();

// Adds TestTools() for every tenant; ALREADY_EXISTS when a name is taken.
absl::Status AddTestTools(ToolRegistry& registry);

}  // namespace catena::agents
