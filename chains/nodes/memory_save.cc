// memory.save: appends messages to a session, creating it (for user_id) when missing. The append is idempotent
// per run, node and content, so a retried node does not store its messages twice.
#include <functional>

#include "absl/strings/str_cat.h"
#include "chains/nodes/node_types.h"
#include "chains/nodes/node_util.h"
#include "common/status.h"
#include "memory/conversation_memory.h"

namespace catena::chains {
namespace {

memory::Role RoleFrom(const std::string& role) {
  if (role == "system") return memory::Role::kSystem;
  if (role == "user") return memory::Role::kUser;
  if (role == "assistant") return memory::Role::kAssistant;
  return memory::Role::kTool;
}

absl::StatusOr<std::vector<memory::Message>> MessagesToSave(const tmpl::Value& params) {
  std::vector<ChatMessage> chat;
  if (const tmpl::Value* list = nodes::FindParam(params, "messages")) {
    CATENA_ASSIGN_OR_RETURN(chat, nodes::MessagesFromValue(*list, "messages"));
  }
  CATENA_ASSIGN_OR_RETURN(std::string user, nodes::GetString(params, "user"));
  if (!user.empty()) chat.push_back({.role = "user", .content = user});
  CATENA_ASSIGN_OR_RETURN(std::string assistant, nodes::GetString(params, "assistant"));
  if (!assistant.empty()) chat.push_back({.role = "assistant", .content = assistant});
  if (chat.empty()) return absl::InvalidArgumentError("memory.save got no messages (messages, user or assistant)");
  std::vector<memory::Message> out;
  for (const ChatMessage& message : chat) {
    out.push_back({.role = RoleFrom(message.role), .content = message.content, .tool_call_id = message.tool_call_id});
  }
  return out;
}

absl::Status EnsureSession(memory::ConversationMemory& store, const std::string& tenant, const std::string& session,
                           const std::string& user_id) {
  absl::StatusOr<memory::Session> found = store.GetSession(tenant, session);
  if (found.ok() || !absl::IsNotFound(found.status())) return found.status();
  absl::StatusOr<memory::Session> created = store.CreateSession(tenant, {.id = session, .user_id = user_id});
  if (absl::IsAlreadyExists(created.status())) return absl::OkStatus();  // created meanwhile
  return created.status();
}

std::string IdempotencyKey(const NodeCall& call, const std::vector<memory::Message>& messages) {
  size_t hash = 0;
  for (const memory::Message& message : messages) {
    hash = hash * 1000003 ^ std::hash<std::string>()(message.content) ^ static_cast<size_t>(message.role);
  }
  return absl::StrCat("run:", call.run_id(), "/", call.node_id(), "/", hash);
}

absl::StatusOr<tmpl::Value> Save(NodeCall& call) {
  CATENA_RETURN_IF_ERROR(nodes::NeedService(call.services().memory, "memory"));
  const tmpl::Value& params = call.params();
  CATENA_ASSIGN_OR_RETURN(std::string session, nodes::RequireString(params, "session"));
  CATENA_ASSIGN_OR_RETURN(std::string user_id, nodes::GetString(params, "user_id", "anonymous"));
  CATENA_ASSIGN_OR_RETURN(std::vector<memory::Message> messages, MessagesToSave(params));
  memory::ConversationMemory& store = *call.services().memory;
  CATENA_RETURN_IF_ERROR(EnsureSession(store, call.tenant(), session, user_id));
  CATENA_ASSIGN_OR_RETURN(std::vector<int64_t> seqs,
                          store.AppendMessages(call.tenant(), session, messages, IdempotencyKey(call, messages)));
  std::vector<tmpl::Value> seq_values(seqs.begin(), seqs.end());
  return nodes::MakeDict({{"count", static_cast<int64_t>(seqs.size())}, {"seqs", tmpl::Value::List(seq_values)}});
}

}  // namespace

std::unique_ptr<NodeType> NewMemorySaveNodeType() {
  NodeTypeInfo info{
      .name = "memory.save",
      .summary = "Appends messages to a session, creating the session when missing.",
      .params = {{"session", FieldType::kString, true, false, "", "Session id."},
                 {"user_id", FieldType::kString, false, false, "anonymous", "Owner of a session created here."},
                 {"messages", FieldType::kList, false, false, "[]", "Messages [{role, content}] to append first."},
                 {"user", FieldType::kString, false, false, "", "A user message appended after `messages`."},
                 {"assistant", FieldType::kString, false, false, "", "An assistant message appended last."}},
      .outputs = {{"count", FieldType::kInt, "Messages appended."},
                  {"seqs", FieldType::kList, "Their sequence numbers in the session."}}};
  return std::make_unique<nodes::SimpleNodeType>(std::move(info), [](const NodeSpec& spec, NodeCompileContext& ctx) {
    nodes::RequireAnyOf(spec, ctx, {"messages", "user", "assistant"});
    return nodes::MakeSyncNode(Save);
  });
}

}  // namespace catena::chains
