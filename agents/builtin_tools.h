// The built-in tools every catenad offers (source "builtin"): calculator, current_datetime, retrieval_search and
// memory_lookup, one file each under agents/builtin_tools/. catenad calls AddBuiltinTools at startup; tests build
// single tools with the factories. Tools are immutable and thread-safe.
#pragma once

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "agents/tool_registry.h"
#include "chains/tool.h"

namespace catena::agents {

// calculator {expression} -> the value as text ("42"), via EvaluateExpression.
std::shared_ptr<const chains::Tool> NewCalculatorTool();
// current_datetime {timezone?} -> {"datetime": ISO-8601 with offset, "timezone", "weekday", "unix_seconds"};
// `now` is the clock (absl::Now when empty). Time zones come from the system database (/usr/share/zoneinfo).
std::shared_ptr<const chains::Tool> NewCurrentDatetimeTool(std::function<absl::Time()> now = {});
// retrieval_search {collection, query, top_k?, filter?} -> {"results": [{id, text, source, score, metadata}]},
// searching the caller's tenant through context.services->retrieval.
std::shared_ptr<const chains::Tool> NewRetrievalSearchTool();
// memory_lookup {session_id, last_n?} -> {"session_id", "messages": [{role, content}]}, oldest first, from
// context.services->memory (a session that does not exist has no messages).
std::shared_ptr<const chains::Tool> NewMemoryLookupTool();

// Adds the four built-ins for every tenant; ALREADY_EXISTS when one of the names is taken.
absl::Status AddBuiltinTools(ToolRegistry& registry);

}  // namespace catena::agents
