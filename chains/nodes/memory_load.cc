// memory.load: the conversation context of a session from services().memory (a session that does not exist yet
// has no messages, so a first turn can load before anything was saved).
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "chains/nodes/node_types.h"
#include "chains/nodes/node_util.h"
#include "common/status.h"
#include "memory/conversation_memory.h"

namespace catena::chains {
namespace {

absl::StatusOr<memory::ContextRequest> ContextRequestFrom(const tmpl::Value& params) {
  memory::ContextRequest request;
  CATENA_ASSIGN_OR_RETURN(request.session_id, nodes::RequireString(params, "session"));
  CATENA_ASSIGN_OR_RETURN(std::string strategy, nodes::GetString(params, "strategy", "window"));
  CATENA_RETURN_IF_ERROR(nodes::CheckChoice("strategy", strategy, {"window", "token_budget", "summary", "semantic"}));
  request.strategy = strategy == "window"         ? memory::ContextStrategy::kWindow
                     : strategy == "token_budget" ? memory::ContextStrategy::kTokenBudget
                     : strategy == "summary"      ? memory::ContextStrategy::kSummary
                                                  : memory::ContextStrategy::kSemantic;
  CATENA_ASSIGN_OR_RETURN(int64_t last_n, nodes::GetInt(params, "max_messages", 20, 1, 1000));
  request.last_n = static_cast<int>(last_n);
  request.k = static_cast<int>(last_n);
  CATENA_ASSIGN_OR_RETURN(int64_t max_tokens, nodes::GetInt(params, "max_tokens", 2048, 1, 1000000));
  request.max_tokens = static_cast<int>(max_tokens);
  CATENA_ASSIGN_OR_RETURN(request.query, nodes::GetString(params, "query"));
  if (request.strategy == memory::ContextStrategy::kSemantic && request.query.empty()) {
    return absl::InvalidArgumentError("strategy semantic needs parameter 'query'");
  }
  return request;
}

absl::StatusOr<tmpl::Value> Load(NodeCall& call) {
  CATENA_RETURN_IF_ERROR(nodes::NeedService(call.services().memory, "memory"));
  CATENA_ASSIGN_OR_RETURN(memory::ContextRequest request, ContextRequestFrom(call.params()));
  absl::StatusOr<memory::ContextResult> context = call.services().memory->GetContext(call.tenant(), request);
  if (absl::IsNotFound(context.status())) context = memory::ContextResult{};
  if (!context.ok()) return context.status();
  std::vector<ChatMessage> messages;
  std::vector<std::string> lines;
  if (!context->summary.empty()) {
    messages.push_back({.role = "system", .content = "Summary of the earlier conversation: " + context->summary});
  }
  for (const memory::StoredMessage& stored : context->messages) {
    messages.push_back({.role = memory::RoleName(stored.message.role), .content = stored.message.content});
  }
  for (const ChatMessage& message : messages) lines.push_back(absl::StrCat(message.role, ": ", message.content));
  return nodes::MakeDict({{"messages", nodes::MessagesToValue(messages)},
                          {"text", absl::StrJoin(lines, "\n")},
                          {"summary", context->summary},
                          {"token_count", static_cast<int64_t>(context->token_count)}});
}

}  // namespace

std::unique_ptr<NodeType> NewMemoryLoadNodeType() {
  NodeTypeInfo info{
      .name = "memory.load",
      .summary = "Loads a session's conversation context (empty for a session not created yet).",
      .params = {{"session", FieldType::kString, true, false, "", "Session id."},
                 {"strategy", FieldType::kString, false, false, "window",
                  "window (newest messages), token_budget, summary (running summary + newest) or semantic "
                  "(earlier turns most similar to `query`)."},
                 {"max_messages", FieldType::kInt, false, false, "20",
                  "window: newest messages returned; semantic: turns recalled (1..1000)."},
                 {"max_tokens", FieldType::kInt, false, false, "2048", "token_budget/summary: token budget."},
                 {"query", FieldType::kString, false, false, "", "semantic: the text to recall turns for."}},
      .outputs = {{"messages", FieldType::kList,
                   "[{role, content}], oldest first; with summary, a system message holding it comes first."},
                  {"text", FieldType::kString, "One \"role: content\" line per message."},
                  {"summary", FieldType::kString, "summary strategy: the running summary; else empty."},
                  {"token_count", FieldType::kInt, "Tokens of the returned context."}}};
  return std::make_unique<nodes::SimpleNodeType>(std::move(info), [](const NodeSpec& spec, NodeCompileContext& ctx) {
    nodes::CheckLiteralChoice(spec, ctx, "strategy", {"window", "token_budget", "summary", "semantic"});
    nodes::CheckLiteralRange(spec, ctx, "max_messages", 1, 1000);
    return nodes::MakeSyncNode(Load);
  });
}

}  // namespace catena::chains
