// memory_lookup: the newest messages of a conversation session of the caller's tenant from the run's memory.
#include "absl/strings/str_cat.h"
#include "agents/builtin_tools.h"
#include "agents/function_tool.h"
#include "chains/run_services.h"
#include "common/status.h"
#include "memory/conversation_memory.h"

namespace catena::agents {
namespace {

absl::StatusOr<chains::ToolOutput> Lookup(const chains::ToolCallContext& context, const nlohmann::ordered_json& args) {
  if (context.services == nullptr || context.services->memory == nullptr) {
    return absl::FailedPreconditionError("the memory service is not configured for this run");
  }
  memory::ContextRequest request;
  request.session_id = args.at("session_id").get<std::string>();
  request.strategy = memory::ContextStrategy::kWindow;
  request.last_n = args.contains("last_n") ? args["last_n"].get<int>() : 10;
  absl::StatusOr<memory::ContextResult> found = context.services->memory->GetContext(context.tenant, request);
  if (absl::IsNotFound(found.status())) found = memory::ContextResult{};
  if (!found.ok()) return found.status();
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  for (const memory::StoredMessage& stored : found->messages) {
    messages.push_back({{"role", memory::RoleName(stored.message.role)}, {"content", stored.message.content}});
  }
  return JsonOutput({{"session_id", request.session_id}, {"messages", std::move(messages)}});
}

}  // namespace

std::shared_ptr<const chains::Tool> NewMemoryLookupTool() {
  chains::ToolDefinition definition{
      .name = "memory_lookup",
      .description = "The newest messages of a conversation session, oldest first.",
      .parameters_json_schema = R"({"type":"object","properties":{"session_id":{"type":"string","minLength":1},)"
                                R"("last_n":{"type":"integer","minimum":1,"maximum":100,)"
                                R"("description":"How many of the newest messages; default 10"}},)"
                                R"("required":["session_id"],"additionalProperties":false})",
      .source = "builtin"};
  return MakeFunctionTool(std::move(definition), Lookup);
}

}  // namespace catena::agents
