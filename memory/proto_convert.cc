#include "memory/proto_convert.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "common/grpc_util.h"
#include "common/status.h"

namespace catena::memory {

absl::StatusOr<Message> MessageFromProto(const v1::ChatMessage& proto) {
  if (proto.role() < v1::ROLE_UNSPECIFIED || proto.role() > v1::ROLE_TOOL) {
    return absl::InvalidArgumentError(absl::StrCat("role: unknown value ", static_cast<int>(proto.role())));
  }
  Message message;
  message.role = static_cast<Role>(proto.role());
  message.content = proto.content();
  message.name = proto.name();
  message.tool_call_id = proto.tool_call_id();
  for (const v1::ToolCall& call : proto.tool_calls()) {
    message.tool_calls.push_back({call.id(), call.name(), call.arguments_json()});
  }
  return message;
}

v1::ChatMessage MessageToProto(const Message& message) {
  v1::ChatMessage proto;
  proto.set_role(static_cast<v1::Role>(message.role));
  proto.set_content(message.content);
  proto.set_name(message.name);
  proto.set_tool_call_id(message.tool_call_id);
  for (const ToolCall& call : message.tool_calls) {
    v1::ToolCall* out = proto.add_tool_calls();
    out->set_id(call.id);
    out->set_name(call.name);
    out->set_arguments_json(call.arguments_json);
  }
  return proto;
}

v1::StoredMessage StoredMessageToProto(const StoredMessage& message) {
  v1::StoredMessage proto;
  proto.set_seq(message.seq);
  *proto.mutable_message() = MessageToProto(message.message);
  if (!message.message.metadata_json.empty()) *proto.mutable_metadata() = JsonToStruct(message.message.metadata_json);
  proto.set_created_at_unix_ms(message.created_at_unix_ms);
  proto.set_token_count(message.token_count);
  return proto;
}

absl::StatusOr<std::string> StructToJson(const google::protobuf::Struct& proto, std::string_view field) {
  if (proto.fields().empty()) return std::string();
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(proto, &json).ok()) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": cannot be represented as JSON"));
  }
  return json;
}

google::protobuf::Struct JsonToStruct(const std::string& json) {
  google::protobuf::Struct proto;
  (void)google::protobuf::util::JsonStringToMessage(json, &proto);  // stored JSON was produced by StructToJson
  return proto;
}

v1::Session SessionToProto(const Session& session) {
  v1::Session proto;
  proto.set_id(session.id);
  proto.set_user_id(session.user_id);
  if (!session.metadata_json.empty()) *proto.mutable_metadata() = JsonToStruct(session.metadata_json);
  proto.set_created_at_unix_ms(session.created_at_unix_ms);
  proto.set_updated_at_unix_ms(session.updated_at_unix_ms);
  proto.set_message_count(session.message_count);
  return proto;
}

Checkpoint CheckpointFromProto(const v1::Checkpoint& proto) {
  return Checkpoint{.run_id = proto.run_id(),
                    .step = proto.step(),
                    .parent_step = proto.parent_step(),
                    .state = proto.state(),
                    .created_at_unix_ms = 0,
                    .user_id = proto.user_id()};
}

v1::Checkpoint CheckpointToProto(const Checkpoint& checkpoint) {
  v1::Checkpoint proto;
  proto.set_run_id(checkpoint.run_id);
  proto.set_step(checkpoint.step);
  proto.set_parent_step(checkpoint.parent_step);
  proto.set_state(checkpoint.state);
  proto.set_created_at_unix_ms(checkpoint.created_at_unix_ms);
  proto.set_user_id(checkpoint.user_id);
  return proto;
}

absl::StatusOr<PageSpec> PageFromProto(const v1::PageRequest& proto) {
  CATENA_ASSIGN_OR_RETURN(const int page_size, PageSizeOrDefault(proto.page_size()));
  return PageSpec{.page_size = page_size, .page_token = proto.page_token()};
}

absl::StatusOr<ContextStrategy> StrategyFromProto(v1::ContextStrategy strategy) {
  switch (strategy) {
    case v1::CONTEXT_STRATEGY_UNSPECIFIED:
    case v1::CONTEXT_STRATEGY_WINDOW:
      return ContextStrategy::kWindow;
    case v1::CONTEXT_STRATEGY_TOKEN_BUDGET:
      return ContextStrategy::kTokenBudget;
    case v1::CONTEXT_STRATEGY_SUMMARY:
      return ContextStrategy::kSummary;
    case v1::CONTEXT_STRATEGY_SEMANTIC:
      return ContextStrategy::kSemantic;
    default:
      return absl::InvalidArgumentError(absl::StrCat("strategy: unknown value ", static_cast<int>(strategy)));
  }
}

}  // namespace catena::memory
