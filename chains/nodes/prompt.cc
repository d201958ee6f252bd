// prompt: builds a message list (system, history, messages, user) and the text of all contents.
#include "chains/nodes/node_types.h"
#include "chains/nodes/node_util.h"
#include "common/status.h"

namespace catena::chains {
namespace {

absl::Status AppendList(const tmpl::Value& params, std::string_view name, std::vector<ChatMessage>& out) {
  const tmpl::Value* list = nodes::FindParam(params, name);
  if (list == nullptr) return absl::OkStatus();
  CATENA_ASSIGN_OR_RETURN(std::vector<ChatMessage> messages, nodes::MessagesFromValue(*list, name));
  out.insert(out.end(), messages.begin(), messages.end());
  return absl::OkStatus();
}

absl::StatusOr<tmpl::Value> BuildPrompt(NodeCall& call) {
  const tmpl::Value& params = call.params();
  std::vector<ChatMessage> messages;
  CATENA_ASSIGN_OR_RETURN(std::string system, nodes::GetString(params, "system"));
  if (!system.empty()) messages.push_back({.role = "system", .content = system});
  CATENA_RETURN_IF_ERROR(AppendList(params, "history", messages));
  CATENA_RETURN_IF_ERROR(AppendList(params, "messages", messages));
  CATENA_ASSIGN_OR_RETURN(std::string user, nodes::GetString(params, "user"));
  if (!user.empty()) messages.push_back({.role = "user", .content = user});
  return nodes::MakeDict({{"messages", nodes::MessagesToValue(messages)}, {"text", nodes::JoinContents(messages)}});
}

}  // namespace

std::unique_ptr<NodeType> NewPromptNodeType() {
  NodeTypeInfo info{
      .name = "prompt",
      .summary = "Assembles chat messages: system, then history, then messages, then user.",
      .params = {{"system", FieldType::kString, false, false, "", "System message (first); empty = none."},
                 {"user", FieldType::kString, false, false, "", "User message (last); empty = none."},
                 {"messages", FieldType::kList, false, false, "[]", "Messages [{role, content}] after the history."},
                 {"history", FieldType::kList, false, false, "[]",
                  "Earlier conversation [{role, content}], e.g. nodes.<memory.load>.messages."}},
      .outputs = {{"messages", FieldType::kList, "The assembled messages [{role, content}]."},
                  {"text", FieldType::kString, "Every non-empty content joined with a blank line."}}};
  return std::make_unique<nodes::SimpleNodeType>(
      std::move(info), [](const NodeSpec& spec, NodeCompileContext& context) {
        nodes::RequireAnyOf(spec, context, {"system", "user", "messages", "history"});
        return nodes::MakeSyncNode(BuildPrompt);
      });
}

}  // namespace catena::chains
