#include "retrieval/metadata_schema.h"

#include <cmath>
#include <limits>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/status.h"

namespace catena::retrieval {
namespace {

bool IsKeyStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsKeyChar(char c) { return IsKeyStart(c) || (c >= '0' && c <= '9') || c == '.'; }

// Largest magnitude below which every whole double is exactly an int64.
constexpr double kMaxExactInt = 9007199254740992.0;  // 2^53

bool IsWholeDouble(const nlohmann::json& value) {
  if (!value.is_number_float()) return false;
  const double d = value.get<double>();
  return std::isfinite(d) && std::trunc(d) == d && std::fabs(d) <= kMaxExactInt;
}

bool IsInt64(const nlohmann::json& value) {
  if (value.is_number_integer() && !value.is_number_unsigned()) return true;
  return value.is_number_unsigned() &&
         value.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
}

bool IsStringList(const nlohmann::json& value) {
  if (!value.is_array()) return false;
  for (const auto& element : value) {
    if (!element.is_string()) return false;
  }
  return true;
}

// Unix seconds (int or double) as milliseconds, or milliseconds as they are; nullopt when out of range or not
// finite.
std::optional<int64_t> SecondsToMillis(const nlohmann::json& value) {
  if (std::fabs(value.get<double>()) >= kTimestampMillisThreshold) {
    if (IsInt64(value)) return value.get<int64_t>();
    const double millis = value.get<double>();
    if (!std::isfinite(millis) || std::fabs(millis) > 9.2e18) return std::nullopt;
    return static_cast<int64_t>(std::llround(millis));
  }
  const double millis = value.get<double>() * 1000.0;
  if (!std::isfinite(millis) || std::fabs(millis) > 9.2e18) return std::nullopt;
  if (IsInt64(value)) {
    const int64_t seconds = value.get<int64_t>();
    if (std::llabs(seconds) <= std::numeric_limits<int64_t>::max() / 1000) return seconds * 1000;
    return std::nullopt;
  }
  return static_cast<int64_t>(std::llround(millis));
}

absl::StatusOr<nlohmann::json> NormalizeValue(const FieldSpec& spec, const nlohmann::json& value) {
  const auto mismatch = [&] {
    return absl::InvalidArgumentError(absl::StrCat("metadata.", spec.name, ": expected ",
                                                   std::string(FieldTypeName(spec.type)), ", got ",
                                                   DescribeJsonValue(value)));
  };
  switch (spec.type) {
    case FieldType::kString:
      if (value.is_string()) return value;
      return mismatch();
    case FieldType::kInt:
      if (IsInt64(value)) return nlohmann::json(value.get<int64_t>());
      if (IsWholeDouble(value)) return nlohmann::json(static_cast<int64_t>(value.get<double>()));
      return mismatch();
    case FieldType::kFloat:
      if (value.is_number() && std::isfinite(value.get<double>())) return nlohmann::json(value.get<double>());
      return mismatch();
    case FieldType::kBool:
      if (value.is_boolean()) return value;
      return mismatch();
    case FieldType::kStringList:
      if (IsStringList(value)) return value;
      return mismatch();
    case FieldType::kTimestamp:
      break;
  }
  if (value.is_string()) {
    auto millis = ParseRfc3339Millis(value.get_ref<const std::string&>());
    if (!millis.ok()) return Annotate(millis.status(), absl::StrCat("metadata.", spec.name));
    return nlohmann::json(*millis);
  }
  if (!value.is_number()) return mismatch();
  const std::optional<int64_t> millis = SecondsToMillis(value);
  if (!millis) {
    return absl::InvalidArgumentError(
        absl::StrCat("metadata.", spec.name, ": timestamp ", value.dump(), " (unix seconds) is out of range"));
  }
  return nlohmann::json(*millis);
}

}  // namespace

std::string_view FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kString:
      return "string";
    case FieldType::kInt:
      return "int";
    case FieldType::kFloat:
      return "float";
    case FieldType::kBool:
      return "bool";
    case FieldType::kStringList:
      return "string_list";
    case FieldType::kTimestamp:
      return "timestamp";
  }
  return "unknown";
}

bool IsValidMetadataKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxMetadataKeyLength || !IsKeyStart(key[0])) return false;
  for (char c : key) {
    if (!IsKeyChar(c)) return false;
  }
  return true;
}

absl::StatusOr<int64_t> ParseRfc3339Millis(std::string_view text) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, absl::string_view(text.data(), text.size()), &time, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", std::string(text), "\" is not an RFC 3339 timestamp ", "like \"2023-05-01T12:00:00Z\""));
  }
  return absl::ToUnixMillis(time);
}

std::string DescribeJsonValue(const nlohmann::json& value) {
  constexpr size_t kMaxShown = 40;
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > kMaxShown) text = text.substr(0, kMaxShown) + "...";
  if (value.is_string()) return "string " + text;
  if (value.is_boolean()) return "bool " + text;
  if (value.is_number_float()) return "float " + text;
  if (value.is_number()) return "int " + text;
  if (value.is_array()) return "list " + text;
  if (value.is_object()) return "object";
  return "null";
}

absl::StatusOr<MetadataSchema> MetadataSchema::Create(std::vector<FieldSpec> fields) {
  absl::flat_hash_set<std::string> names;
  for (const FieldSpec& field : fields) {
    if (!IsValidMetadataKey(field.name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("schema: field name '", field.name, "' must match [A-Za-z_][A-Za-z0-9_.]{0,63}"));
    }
    if (!names.insert(field.name).second) {
      return absl::InvalidArgumentError(absl::StrCat("schema: field '", field.name, "' is declared twice"));
    }
  }
  return MetadataSchema(std::move(fields));
}

const FieldSpec* MetadataSchema::Find(std::string_view name) const {
  for (const FieldSpec& field : fields_) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

absl::Status MetadataSchema::Validate(const nlohmann::json& metadata) const { return Normalize(metadata).status(); }

absl::StatusOr<nlohmann::json> MetadataSchema::Normalize(const nlohmann::json& metadata) const {
  if (!metadata.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("metadata: expected an object, got ", DescribeJsonValue(metadata)));
  }
  nlohmann::json result = nlohmann::json::object();
  for (const auto& [key, value] : metadata.items()) {
    if (!IsValidMetadataKey(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat("metadata: key \"", key, "\" must match [A-Za-z_][A-Za-z0-9_.]{0,63}"));
    }
    const FieldSpec* spec = Find(key);
    if (spec == nullptr) {
      result[key] = value;
      continue;
    }
    CATENA_ASSIGN_OR_RETURN(result[key], NormalizeValue(*spec, value));
  }
  return result;
}

}  // namespace catena::retrieval
