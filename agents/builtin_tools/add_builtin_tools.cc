// AddBuiltinTools: the registration list of the built-in tools (one line per tool).
#include "agents/builtin_tools.h"
#include "common/status.h"

namespace catena::agents {

absl::Status AddBuiltinTools(ToolRegistry& registry) {
  CATENA_RETURN_IF_ERROR(registry.Add(NewCalculatorTool()));
  CATENA_RETURN_IF_ERROR(registry.Add(NewCurrentDatetimeTool()));
  CATENA_RETURN_IF_ERROR(registry.Add(NewRetrievalSearchTool()));
  CATENA_RETURN_IF_ERROR(registry.Add(NewMemoryLookupTool()));
  return absl::OkStatus();
}

}  // namespace catena::agents
