// JSON form of CollectionSpec, as stored in the collection catalog.
#include "absl/strings/str_cat.h"
#include "retrieval/collection.h"

namespace catena::retrieval {
namespace {

constexpr std::pair<FieldType, const char*> kFieldTypeNames[] = {
    {FieldType::kString, "string"},
    {FieldType::kInt, "int"},
    {FieldType::kFloat, "float"},
    {FieldType::kBool, "bool"},
    {FieldType::kStringList, "string_list"},
    {FieldType::kTimestamp, "timestamp"},
};
constexpr std::pair<Metric, const char*> kMetricNames[] = {
    {Metric::kCosine, "cosine"}, {Metric::kInnerProduct, "inner_product"}, {Metric::kL2, "l2"}};

template <typename Enum, size_t N>
const char* NameOf(const std::pair<Enum, const char*> (&names)[N], Enum value) {
  for (const auto& [candidate, name] : names) {
    if (candidate == value) return name;
  }
  return "unknown";
}

template <typename Enum, size_t N>
std::optional<Enum> ValueOf(const std::pair<Enum, const char*> (&names)[N], const std::string& name) {
  for (const auto& [value, candidate] : names) {
    if (name == candidate) return value;
  }
  return std::nullopt;
}

}  // namespace

nlohmann::json SpecToJson(const CollectionSpec& spec) {
  nlohmann::json fields = nlohmann::json::array();
  for (const FieldSpec& field : spec.fields) {
    fields.push_back({{"name", field.name}, {"type", NameOf(kFieldTypeNames, field.type)}, {"indexed", field.indexed}});
  }
  return {{"dimension", spec.dimension},
          {"metric", NameOf(kMetricNames, spec.metric)},
          {"index", spec.index},
          {"device", IndexDeviceName(spec.device)},
          {"embedder", spec.embedder},
          {"fields", fields},
          {"sparse", spec.sparse},
          {"language", spec.language}};
}

absl::StatusOr<CollectionSpec> SpecFromJson(const nlohmann::json& json) {
  try {
    CollectionSpec spec;
    spec.dimension = json.at("dimension").get<int>();
    auto metric = ValueOf(kMetricNames, json.at("metric").get<std::string>());
    if (!metric.has_value()) return absl::DataLossError("collection spec has an unknown metric");
    spec.metric = *metric;
    spec.index = json.at("index").get<std::string>();
    auto device = ParseIndexDevice(json.value("device", "cpu"));  // absent in catalogs written before devices
    if (!device.has_value()) return absl::DataLossError("collection spec has an unknown device");
    spec.device = *device;
    spec.embedder = json.value("embedder", "");
    spec.sparse = json.value("sparse", true);
    spec.language = json.value("language", "en");
    for (const nlohmann::json& field : json.value("fields", nlohmann::json::array())) {
      auto type = ValueOf(kFieldTypeNames, field.at("type").get<std::string>());
      if (!type.has_value()) return absl::DataLossError("collection spec has an unknown field type");
      spec.fields.push_back(
          {.name = field.at("name").get<std::string>(), .type = *type, .indexed = field.value("indexed", false)});
    }
    return spec;
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(absl::StrCat("collection spec is corrupt: ", e.what()));
  }
}

}  // namespace catena::retrieval
