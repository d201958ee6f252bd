// Schema document -> grammar::Grammar. Every construct outside the supported subset is an UNIMPLEMENTED error
// naming its JSON pointer, so a compiled grammar never admits an instance the schema rejects.
#include <algorithm>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/grammar_internal.h"
#include "inference/grammar_pattern.h"
#include "nlohmann/json.hpp"

namespace catena::inference {
namespace {

using Json = nlohmann::ordered_json;
using grammar::Kind;
using grammar::Node;

const absl::flat_hash_set<std::string>& Annotations() {
  static const auto* kSet = new absl::flat_hash_set<std::string>{
      "title",     "description", "default",     "examples",         "$schema",
      "$id",       "$comment",    "format",      "deprecated",       "readOnly",
      "writeOnly", "$defs",       "definitions", "contentMediaType", "contentEncoding", "discriminator"};
  return *kSet;
}

const absl::flat_hash_set<std::string>& Supported() {
  static const auto* kSet = new absl::flat_hash_set<std::string>{"type",       "enum",      "const",
                                                                 "anyOf",      "allOf",     "$ref",
                                                                 "properties", "required",  "additionalProperties",
                                                                 "items",      "minItems",  "maxItems",
                                                                 "minLength",  "maxLength", "uniqueItems",
                                                                 "minimum",    "maximum",   "exclusiveMinimum",
                                                                 "exclusiveMaximum", "oneOf",
                                                                 "pattern",    "prefixItems",
                                                                 "multipleOf"};
  return *kSet;
}

std::string Child(const std::string& pointer, std::string_view token) {
  std::string escaped;
  for (char c : token) {
    if (c == '~')
      escaped += "~0";
    else if (c == '/')
      escaped += "~1";
    else
      escaped += c;
  }
  return absl::StrCat(pointer, "/", escaped);
}

absl::Status Bad(const std::string& pointer, std::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(pointer, ": ", std::string(message)));
}
absl::Status Unsupported(const std::string& pointer, std::string_view message) {
  return absl::UnimplementedError(absl::StrCat(pointer, ": ", std::string(message)));
}

std::string Dump(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

// The canonical spelling of a literal value: separators ", " and ": ", keys in document order.
std::string Canonical(const Json& value) {
  if (value.is_object()) {
    std::string out = "{";
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (it != value.begin()) out += ", ";
      absl::StrAppend(&out, Dump(Json(it.key())), ": ", Canonical(it.value()));
    }
    return out + "}";
  }
  if (value.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < value.size(); ++i) absl::StrAppend(&out, i ? ", " : "", Canonical(value[i]));
    return out + "]";
  }
  return Dump(value);
}

bool MatchesType(const Json& value, std::string_view type) {
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "integer") return value.is_number_integer();
  if (type == "number") return value.is_number();
  if (type == "boolean") return value.is_boolean();
  return type == "null" && value.is_null();
}

// Where a bound is saturated: beyond every number the grammar writes (at most 10^18 units).
constexpr int64_t kUnbounded = int64_t{4'000'000'000'000'000'000};

// The JSON number `value` in units of 10^-scale_digits, rounded up or down to a whole unit and saturated to
// +-kUnbounded. Non-integers are read from their shortest decimal spelling, the one the schema's author wrote.
int64_t ScaledBound(const Json& value, int scale_digits, bool round_up) {
  const std::string text = Dump(value);
  bool negative = false, in_fraction = false, inexact = false;
  std::string digits;
  int exponent = scale_digits;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '-') {
      negative = true;
    } else if (c == '.') {
      in_fraction = true;
    } else if (c == 'e' || c == 'E') {
      exponent += std::stoi(text.substr(i + 1));
      break;
    } else if (c >= '0' && c <= '9') {
      if (!(digits.empty() && c == '0')) digits += c;
      if (in_fraction) --exponent;
    }
  }
  // |value| = digits x 10^exponent units.
  __int128 magnitude = 0;
  const int kept = static_cast<int>(digits.size()) + std::min(exponent, 0);
  if (kept + std::max(exponent, 0) > 20) return negative ? -kUnbounded : kUnbounded;
  for (int i = 0; i < static_cast<int>(digits.size()); ++i) {
    if (i < kept) {
      magnitude = magnitude * 10 + (digits[i] - '0');
    } else if (digits[i] != '0') {
      inexact = true;
    }
  }
  for (int i = 0; i < exponent; ++i) magnitude *= 10;
  __int128 units = negative ? -magnitude : magnitude;
  if (inexact && round_up && !negative) units += 1;  // the digits dropped made a positive value smaller
  if (inexact && !round_up && negative) units -= 1;  // and a negative one larger
  return static_cast<int64_t>(std::clamp<__int128>(units, -kUnbounded, kUnbounded));
}

class SchemaCompiler {
 public:
  explicit SchemaCompiler(const Json& root) : root_(root) {}

  // Compiles `schema` (found at `pointer`) and records the pointer on the node it yields.
  absl::StatusOr<int32_t> Compile(const Json& schema, const std::string& pointer, int depth) {
    CATENA_ASSIGN_OR_RETURN(int32_t id, CompileSchema(schema, pointer, depth));
    if (grammar_.nodes[id].pointer.empty()) grammar_.nodes[id].pointer = pointer;
    return id;
  }
  grammar::Grammar Take(int32_t root) {
    grammar_.root = root;
    return std::move(grammar_);
  }

 private:
  absl::StatusOr<int32_t> CompileSchema(const Json& schema, const std::string& pointer, int depth);
  absl::StatusOr<int32_t> CompileRef(const Json& schema, const std::string& pointer, int depth);
  absl::StatusOr<int32_t> CompileAnyOf(const Json& list, const std::string& pointer, int depth);
  // oneOf compiles as anyOf when no instance can match two branches (see Disjoint); UNIMPLEMENTED otherwise.
  absl::StatusOr<int32_t> CompileOneOf(const Json& schema, const std::string& pointer, int depth);
  // Whether the oneOf `branches` are mutually exclusive: all tag one required property (the discriminator's,
  // or any the first branch requires) with const/enum values no two branches share, or all declare types no two
  // branches share.
  bool Disjoint(const Json& branches, const Json& discriminator) const;
  // `schema` with local $refs followed (up to 8 hops), or null when one does not resolve.
  const Json* Resolve(const Json& schema) const;
  absl::StatusOr<int32_t> CompileLiterals(const Json& schema, const std::string& pointer);
  absl::StatusOr<int32_t> CompileTypes(const Json& schema, const std::string& pointer, int depth);
  absl::StatusOr<int32_t> CompileType(const Json& schema, std::string_view type, const std::string& pointer, int depth);
  absl::StatusOr<int32_t> CompileObject(const Json& schema, const std::string& pointer, int depth);
  absl::StatusOr<int32_t> CompileArray(const Json& schema, const std::string& pointer, int depth);
  // An array with prefixItems, written as its first `bounds.max_length` prefix items (all, when fewer).
  absl::StatusOr<int32_t> CompileTuple(const Json& schema, const Node& bounds, const std::string& pointer, int depth);
  absl::StatusOr<int32_t> CompileString(const Json& schema, const std::string& pointer);
  absl::StatusOr<int32_t> CompileMap(const Json& schema, const std::string& pointer, int depth);
  // The node of "any JSON value" (anyOf string, number, true/false/null, array of any, object of any), built
  // once per grammar; its recursion is bounded by the matcher's stack depth.
  int32_t AnyValue();
  // A free-key object whose member values are `value` nodes.
  int32_t AddMap(int32_t value);
  absl::Status ReadBounds(const Json& schema, const char* min_key, const char* max_key, const std::string& pointer,
                          Node& node);
  // minimum, maximum, exclusiveMinimum and exclusiveMaximum of an integer or number node.
  absl::Status ReadNumberBounds(const Json& schema, const std::string& pointer, Node& node);
  int32_t Add(Node node) {
    grammar_.nodes.push_back(std::move(node));
    return static_cast<int32_t>(grammar_.nodes.size() - 1);
  }

  const Json& root_;
  grammar::Grammar grammar_;
  absl::flat_hash_map<std::string, int32_t> refs_;
  int32_t any_ = -1;
};

int32_t SchemaCompiler::AddMap(int32_t value) {
  Node key;
  key.kind = Kind::kString;
  Node map;
  map.kind = Kind::kMap;
  map.key = Add(std::move(key));
  map.items = value;
  return Add(std::move(map));
}

int32_t SchemaCompiler::AnyValue() {
  if (any_ >= 0) return any_;
  Node any;
  any.kind = Kind::kAnyOf;
  any.pointer = "#(any value)";
  any_ = Add(std::move(any));
  Node string, number, array;
  string.kind = Kind::kString;
  number.kind = Kind::kNumber;
  array.kind = Kind::kArray;
  array.items = any_;
  std::vector<int32_t> alternatives = {Add(std::move(string)), Add(std::move(number)),
                                       Add(grammar::LiteralsNode({"true", "false", "null"})), Add(std::move(array))};
  alternatives.push_back(AddMap(any_));
  grammar_.nodes[any_].alternatives = std::move(alternatives);
  return any_;
}

absl::StatusOr<int32_t> SchemaCompiler::CompileSchema(const Json& schema, const std::string& pointer, int depth) {
  if (depth > 64) return Bad(pointer, "schema nests deeper than 64 levels (counting $ref hops)");
  if (schema.is_boolean()) {
    if (schema.get<bool>()) return AnyValue();
    return Bad(pointer, "the schema `false` admits no value");
  }
  if (!schema.is_object()) return Bad(pointer, "a schema must be an object or a boolean");
  for (auto it = schema.begin(); it != schema.end(); ++it) {
    if (!Annotations().contains(it.key()) && !Supported().contains(it.key())) {
      return Unsupported(Child(pointer, it.key()), "keyword is not supported");
    }
  }
  if (schema.contains("uniqueItems") && schema["uniqueItems"] != Json(false)) {
    return Unsupported(Child(pointer, "uniqueItems"), "only uniqueItems: false is supported");
  }
  if (schema.contains("$ref")) return CompileRef(schema, pointer, depth);
  if (schema.contains("enum") || schema.contains("const")) return CompileLiterals(schema, pointer);
  if (schema.contains("allOf")) {
    const Json& all = schema["allOf"];
    if (!all.is_array() || all.size() != 1 || schema.size() > 1 + schema.count("title") + schema.count("description")) {
      return Unsupported(Child(pointer, "allOf"), "only a lone allOf with one schema is supported");
    }
    return Compile(all[0], Child(Child(pointer, "allOf"), "0"), depth + 1);
  }
  for (const std::string key : {"anyOf", "oneOf"}) {
    if (!schema.contains(key)) continue;
    for (auto it = schema.begin(); it != schema.end(); ++it) {
      if (it.key() != key && !Annotations().contains(it.key())) {
        return Unsupported(Child(pointer, it.key()), absl::StrCat("keywords beside ", key, " are not supported"));
      }
    }
    if (key == "oneOf") return CompileOneOf(schema, pointer, depth);
    return CompileAnyOf(schema[key], Child(pointer, key), depth);
  }
  return CompileTypes(schema, pointer, depth);
}

absl::StatusOr<int32_t> SchemaCompiler::CompileRef(const Json& schema, const std::string& pointer, int depth) {
  for (auto it = schema.begin(); it != schema.end(); ++it) {
    if (it.key() != "$ref" && !Annotations().contains(it.key())) {
      return Unsupported(Child(pointer, it.key()), "keywords beside $ref are not supported");
    }
  }
  const Json& ref = schema["$ref"];
  if (!ref.is_string() || ref.get<std::string>().empty() || ref.get<std::string>()[0] != '#') {
    return Unsupported(Child(pointer, "$ref"), "only local references (\"#...\") are supported");
  }
  const std::string target = ref.get<std::string>();
  if (auto it = refs_.find(target); it != refs_.end()) return it->second;
  const Json* resolved = nullptr;
  try {
    resolved = &root_.at(Json::json_pointer(target.substr(1)));
  } catch (const std::exception&) {
    return Bad(Child(pointer, "$ref"), absl::StrCat("\"", target, "\" does not resolve"));
  }
  Node placeholder;  // a one-way anyOf, so recursive references can point here before the target compiles
  placeholder.kind = Kind::kAnyOf;
  const int32_t id = Add(std::move(placeholder));
  refs_[target] = id;
  CATENA_ASSIGN_OR_RETURN(int32_t body, Compile(*resolved, target, depth + 1));
  grammar_.nodes[id].alternatives = {body};
  return id;
}

absl::StatusOr<int32_t> SchemaCompiler::CompileAnyOf(const Json& list, const std::string& pointer, int depth) {
  if (!list.is_array() || list.empty()) return Bad(pointer, "must be a non-empty array of schemas");
  Node node;
  node.kind = Kind::kAnyOf;
  for (size_t i = 0; i < list.size(); ++i) {
    CATENA_ASSIGN_OR_RETURN(int32_t alternative, Compile(list[i], Child(pointer, std::to_string(i)), depth + 1));
    node.alternatives.push_back(alternative);
  }
  return Add(std::move(node));
}

const Json* SchemaCompiler::Resolve(const Json& schema) const {
  const Json* at = &schema;
  for (int hop = 0; hop < 8 && at->is_object() && at->contains("$ref"); ++hop) {
    const Json& ref = (*at)["$ref"];
    if (!ref.is_string() || ref.get<std::string>().rfind('#', 0) != 0) return nullptr;
    try {
      at = &root_.at(Json::json_pointer(ref.get<std::string>().substr(1)));
    } catch (const std::exception&) {
      return nullptr;
    }
  }
  return at->is_object() && !at->contains("$ref") ? at : nullptr;
}

// The canonical const/enum values of `property` in an object schema that requires it; empty when it is not
// tagged so.
std::vector<std::string> TagValues(const Json& branch, const std::string& property) {
  std::vector<std::string> values;
  const Json required = branch.value("required", Json::array());
  const Json properties = branch.value("properties", Json::object());
  if (!required.is_array() || !properties.is_object() || !properties.contains(property) ||
      std::find(required.begin(), required.end(), Json(property)) == required.end()) {
    return values;
  }
  const Json& tag = properties[property];
  if (!tag.is_object()) return values;
  if (tag.contains("const")) {
    values.push_back(Canonical(tag["const"]));
  } else if (tag.contains("enum") && tag["enum"].is_array()) {
    for (const Json& value : tag["enum"]) values.push_back(Canonical(value));
  }
  return values;
}

bool SchemaCompiler::Disjoint(const Json& branches, const Json& discriminator) const {
  std::vector<const Json*> resolved;
  for (const Json& branch : branches) {
    const Json* schema = Resolve(branch);
    if (schema == nullptr) return false;
    resolved.push_back(schema);
  }
  std::vector<std::string> candidates;
  if (discriminator.is_object() && discriminator.contains("propertyName") &&
      discriminator["propertyName"].is_string()) {
    candidates.push_back(discriminator["propertyName"].get<std::string>());
  } else if (const Json first = resolved.front()->value("required", Json::array()); first.is_array()) {
    for (const Json& name : first) {
      if (name.is_string()) candidates.push_back(name.get<std::string>());
    }
  }
  for (const std::string& property : candidates) {
    absl::flat_hash_set<std::string> seen;
    bool tagged = true;
    for (const Json* branch : resolved) {
      const std::vector<std::string> values = TagValues(*branch, property);
      tagged = tagged && !values.empty();
      for (const std::string& value : values) tagged = tagged && seen.insert(value).second;
    }
    if (tagged) return true;
  }
  // By type: "integer" overlaps "number", and a branch without a type could be anything.
  absl::flat_hash_set<std::string> types;
  for (const Json* branch : resolved) {
    const Json type = branch->value("type", Json());
    const Json list = type.is_array() ? type : Json::array({type});
    for (const Json& name : list) {
      if (!name.is_string()) return false;
      const std::string kind = name.get<std::string>() == "integer" ? "number" : name.get<std::string>();
      if (!types.insert(kind).second) return false;
    }
  }
  return true;
}

absl::StatusOr<int32_t> SchemaCompiler::CompileOneOf(const Json& schema, const std::string& pointer, int depth) {
  const Json& list = schema["oneOf"];
  const std::string list_pointer = Child(pointer, "oneOf");
  if (!list.is_array() || list.empty()) return Bad(list_pointer, "must be a non-empty array of schemas");
  if (!Disjoint(list, schema.value("discriminator", Json()))) {
    return Unsupported(list_pointer,
                       "only oneOf branches that cannot overlap are supported: each requires one property with "
                       "const/enum values of its own, or each has a type of its own");
  }
  return CompileAnyOf(list, list_pointer, depth);
}

absl::StatusOr<int32_t> SchemaCompiler::CompileLiterals(const Json& schema, const std::string& pointer) {
  std::vector<Json> values;
  if (schema.contains("const")) values.push_back(schema["const"]);
  if (schema.contains("enum")) {
    const Json& list = schema["enum"];
    if (!list.is_array() || list.empty()) return Bad(Child(pointer, "enum"), "must be a non-empty array");
    if (schema.contains("const")) {
      return Unsupported(Child(pointer, "enum"), "enum beside const is not supported");
    }
    values.assign(list.begin(), list.end());
  }
  for (auto it = schema.begin(); it != schema.end(); ++it) {
    if (it.key() != "enum" && it.key() != "const" && it.key() != "type" && !Annotations().contains(it.key())) {
      return Unsupported(Child(pointer, it.key()), "keywords beside enum/const other than type are not supported");
    }
  }
  std::vector<std::string> types;
  if (schema.contains("type")) {
    const Json& type = schema["type"];
    if (type.is_string()) types.push_back(type.get<std::string>());
    for (const Json& t : type.is_array() ? type : Json::array()) {
      if (t.is_string()) types.push_back(t.get<std::string>());
    }
  }
  Node node;
  node.kind = Kind::kLiterals;
  int32_t index = 0;
  for (const Json& value : values) {
    bool typed = types.empty();
    for (const std::string& type : types) typed = typed || MatchesType(value, type);
    if (typed) node.literals.Add(Canonical(value), index++);
  }
  if (index == 0) return Bad(pointer, "no enum/const value has the declared type");
  return Add(std::move(node));
}

absl::StatusOr<int32_t> SchemaCompiler::CompileTypes(const Json& schema, const std::string& pointer, int depth) {
  if (!schema.contains("type")) {
    if (schema.contains("properties")) return CompileType(schema, "object", pointer, depth);
    if (schema.contains("items")) return CompileType(schema, "array", pointer, depth);
    if (schema.contains("additionalProperties")) return CompileType(schema, "object", pointer, depth);
    for (auto it = schema.begin(); it != schema.end(); ++it) {
      if (!Annotations().contains(it.key())) {
        return Unsupported(Child(pointer, it.key()), "keyword without a type is not supported");
      }
    }
    return AnyValue();  // no constraint: any JSON value
  }
  const Json& type = schema["type"];
  const std::string type_pointer = Child(pointer, "type");
  if (type.is_string()) return CompileType(schema, type.get<std::string>(), pointer, depth);
  if (!type.is_array() || type.empty()) return Bad(type_pointer, "must be a type name or a non-empty array of them");
  Node node;
  node.kind = Kind::kAnyOf;
  for (size_t i = 0; i < type.size(); ++i) {
    if (!type[i].is_string()) return Bad(Child(type_pointer, std::to_string(i)), "must be a type name");
    CATENA_ASSIGN_OR_RETURN(int32_t alternative, CompileType(schema, type[i].get<std::string>(), pointer, depth));
    node.alternatives.push_back(alternative);
  }
  return Add(std::move(node));
}

// One member of `type`, reading its keywords from `schema` (at `base`).
absl::StatusOr<int32_t> SchemaCompiler::CompileType(const Json& schema, std::string_view type, const std::string& base,
                                                    int depth) {
  Node node;
  if (type == "object") return CompileObject(schema, base, depth);
  if (type == "array") return CompileArray(schema, base, depth);
  if (type == "string") return CompileString(schema, base);
  if (type == "integer" || type == "number") {
    node.kind = Kind::kNumber;
    node.integer = type == "integer";
    CATENA_RETURN_IF_ERROR(ReadNumberBounds(schema, base, node));
    return Add(std::move(node));
  }
  if (type == "boolean") return Add(grammar::LiteralsNode({"true", "false"}));
  if (type == "null") return Add(grammar::LiteralsNode({"null"}));
  return Bad(Child(base, "type"), absl::StrCat("unknown type \"", std::string(type), "\""));
}

absl::Status SchemaCompiler::ReadBounds(const Json& schema, const char* min_key, const char* max_key,
                                        const std::string& pointer, Node& node) {
  for (const char* key : {min_key, max_key}) {
    if (!schema.contains(key)) continue;
    const Json& value = schema[key];
    const bool integral = value.is_number_unsigned() ||
                          (value.is_number_float() && value.get<double>() >= 0 &&
                           value.get<double>() == static_cast<double>(static_cast<uint64_t>(value.get<double>())));
    if (!integral || value.get<double>() > 1e6) {
      return Bad(Child(pointer, key), "must be a non-negative integer of at most 1000000");
    }
    (key == min_key ? node.min_length : node.max_length) = static_cast<uint32_t>(value.get<double>());
  }
  if (node.min_length > node.max_length) {
    return Bad(Child(pointer, min_key), absl::StrCat("is greater than ", max_key));
  }
  return absl::OkStatus();
}

absl::Status SchemaCompiler::ReadNumberBounds(const Json& schema, const std::string& pointer, Node& node) {
  const int scale = node.integer ? 0 : grammar::Grammar::kBoundedFractionDigits;
  node.low = -kUnbounded;
  node.high = kUnbounded;
  for (const char* key : {"minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"}) {
    if (!schema.contains(key)) continue;
    const Json& value = schema[key];
    if (!value.is_number()) return Bad(Child(pointer, key), "must be a number");
    node.bounded = true;
    const std::string_view name = key;
    if (name == "minimum") node.low = std::max(node.low, ScaledBound(value, scale, /*round_up=*/true));
    if (name == "exclusiveMinimum") node.low = std::max(node.low, ScaledBound(value, scale, false) + 1);
    if (name == "maximum") node.high = std::min(node.high, ScaledBound(value, scale, false));
    if (name == "exclusiveMaximum") node.high = std::min(node.high, ScaledBound(value, scale, true) - 1);
  }
  if (schema.contains("multipleOf")) {
    // A multiple of k units: the value read so far is in the frame, as for bounds, and checked at its end.
    const std::string key_pointer = Child(pointer, "multipleOf");
    const Json& value = schema["multipleOf"];
    if (!value.is_number() || value.get<double>() <= 0) return Bad(key_pointer, "must be a number greater than 0");
    const int64_t down = ScaledBound(value, scale, /*round_up=*/false), up = ScaledBound(value, scale, true);
    if (down != up || down >= kUnbounded) {
      return Unsupported(key_pointer, node.integer
                                          ? "only whole multipleOf values below 10^18 are supported on integers"
                                          : "only multipleOf values with at most 9 fraction digits are supported "
                                            "on numbers");
    }
    node.bounded = true;
    node.multiple = down;
  }
  if (node.bounded && !grammar::NumberRangeReachable(node)) {
    const char* which = node.multiple > 0 ? "minimum/maximum and multipleOf" : "minimum/maximum";
    return Bad(pointer, node.integer ? absl::StrCat("no integer of at most 16 digits meets ", which)
                                     : absl::StrCat("no number of at most 9 digits on either side of the point "
                                                    "meets ", which));
  }
  return absl::OkStatus();
}

// A string, whose content must match `pattern` when there is one, else the expression of a known `format`
// (StringPattern::FormatPattern; other formats are annotations).
absl::StatusOr<int32_t> SchemaCompiler::CompileString(const Json& schema, const std::string& pointer) {
  Node node;
  node.kind = Kind::kString;
  CATENA_RETURN_IF_ERROR(ReadBounds(schema, "minLength", "maxLength", pointer, node));
  std::string expression, expression_pointer;
  if (schema.contains("pattern")) {
    expression_pointer = Child(pointer, "pattern");
    if (!schema["pattern"].is_string()) return Bad(expression_pointer, "must be a string");
    expression = schema["pattern"].get<std::string>();
  } else if (schema.contains("format") && schema["format"].is_string()) {
    expression = grammar::StringPattern::FormatPattern(schema["format"].get<std::string>());
    if (!expression.empty()) expression_pointer = Child(pointer, "format");
  }
  if (expression_pointer.empty()) return Add(std::move(node));
  absl::StatusOr<std::shared_ptr<const grammar::StringPattern>> pattern =
      grammar::StringPattern::Shared(expression, node.min_length, node.max_length);
  if (!pattern.ok()) {
    return absl::Status(pattern.status().code(), absl::StrCat(expression_pointer, ": ", pattern.status().message()));
  }
  node.kind = Kind::kPattern;
  node.pattern = *std::move(pattern);
  return Add(std::move(node));
}

absl::StatusOr<int32_t> SchemaCompiler::CompileArray(const Json& schema, const std::string& pointer, int depth) {
  Node node;
  node.kind = Kind::kArray;
  CATENA_RETURN_IF_ERROR(ReadBounds(schema, "minItems", "maxItems", pointer, node));
  if (schema.contains("prefixItems")) return CompileTuple(schema, node, pointer, depth);
  if (!schema.contains("items")) {
    node.items = node.max_length == 0 ? Add(Node{}) : AnyValue();  // a Node{} is never started: maxItems is 0
    return Add(std::move(node));
  }
  if (schema["items"].is_array()) return Unsupported(Child(pointer, "items"), "tuple items are not supported");
  CATENA_ASSIGN_OR_RETURN(node.items, Compile(schema["items"], Child(pointer, "items"), depth + 1));
  return Add(std::move(node));
}

// Every instance written holds exactly the prefix items that maxItems allows: items after them (`items`) are
// admitted by the schema but never needed, unless minItems asks for more.
absl::StatusOr<int32_t> SchemaCompiler::CompileTuple(const Json& schema, const Node& bounds, const std::string& pointer,
                                                     int depth) {
  const Json& prefix = schema["prefixItems"];
  const std::string prefix_pointer = Child(pointer, "prefixItems");
  if (!prefix.is_array()) return Bad(prefix_pointer, "must be an array of schemas");
  if (bounds.min_length > prefix.size()) {
    if (schema.value("items", Json(true)) == Json(false)) {
      return Bad(Child(pointer, "minItems"), "asks for more items than prefixItems has, and items is false");
    }
    return Unsupported(Child(pointer, "minItems"), "more items than prefixItems has are not supported");
  }
  const size_t count = std::min<size_t>(prefix.size(), bounds.max_length);
  Node tuple;
  tuple.kind = Kind::kSequence;
  tuple.alternatives.push_back(Add(grammar::LiteralsNode({count == 0 ? "[]" : "["})));
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) tuple.alternatives.push_back(Add(grammar::LiteralsNode({", "})));
    CATENA_ASSIGN_OR_RETURN(int32_t item, Compile(prefix[i], Child(prefix_pointer, std::to_string(i)), depth + 1));
    tuple.alternatives.push_back(item);
  }
  if (count > 0) tuple.alternatives.push_back(Add(grammar::LiteralsNode({"]"})));
  return Add(std::move(tuple));
}

absl::StatusOr<int32_t> SchemaCompiler::CompileObject(const Json& schema, const std::string& pointer, int depth) {
  const bool closed = schema.contains("properties") ||
                      (schema.contains("additionalProperties") && schema["additionalProperties"] == Json(false));
  if (!closed) return CompileMap(schema, pointer, depth);
  // Beside properties, additionalProperties (pydantic's extra="allow") admits more keys than the declared ones;
  // the instances written hold only those, which every value of the keyword admits.
  if (schema.contains("additionalProperties") && !schema["additionalProperties"].is_boolean() &&
      !schema["additionalProperties"].is_object()) {
    return Bad(Child(pointer, "additionalProperties"), "must be a schema");
  }
  Node node;
  node.kind = Kind::kObject;
  const Json properties = schema.value("properties", Json::object());
  if (!properties.is_object()) return Bad(Child(pointer, "properties"), "must be an object");
  if (properties.size() > 64) return Unsupported(Child(pointer, "properties"), "more than 64 properties");
  const std::string properties_pointer = Child(pointer, "properties");
  for (auto it = properties.begin(); it != properties.end(); ++it) {
    grammar::Property property;
    property.name = it.key();
    CATENA_ASSIGN_OR_RETURN(property.value, Compile(it.value(), Child(properties_pointer, it.key()), depth + 1));
    node.literals.Add(absl::StrCat(Dump(Json(it.key())), ": "), static_cast<int32_t>(node.properties.size()));
    node.properties.push_back(std::move(property));
  }
  const Json required = schema.value("required", Json::array());
  if (!required.is_array()) return Bad(Child(pointer, "required"), "must be an array of property names");
  for (size_t i = 0; i < required.size(); ++i) {
    const std::string entry = Child(Child(pointer, "required"), std::to_string(i));
    if (!required[i].is_string()) return Bad(entry, "must be a property name");
    bool found = false;
    for (grammar::Property& property : node.properties) {
      if (property.name == required[i].get<std::string>()) found = property.required = true;
    }
    if (!found) return Bad(entry, absl::StrCat(Dump(required[i]), " is required but not in properties"));
  }
  return Add(std::move(node));
}

// An object without `properties`: any keys, each value an instance of `additionalProperties` (absent or true:
// any value). `required` would need the listed keys to appear, which free keys cannot promise.
absl::StatusOr<int32_t> SchemaCompiler::CompileMap(const Json& schema, const std::string& pointer, int depth) {
  if (schema.contains("required") && !schema["required"].is_array()) {
    return Bad(Child(pointer, "required"), "must be an array of property names");
  }
  if (schema.contains("required") && !schema["required"].empty()) {
    return Unsupported(Child(pointer, "required"), "required without properties is not supported");
  }
  const Json additional = schema.value("additionalProperties", Json(true));
  if (additional.is_boolean()) return AddMap(AnyValue());
  CATENA_ASSIGN_OR_RETURN(int32_t value, Compile(additional, Child(pointer, "additionalProperties"), depth + 1));
  return AddMap(value);
}

// How many concrete alternatives `id` expands to when a value starts (anyOf/$ref chains flattened); an error for
// a chain that reaches itself without reading a byte or that expands to too many alternatives.
absl::StatusOr<size_t> Expansion(const grammar::Grammar& grammar, int32_t id, std::vector<int>& state,
                                 std::vector<size_t>& memo) {
  const Node& node = grammar.nodes[id];
  if (node.kind != Kind::kAnyOf) return 1;
  if (state[id] == 2) return memo[id];
  if (state[id] == 1) return Bad(node.pointer, "anyOf/$ref refers to itself before any object or array");
  state[id] = 1;
  size_t total = 0;
  for (int32_t alternative : node.alternatives) {
    CATENA_ASSIGN_OR_RETURN(size_t count, Expansion(grammar, alternative, state, memo));
    total += count;
    if (total > 256) return Unsupported(node.pointer, "anyOf expands to more than 256 alternatives");
  }
  state[id] = 2;
  return memo[id] = total;
}

}  // namespace

absl::StatusOr<grammar::Grammar> CompileSchemaToGrammar(std::string_view schema_json) {
  Json root;
  try {
    root = Json::parse(schema_json.begin(), schema_json.end());
  } catch (const Json::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat("#: schema is not valid JSON at byte ", e.byte, ": ", e.what()));
  }
  SchemaCompiler compiler(root);
  CATENA_ASSIGN_OR_RETURN(int32_t node, compiler.Compile(root, "#", 0));
  grammar::Grammar grammar = compiler.Take(node);
  std::vector<int> state(grammar.nodes.size(), 0);
  std::vector<size_t> memo(grammar.nodes.size(), 0);
  for (size_t id = 0; id < grammar.nodes.size(); ++id) {
    CATENA_RETURN_IF_ERROR(Expansion(grammar, static_cast<int32_t>(id), state, memo).status());
  }
  return grammar;
}

}  // namespace catena::inference
