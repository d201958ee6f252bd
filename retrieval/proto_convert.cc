#include "retrieval/proto_convert.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace catena::retrieval {
namespace {

nlohmann::json ValueToJson(const google::protobuf::Value& value) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kNumberValue:
      return value.number_value();
    case google::protobuf::Value::kStringValue:
      return value.string_value();
    case google::protobuf::Value::kBoolValue:
      return value.bool_value();
    case google::protobuf::Value::kStructValue:
      return StructToJson(value.struct_value());
    case google::protobuf::Value::kListValue: {
      nlohmann::json list = nlohmann::json::array();
      for (const google::protobuf::Value& item : value.list_value().values()) list.push_back(ValueToJson(item));
      return list;
    }
    default:
      return nullptr;
  }
}

google::protobuf::Value JsonToValue(const nlohmann::json& json) {
  google::protobuf::Value value;
  if (json.is_object()) {
    *value.mutable_struct_value() = JsonToStruct(json);
  } else if (json.is_array()) {
    for (const nlohmann::json& item : json) *value.mutable_list_value()->add_values() = JsonToValue(item);
  } else if (json.is_string()) {
    value.set_string_value(json.get<std::string>());
  } else if (json.is_boolean()) {
    value.set_bool_value(json.get<bool>());
  } else if (json.is_number()) {
    value.set_number_value(json.get<double>());
  } else {
    value.set_null_value(google::protobuf::NULL_VALUE);
  }
  return value;
}

constexpr std::pair<v1::FieldType, FieldType> kFieldTypes[] = {
    {v1::FIELD_TYPE_STRING, FieldType::kString},
    {v1::FIELD_TYPE_INT, FieldType::kInt},
    {v1::FIELD_TYPE_FLOAT, FieldType::kFloat},
    {v1::FIELD_TYPE_BOOL, FieldType::kBool},
    {v1::FIELD_TYPE_STRING_LIST, FieldType::kStringList},
    {v1::FIELD_TYPE_TIMESTAMP, FieldType::kTimestamp},
};

absl::StatusOr<IndexDevice> DeviceFromProto(int device) {
  switch (device) {
    case v1::INDEX_DEVICE_UNSPECIFIED:
    case v1::INDEX_DEVICE_CPU:
      return IndexDevice::kCpu;
    case v1::INDEX_DEVICE_CUDA:
      return IndexDevice::kCuda;
    default:
      return absl::InvalidArgumentError(absl::StrCat("spec.device: unknown value ", device, " (cpu or cuda)"));
  }
}

}  // namespace

nlohmann::json StructToJson(const google::protobuf::Struct& value) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [key, item] : value.fields()) object[key] = ValueToJson(item);
  return object;
}

google::protobuf::Struct JsonToStruct(const nlohmann::json& object) {
  google::protobuf::Struct value;
  if (!object.is_object()) return value;
  for (const auto& [key, item] : object.items()) (*value.mutable_fields())[key] = JsonToValue(item);
  return value;
}

absl::StatusOr<CollectionSpec> SpecFromProto(const v1::CollectionSpec& proto) {
  CollectionSpec spec;
  spec.dimension = proto.dimension();
  switch (proto.metric()) {
    case v1::METRIC_UNSPECIFIED:
    case v1::METRIC_COSINE:
      spec.metric = Metric::kCosine;
      break;
    case v1::METRIC_INNER_PRODUCT:
      spec.metric = Metric::kInnerProduct;
      break;
    case v1::METRIC_L2:
      spec.metric = Metric::kL2;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat("spec.metric: unknown value ", proto.metric()));
  }
  spec.index = proto.index().empty() ? "Flat" : proto.index();
  CATENA_ASSIGN_OR_RETURN(spec.device, DeviceFromProto(proto.device()));
  spec.embedder = proto.embedder();
  spec.sparse = proto.has_sparse() ? proto.sparse().value() : true;
  for (int i = 0; i < proto.fields_size(); ++i) {
    const v1::FieldSchema& field = proto.fields(i);
    std::optional<FieldType> type;
    for (const auto& [proto_type, domain_type] : kFieldTypes) {
      if (proto_type == field.type()) type = domain_type;
    }
    if (!type.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "spec.fields[", i, "].type must be set (string, int, float, bool, ", "string_list or timestamp)"));
    }
    spec.fields.push_back({.name = field.name(), .type = *type, .indexed = field.indexed()});
  }
  return spec;
}

v1::CollectionSpec SpecToProto(const CollectionSpec& spec) {
  v1::CollectionSpec proto;
  proto.set_dimension(spec.dimension);
  proto.set_metric(spec.metric == Metric::kCosine         ? v1::METRIC_COSINE
                   : spec.metric == Metric::kInnerProduct ? v1::METRIC_INNER_PRODUCT
                                                          : v1::METRIC_L2);
  proto.set_index(spec.index);
  proto.set_device(spec.device == IndexDevice::kCuda ? v1::INDEX_DEVICE_CUDA : v1::INDEX_DEVICE_CPU);
  proto.set_embedder(spec.embedder);
  proto.mutable_sparse()->set_value(spec.sparse);
  for (const FieldSpec& field : spec.fields) {
    v1::FieldSchema* out = proto.add_fields();
    out->set_name(field.name);
    out->set_indexed(field.indexed);
    for (const auto& [proto_type, domain_type] : kFieldTypes) {
      if (domain_type == field.type) out->set_type(proto_type);
    }
  }
  return proto;
}

v1::Collection InfoToProto(const CollectionInfo& info, int64_t document_count, bool index_trained) {
  v1::Collection proto;
  proto.set_name(info.name);
  *proto.mutable_spec() = SpecToProto(info.spec);
  proto.set_document_count(document_count);
  proto.set_index_trained(index_trained);
  proto.set_created_at_unix_ms(info.created_at_unix_ms);
  return proto;
}

v1::Collection CollectionToProto(const Collection& collection) {
  return InfoToProto(collection.info(), collection.document_count(), collection.index_trained());
}

StoredDocument DocumentFromProto(const v1::Document& proto) {
  StoredDocument document;
  document.id = proto.id();
  document.text = proto.text();
  document.source = proto.source();
  document.position = proto.position();
  document.metadata = StructToJson(proto.metadata());
  document.embedding.assign(proto.embedding().begin(), proto.embedding().end());
  return document;
}

v1::Document DocumentToProto(const StoredDocument& document, bool include_embedding) {
  v1::Document proto;
  proto.set_id(document.id);
  proto.set_text(document.text);
  proto.set_source(document.source);
  proto.set_position(document.position);
  *proto.mutable_metadata() = JsonToStruct(document.metadata);
  if (include_embedding) proto.mutable_embedding()->Assign(document.embedding.begin(), document.embedding.end());
  return proto;
}

}  // namespace catena::retrieval
