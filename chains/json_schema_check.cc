#include "chains/json_schema_check.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "inference/json_schema_grammar.h"

namespace catena::chains {
namespace {

using Json = nlohmann::ordered_json;

absl::StatusOr<Json> Parse(std::string_view text) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& error) {
    return absl::InvalidArgumentError(error.what());
  }
}

// The inside of the first ``` fence (its language tag dropped), or nullopt.
std::optional<std::string_view> FencedBlock(std::string_view text) {
  const size_t open = text.find("```");
  if (open == std::string_view::npos) return std::nullopt;
  const size_t line_end = text.find('\n', open);
  if (line_end == std::string_view::npos) return std::nullopt;
  const size_t close = text.find("```", line_end);
  if (close == std::string_view::npos) return std::nullopt;
  return text.substr(line_end + 1, close - line_end - 1);
}

std::optional<std::string_view> BracketSpan(std::string_view text) {
  const size_t first = text.find_first_of("{[");
  if (first == std::string_view::npos) return std::nullopt;
  const char close = text[first] == '{' ? '}' : ']';
  const size_t last = text.rfind(close);
  if (last == std::string_view::npos || last < first) return std::nullopt;
  return text.substr(first, last - first + 1);
}

std::string TypeOf(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "integer";
    case Json::value_t::number_float: return "number";
    case Json::value_t::string: return "string";
    case Json::value_t::array: return "array";
    case Json::value_t::object: return "object";
    default: return "value";
  }
}

bool HasType(const Json& value, const std::string& type) {
  if (type == "number") return value.is_number();
  if (type == "integer") {
    return value.is_number_integer() || (value.is_number_float() && std::floor(value.get<double>()) == value.get<double>());
  }
  return TypeOf(value) == type;
}

// The string value of `key` in `schema`, or "" when it is absent or not a string (pattern, format).
std::string StringKeyword(const Json& schema, const char* key) {
  const auto it = schema.find(key);
  return it != schema.end() && it->is_string() ? it->get<std::string>() : "";
}

// multipleOf when it is a number above 0 (as JSON Schema requires), else 0.
double MultipleOf(const Json& schema) {
  const auto it = schema.find("multipleOf");
  return it != schema.end() && it->is_number() && it->get<double>() > 0 ? it->get<double>() : 0;
}

absl::Status Fail(const std::string& path, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", std::string(what)));
}

absl::Status Check(const Json& schema, const Json& value, const std::string& path);

absl::Status CheckType(const Json& schema, const Json& value, const std::string& path) {
  if (!schema.contains("type")) return absl::OkStatus();
  const Json& type = schema["type"];
  std::vector<std::string> types;
  if (type.is_string()) types.push_back(type.get<std::string>());
  if (type.is_array()) {
    for (const Json& t : type) {
      if (t.is_string()) types.push_back(t.get<std::string>());
    }
  }
  for (const std::string& t : types) {
    if (HasType(value, t)) return absl::OkStatus();
  }
  return Fail(path, absl::StrCat("expected ", absl::StrJoin(types, " or "), ", got ", TypeOf(value)));
}

absl::Status CheckObject(const Json& schema, const Json& value, const std::string& path) {
  if (schema.contains("required") && schema["required"].is_array()) {
    for (const Json& name : schema["required"]) {
      if (name.is_string() && !value.contains(name.get<std::string>())) {
        return Fail(path, absl::StrCat("missing required property '", name.get<std::string>(), "'"));
      }
    }
  }
  const Json empty = Json::object();
  const Json& properties = schema.contains("properties") ? schema["properties"] : empty;
  for (const auto& [key, item] : value.items()) {
    if (properties.contains(key)) {
      if (absl::Status s = Check(properties[key], item, absl::StrCat(path, ".", key)); !s.ok()) return s;
    } else if (schema.contains("additionalProperties") && schema["additionalProperties"] == false) {
      return Fail(path, absl::StrCat("property '", key, "' is not allowed"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckArray(const Json& schema, const Json& value, const std::string& path) {
  if (schema.contains("minItems") && value.size() < schema["minItems"].get<size_t>()) {
    return Fail(path, absl::StrCat("expected at least ", schema["minItems"].dump(), " items, got ", value.size()));
  }
  if (schema.contains("maxItems") && value.size() > schema["maxItems"].get<size_t>()) {
    return Fail(path, absl::StrCat("expected at most ", schema["maxItems"].dump(), " items, got ", value.size()));
  }
  if (!schema.contains("items") || !schema["items"].is_object()) return absl::OkStatus();
  for (size_t i = 0; i < value.size(); ++i) {
    if (absl::Status s = Check(schema["items"], value[i], absl::StrCat(path, "[", i, "]")); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status CheckString(const Json& schema, const Json& value, const std::string& path) {
  size_t length = 0;  // code points
  for (unsigned char c : value.get_ref<const std::string&>()) length += (c & 0xC0) != 0x80;
  if (schema.contains("minLength") && length < schema["minLength"].get<size_t>()) {
    return Fail(path, absl::StrCat("expected at least ", schema["minLength"].dump(), " characters, got ", length));
  }
  if (schema.contains("maxLength") && length > schema["maxLength"].get<size_t>()) {
    return Fail(path, absl::StrCat("expected at most ", schema["maxLength"].dump(), " characters, got ", length));
  }
  // pattern, else a format the JSON-schema grammar enforces: checked by the grammar's own automaton.
  const std::string pattern = StringKeyword(schema, "pattern");
  const std::string format = StringKeyword(schema, "format");
  if (pattern.empty() && format.empty()) return absl::OkStatus();
  const absl::StatusOr<bool> matches =
      inference::StringMatchesSchemaPattern(pattern, format, value.get_ref<const std::string&>());
  if (!matches.ok()) {
    return Fail(path, absl::StrCat("the schema's ", pattern.empty() ? "format" : "pattern", " cannot be checked: ",
                                   matches.status().message()));
  }
  if (*matches) return absl::OkStatus();
  return Fail(path, pattern.empty() ? absl::StrCat("expected a ", format, " string, got ", value.dump())
                                    : absl::StrCat("expected a string matching ", pattern, ", got ", value.dump()));
}

absl::Status CheckNumber(const Json& schema, const Json& value, const std::string& path) {
  const double x = value.get<double>();
  auto bound = [&](const char* key, bool ok) -> absl::Status {
    if (ok) return absl::OkStatus();
    return Fail(path, absl::StrCat(value.dump(), " violates ", key, " ", schema[key].dump()));
  };
  if (schema.contains("minimum")) {
    if (auto s = bound("minimum", x >= schema["minimum"].get<double>()); !s.ok()) return s;
  }
  if (schema.contains("maximum")) {
    if (auto s = bound("maximum", x <= schema["maximum"].get<double>()); !s.ok()) return s;
  }
  if (schema.contains("exclusiveMinimum") && schema["exclusiveMinimum"].is_number()) {
    if (auto s = bound("exclusiveMinimum", x > schema["exclusiveMinimum"].get<double>()); !s.ok()) return s;
  }
  if (schema.contains("exclusiveMaximum") && schema["exclusiveMaximum"].is_number()) {
    if (auto s = bound("exclusiveMaximum", x < schema["exclusiveMaximum"].get<double>()); !s.ok()) return s;
  }
  if (const double step = MultipleOf(schema); step > 0) {
    // Within double rounding: 0.07 is a multiple of 0.01, though 0.07 / 0.01 is 7.000000000000001.
    const double quotient = x / step;
    const bool whole = std::fabs(quotient - std::round(quotient)) <= 1e-9 * std::max(1.0, std::fabs(quotient));
    if (auto s = bound("multipleOf", whole); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status CheckCombinators(const Json& schema, const Json& value, const std::string& path) {
  for (const char* key : {"anyOf", "oneOf"}) {
    if (!schema.contains(key) || !schema[key].is_array()) continue;
    absl::Status first;
    bool matched = false;
    for (const Json& branch : schema[key]) {
      absl::Status s = Check(branch, value, path);
      if (s.ok()) matched = true;
      if (!s.ok() && first.ok()) first = s;
    }
    if (!matched) return Fail(path, absl::StrCat("matches no branch of ", key, " (first: ", first.message(), ")"));
  }
  if (schema.contains("allOf") && schema["allOf"].is_array()) {
    for (const Json& branch : schema["allOf"]) {
      if (absl::Status s = Check(branch, value, path); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::Status Check(const Json& schema, const Json& value, const std::string& path) {
  if (schema.is_boolean()) return schema.get<bool>() ? absl::OkStatus() : Fail(path, "no value is allowed here");
  if (!schema.is_object()) return absl::OkStatus();
  try {
    if (absl::Status s = CheckType(schema, value, path); !s.ok()) return s;
    if (schema.contains("const") && schema["const"] != value) {
      return Fail(path, absl::StrCat("expected ", schema["const"].dump(), ", got ", value.dump()));
    }
    if (schema.contains("enum") && schema["enum"].is_array()) {
      bool found = false;
      for (const Json& option : schema["enum"]) found = found || option == value;
      if (!found) return Fail(path, absl::StrCat(value.dump(), " is not one of ", schema["enum"].dump()));
    }
    absl::Status kind_status;
    if (value.is_object()) kind_status = CheckObject(schema, value, path);
    if (value.is_array()) kind_status = CheckArray(schema, value, path);
    if (value.is_string()) kind_status = CheckString(schema, value, path);
    if (value.is_number()) kind_status = CheckNumber(schema, value, path);
    if (!kind_status.ok()) return kind_status;
    return CheckCombinators(schema, value, path);
  } catch (const Json::exception& error) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the schema is malformed here: ", error.what()));
  }
}

}  // namespace

absl::StatusOr<nlohmann::ordered_json> ExtractJson(std::string_view text) {
  absl::StatusOr<Json> whole = Parse(text);
  if (whole.ok()) return whole;
  if (std::optional<std::string_view> fenced = FencedBlock(text)) {
    if (absl::StatusOr<Json> inside = Parse(*fenced); inside.ok()) return inside;
  }
  if (std::optional<std::string_view> span = BracketSpan(text)) {
    if (absl::StatusOr<Json> inside = Parse(*span); inside.ok()) return inside;
  }
  return absl::InvalidArgumentError(absl::StrCat("the text is not JSON: ", whole.status().message()));
}

absl::Status CheckJsonSchema(const nlohmann::ordered_json& schema, const nlohmann::ordered_json& value) {
  return Check(schema, value, "$");
}

namespace {

Json MinimalScalar(const std::string& type, const Json& schema) {
  if (type == "string") {
    const size_t length = schema.contains("minLength") ? schema["minLength"].get<size_t>() : 0;
    const std::string pattern = StringKeyword(schema, "pattern");
    const std::string format = StringKeyword(schema, "format");
    const uint32_t max_length =
        schema.contains("maxLength") ? static_cast<uint32_t>(schema["maxLength"].get<size_t>()) : UINT32_MAX;
    absl::StatusOr<std::string> shortest =
        inference::ShortestStringForSchemaPattern(pattern, format, static_cast<uint32_t>(length), max_length);
    return shortest.ok() ? *shortest : std::string(length, 'a');
  }
  if (type == "integer" || type == "number") {
    double low = 0;
    if (schema.contains("minimum")) low = schema["minimum"].get<double>();
    if (schema.contains("exclusiveMinimum") && schema["exclusiveMinimum"].is_number()) {
      low = std::floor(schema["exclusiveMinimum"].get<double>()) + 1;
    }
    if (const double step = MultipleOf(schema); step > 0) low = std::ceil(low / step - 1e-9) * step;
    if (schema.contains("maximum") && low > schema["maximum"].get<double>()) low = schema["maximum"].get<double>();
    if (type == "integer") return static_cast<int64_t>(std::ceil(low));
    return low == std::floor(low) ? Json(static_cast<int64_t>(low)) : Json(low);
  }
  if (type == "boolean") return false;
  if (type == "array") {
    Json out = Json::array();
    const size_t count = schema.contains("minItems") ? schema["minItems"].get<size_t>() : 0;
    const Json item = schema.contains("items") ? MinimalJsonInstance(schema["items"]) : Json(nullptr);
    for (size_t i = 0; i < count; ++i) out.push_back(item);
    return out;
  }
  if (type == "null") return nullptr;
  Json out = Json::object();
  if (schema.contains("required") && schema["required"].is_array()) {
    for (const Json& name : schema["required"]) {
      const std::string key = name.get<std::string>();
      const bool known = schema.contains("properties") && schema["properties"].contains(key);
      out[key] = known ? MinimalJsonInstance(schema["properties"][key]) : Json(nullptr);
    }
  }
  return out;
}

}  // namespace

nlohmann::ordered_json MinimalJsonInstance(const nlohmann::ordered_json& schema) {
  if (!schema.is_object()) return Json::object();
  try {
    if (schema.contains("const")) return schema["const"];
    if (schema.contains("enum") && schema["enum"].is_array() && !schema["enum"].empty()) return schema["enum"][0];
    for (const char* key : {"anyOf", "oneOf", "allOf"}) {
      if (schema.contains(key) && schema[key].is_array() && !schema[key].empty()) {
        return MinimalJsonInstance(schema[key][0]);
      }
    }
    std::string type = "object";
    if (schema.contains("type")) {
      const Json& t = schema["type"];
      if (t.is_string()) type = t.get<std::string>();
      if (t.is_array() && !t.empty() && t[0].is_string()) type = t[0].get<std::string>();
    } else if (schema.contains("items")) {
      type = "array";
    }
    return MinimalScalar(type, schema);
  } catch (const Json::exception&) {
    return Json::object();
  }
}

}  // namespace catena::chains
