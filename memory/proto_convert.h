// Conversions between catena.v1 memory protos and the memory domain types, used only by the MemoryService
// handlers. Pure functions; thread-safe.
#pragma once

#include "absl/status/statusor.h"
#include "catena/v1/memory.pb.h"
#include "memory/memory_types.h"

namespace catena::memory {

// INVALID_ARGUMENT naming `field` when the role is out of range or the message cannot be represented.
absl::StatusOr<Message> MessageFromProto(const v1::ChatMessage& proto);
v1::ChatMessage MessageToProto(const Message& message);
v1::StoredMessage StoredMessageToProto(const StoredMessage& message);
// Metadata JSON text <-> google.protobuf.Struct; INVALID_ARGUMENT naming `field` for a bad struct.
absl::StatusOr<std::string> StructToJson(const google::protobuf::Struct& proto, std::string_view field);
google::protobuf::Struct JsonToStruct(const std::string& json);
v1::Session SessionToProto(const Session& session);
Checkpoint CheckpointFromProto(const v1::Checkpoint& proto);
v1::Checkpoint CheckpointToProto(const Checkpoint& checkpoint);
// page_size 0 -> 50; INVALID_ARGUMENT for negative or > 1000.
absl::StatusOr<PageSpec> PageFromProto(const v1::PageRequest& proto);
// UNSPECIFIED -> window; INVALID_ARGUMENT for unknown values.
absl::StatusOr<ContextStrategy> StrategyFromProto(v1::ContextStrategy strategy);

}  // namespace catena::memory
