// Literal policy parameters and item texts for the guard.* node types (guard_config.h).
#include "agents/guard_config.h"

#include "absl/strings/str_cat.h"
#include "chains/nodes/node_util.h"

namespace catena::agents::guard {
namespace {

using chains::SpecValue;

std::string Literally(std::string_view name, std::string_view what) {
  return absl::StrCat("parameter '", std::string(name), "' must be ", std::string(what),
                      " written in the file (guard policies are compiled when the pipeline is loaded)");
}

}  // namespace

void ReportAt(const chains::NodeSpec& spec, chains::NodeCompileContext& context, std::string_view name,
              std::string message) {
  const SpecValue* value = chains::nodes::FindField(spec.with, name);
  context.Error(value != nullptr ? value->pos : spec.type_pos, std::move(message));
}

std::optional<std::vector<std::string>> LiteralStrings(const chains::NodeSpec& spec,
                                                        chains::NodeCompileContext& context, std::string_view name) {
  std::vector<std::string> out;
  const SpecValue* value = chains::nodes::FindField(spec.with, name);
  if (value == nullptr) return out;
  if (!value->is_list()) {
    context.Error(value->pos, Literally(name, "a list of strings"));
    return std::nullopt;
  }
  for (const SpecValue& item : value->items) {
    if (!chains::nodes::IsLiteralString(item)) {
      context.Error(item.pos, Literally(name, "a list of plain strings (no templates)"));
      return std::nullopt;
    }
    out.push_back(item.string_value);
  }
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> LiteralStringMap(
    const chains::NodeSpec& spec, chains::NodeCompileContext& context, std::string_view name) {
  std::vector<std::pair<std::string, std::string>> out;
  const SpecValue* value = chains::nodes::FindField(spec.with, name);
  if (value == nullptr) return out;
  if (!value->is_map()) {
    context.Error(value->pos, Literally(name, "a mapping of strings"));
    return std::nullopt;
  }
  for (const auto& [key, item] : value->fields) {
    if (!chains::nodes::IsLiteralString(item)) {
      context.Error(item.pos, Literally(absl::StrCat(std::string(name), ".", key), "a plain string"));
      return std::nullopt;
    }
    out.emplace_back(key, item.string_value);
  }
  return out;
}

std::optional<std::string> LiteralString(const chains::NodeSpec& spec, chains::NodeCompileContext& context,
                                         std::string_view name, std::string fallback) {
  const SpecValue* value = chains::nodes::FindField(spec.with, name);
  if (value == nullptr) return fallback;
  if (!chains::nodes::IsLiteralString(*value)) {
    context.Error(value->pos, Literally(name, "a plain string"));
    return std::nullopt;
  }
  return value->string_value;
}

std::optional<double> LiteralNumber(const chains::NodeSpec& spec, chains::NodeCompileContext& context,
                                    std::string_view name, double fallback, double min, double max) {
  const SpecValue* value = chains::nodes::FindField(spec.with, name);
  if (value == nullptr) return fallback;
  double number = 0;
  if (value->kind == SpecValue::Kind::kInt) {
    number = static_cast<double>(value->int_value);
  } else if (value->kind == SpecValue::Kind::kFloat) {
    number = value->float_value;
  } else {
    context.Error(value->pos, Literally(name, "a number"));
    return std::nullopt;
  }
  if (number < min || number > max) {
    context.Error(value->pos, absl::StrCat("parameter '", std::string(name), "' = ", number, " must be in [", min,
                                           ", ", max, "]"));
    return std::nullopt;
  }
  return number;
}

std::optional<bool> LiteralBool(const chains::NodeSpec& spec, chains::NodeCompileContext& context,
                                std::string_view name, bool fallback) {
  const SpecValue* value = chains::nodes::FindField(spec.with, name);
  if (value == nullptr) return fallback;
  if (value->kind != SpecValue::Kind::kBool) {
    context.Error(value->pos, Literally(name, "true or false"));
    return std::nullopt;
  }
  return value->bool_value;
}

const std::string* ItemText(const tmpl::Value& item) {
  if (item.is_string()) return &item.string_value();
  if (!item.is_dict()) return nullptr;
  for (const char* field : {"text", "content"}) {
    const tmpl::Value* text = item.map().Find(field);
    if (text != nullptr && text->is_string()) return &text->string_value();
  }
  return nullptr;
}

tmpl::Value WithItemText(const tmpl::Value& item, std::string text) {
  if (!item.is_dict()) return tmpl::Value(std::move(text));
  const tmpl::Value* has_text = item.map().Find("text");
  const char* field = has_text != nullptr && has_text->is_string() ? "text" : "content";
  tmpl::Value out = tmpl::Value::Dict();
  for (const auto& [key, value] : item.map().entries()) {
    if (key.is_string()) out.map().Set(key.string_value(), value);
  }
  out.map().Set(field, std::move(text));
  return out;
}

absl::StatusOr<std::vector<tmpl::Value>> Items(const tmpl::Value& params, std::string_view name) {
  const tmpl::Value* value = chains::nodes::FindParam(params, name);
  if (value == nullptr) return std::vector<tmpl::Value>{};
  if (value->is_string()) return std::vector<tmpl::Value>{*value};
  if (!value->is_list()) {
    return absl::InvalidArgumentError(absl::StrCat("parameter '", std::string(name),
                                                   "' must be a list of strings or of dicts with text/content"));
  }
  return value->list().items;
}

}  // namespace catena::agents::guard
