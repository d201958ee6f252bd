// Conversions between catena.v1 retrieval messages and the retrieval component's domain types. Used only by
// the gRPC handlers (retrieval_service.cc). Pure functions; thread-safe.
#pragma once

#include <google/protobuf/struct.pb.h>

#include "absl/status/statusor.h"
#include "catena/v1/retrieval.pb.h"
#include "nlohmann/json.hpp"
#include "retrieval/collection.h"

namespace catena::retrieval {

nlohmann::json StructToJson(const google::protobuf::Struct& value);
// A JSON object as a Struct; numbers become doubles, binary values null.
google::protobuf::Struct JsonToStruct(const nlohmann::json& object);

// INVALID_ARGUMENT naming the field ("spec.fields[2].type") for unset or unknown enum values.
absl::StatusOr<CollectionSpec> SpecFromProto(const v1::CollectionSpec& proto);
v1::CollectionSpec SpecToProto(const CollectionSpec& spec);
v1::Collection CollectionToProto(const Collection& collection);
v1::Collection InfoToProto(const CollectionInfo& info, int64_t document_count, bool index_trained);

StoredDocument DocumentFromProto(const v1::Document& proto);
v1::Document DocumentToProto(const StoredDocument& document, bool include_embedding);

}  // namespace catena::retrieval
