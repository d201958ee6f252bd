// Conversions of template values: JSON in and out (nlohmann::json and ordered_json, and JSON text written
// directly) and deep copies.
#include <algorithm>

#include "common/status.h"
#include "common/template/text.h"
#include "common/template/value.h"

namespace catena::tmpl {
namespace {

constexpr int kMaxNesting = 200;  // Deeper (or cyclic) containers are not converted further.

template <typename Json>
Value FromJsonImpl(const Json& json) {
  switch (json.type()) {
    case nlohmann::json::value_t::null:
      return Value::None();
    case nlohmann::json::value_t::boolean:
      return Value(json.template get<bool>());
    case nlohmann::json::value_t::number_integer:
      return Value(json.template get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      const auto u = json.template get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return Value(static_cast<double>(u));
      return Value(static_cast<int64_t>(u));
    }
    case nlohmann::json::value_t::number_float:
      return Value(json.template get<double>());
    case nlohmann::json::value_t::string:
      return Value(json.template get<std::string>());
    case nlohmann::json::value_t::array: {
      std::vector<Value> items;
      items.reserve(json.size());
      for (const auto& item : json) items.push_back(FromJsonImpl(item));
      return Value::List(std::move(items));
    }
    case nlohmann::json::value_t::object: {
      Value map = Value::Dict();
      for (auto it = json.begin(); it != json.end(); ++it) map.map().Set(it.key(), FromJsonImpl(it.value()));
      return map;
    }
    default:
      return Value::None();
  }
}

absl::Status NotSerializable(const Value& v) {
  return absl::InvalidArgumentError(text::Cat("object of type '", TypeName(v), "' is not JSON serializable"));
}

template <typename Json>
absl::StatusOr<Json> ToJsonImpl(const Value& v, int depth) {
  if (depth > kMaxNesting) return absl::InvalidArgumentError("value nests too deeply for JSON");
  switch (v.kind()) {
    case Value::Kind::kNone:
      return Json(nullptr);
    case Value::Kind::kBool:
      return Json(v.bool_value());
    case Value::Kind::kInt:
      return Json(v.int_value());
    case Value::Kind::kFloat:
      return Json(v.float_value());
    case Value::Kind::kString:
      return Json(v.string_value());
    case Value::Kind::kList: {
      Json out = Json::array();
      for (const Value& item : v.list().items) {
        auto converted = ToJsonImpl<Json>(item, depth + 1);
        if (!converted.ok()) return converted.status();
        out.push_back(*std::move(converted));
      }
      return out;
    }
    case Value::Kind::kMap: {
      Json out = Json::object();
      for (const auto& [key, value] : v.map().entries()) {
        auto converted = ToJsonImpl<Json>(value, depth + 1);
        if (!converted.ok()) return converted.status();
        out[key.is_string() ? key.string_value() : ToStr(key)] = *std::move(converted);
      }
      return out;
    }
    default:
      return NotSerializable(v);
  }
}

using OrderedJson = nlohmann::ordered_json;

std::string DumpLikeToJsonText(const OrderedJson& json) {
  return json.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

// `s` as a JSON string the way nlohmann's dump (ensure_ascii off, invalid UTF-8 replaced) writes it.
void AppendJsonText(std::string_view s, std::string& out) {
  const size_t start = out.size();
  out.push_back('"');
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t length = text::ValidUtf8Length(s.substr(i));
      if (length == 0) {  // rare: let nlohmann apply its own replacement rules to the whole string
        out.resize(start);
        out += DumpLikeToJsonText(OrderedJson(std::string(s)));
        return;
      }
      out.append(s.substr(i, length));
      i += length;
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
}

absl::Status WriteJsonText(const Value& v, int depth, std::string& out) {
  if (depth > kMaxNesting) return absl::InvalidArgumentError("value nests too deeply for JSON");
  switch (v.kind()) {
    case Value::Kind::kNone:
      out += "null";
      return absl::OkStatus();
    case Value::Kind::kBool:
      out += v.bool_value() ? "true" : "false";
      return absl::OkStatus();
    case Value::Kind::kInt:
      text::Append(&out, v.int_value());
      return absl::OkStatus();
    case Value::Kind::kFloat:  // nlohmann's shortest round-trip form (and null for NaN and infinities)
      out += DumpLikeToJsonText(OrderedJson(v.float_value()));
      return absl::OkStatus();
    case Value::Kind::kString:
      AppendJsonText(v.string_value(), out);
      return absl::OkStatus();
    case Value::Kind::kList: {
      out.push_back('[');
      bool first = true;
      for (const Value& item : v.list().items) {
        if (!first) out.push_back(',');
        first = false;
        CATENA_RETURN_IF_ERROR(WriteJsonText(item, depth + 1, out));
      }
      out.push_back(']');
      return absl::OkStatus();
    }
    case Value::Kind::kMap: {
      const auto& entries = v.map().entries();
      if (!std::all_of(entries.begin(), entries.end(), [](const auto& entry) { return entry.first.is_string(); })) {
        // Other keys become their str(), which may repeat a key: ordered_json's rules decide (rare).
        CATENA_ASSIGN_OR_RETURN(OrderedJson json, ToJsonImpl<OrderedJson>(v, depth));
        out += DumpLikeToJsonText(json);
        return absl::OkStatus();
      }
      out.push_back('{');
      bool first = true;
      for (const auto& [key, value] : v.map().entries()) {
        if (!first) out.push_back(',');
        first = false;
        AppendJsonText(key.string_value(), out);
        out.push_back(':');
        CATENA_RETURN_IF_ERROR(WriteJsonText(value, depth + 1, out));
      }
      out.push_back('}');
      return absl::OkStatus();
    }
    default:
      return NotSerializable(v);
  }
}

}  // namespace

Value Value::FromJson(const nlohmann::json& json) { return FromJsonImpl(json); }
Value Value::FromJson(const nlohmann::ordered_json& json) { return FromJsonImpl(json); }

namespace {

Value DeepCopyImpl(const Value& v, int depth) {
  if (depth > kMaxNesting) return v;
  if (v.is_list()) {
    std::vector<Value> items;
    items.reserve(v.list().items.size());
    for (const Value& item : v.list().items) items.push_back(DeepCopyImpl(item, depth + 1));
    return v.is_tuple() ? Value::Tuple(std::move(items)) : Value::List(std::move(items));
  }
  if (v.is_map()) {
    Value copy = Value::Dict(v.map().kind());
    for (const auto& [key, value] : v.map().entries()) (void)copy.map().SetKey(key, DeepCopyImpl(value, depth + 1));
    return copy;
  }
  return v;
}

}  // namespace

Value DeepCopy(const Value& v) { return DeepCopyImpl(v, 0); }

absl::StatusOr<nlohmann::json> ToJson(const Value& v) { return ToJsonImpl<nlohmann::json>(v, 0); }

absl::StatusOr<nlohmann::ordered_json> ToOrderedJson(const Value& v) {
  return ToJsonImpl<nlohmann::ordered_json>(v, 0);
}

absl::StatusOr<std::string> ToJsonText(const Value& v) {
  std::string out;
  CATENA_RETURN_IF_ERROR(WriteJsonText(v, 0, out));
  return out;
}

}  // namespace catena::tmpl
