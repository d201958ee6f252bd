// memory.facts: a user's stored facts, after upserting `set` (an empty value deletes that fact).
#include "chains/nodes/node_types.h"
#include "chains/nodes/node_util.h"
#include "common/status.h"
#include "memory/conversation_memory.h"

namespace catena::chains {
namespace {

absl::StatusOr<std::map<std::string, std::string>> FactsToSet(const tmpl::Value& params) {
  std::map<std::string, std::string> facts;
  CATENA_ASSIGN_OR_RETURN(tmpl::Value set, nodes::GetMap(params, "set"));
  if (!set.is_map()) return facts;
  for (const auto& [key, value] : set.map().entries()) {
    if (value.is_list() || value.is_map() || value.is_callable()) {
      return absl::InvalidArgumentError("set." + tmpl::ToStr(key) + " must be a string, number or bool");
    }
    facts[tmpl::ToStr(key)] = value.is_none() || value.is_undefined() ? "" : tmpl::ToStr(value);
  }
  return facts;
}

absl::StatusOr<tmpl::Value> Facts(NodeCall& call) {
  CATENA_RETURN_IF_ERROR(nodes::NeedService(call.services().memory, "memory"));
  CATENA_ASSIGN_OR_RETURN(std::string user_id, nodes::RequireString(call.params(), "user_id"));
  CATENA_ASSIGN_OR_RETURN(auto updates, FactsToSet(call.params()));
  memory::ConversationMemory& store = *call.services().memory;
  if (!updates.empty()) CATENA_RETURN_IF_ERROR(store.PutFacts(call.tenant(), user_id, updates));
  CATENA_ASSIGN_OR_RETURN(auto facts, store.GetFacts(call.tenant(), user_id));
  tmpl::Value out = tmpl::Value::Dict();
  for (const auto& [key, value] : facts) out.map().Set(key, value);
  return nodes::MakeDict({{"facts", out}});
}

}  // namespace

std::unique_ptr<NodeType> NewMemoryFactsNodeType() {
  NodeTypeInfo info{
      .name = "memory.facts",
      .summary = "Reads a user's facts, after setting those given in `set`.",
      .params = {{"user_id", FieldType::kString, true, false, "", "The user."},
                 {"set", FieldType::kMap, false, false, "{}",
                  "Facts to upsert first (values become strings; an empty value deletes the fact)."}},
      .outputs = {{"facts", FieldType::kMap, "Every live fact of the user, by name."}}};
  return std::make_unique<nodes::SimpleNodeType>(std::move(info), nodes::SyncCompile(Facts));
}

}  // namespace catena::chains
