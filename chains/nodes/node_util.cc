#include "chains/nodes/node_util.h"

#include <cmath>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/call_deadline.h"
#include "common/status.h"

namespace catena::chains::nodes {
namespace {

absl::Status WrongType(std::string_view name, std::string_view wanted, const tmpl::Value& value) {
  return absl::InvalidArgumentError(absl::StrCat("parameter '", std::string(name), "' must be ", std::string(wanted),
                                                 ", got ", tmpl::TypeName(value), " ",
                                                 tmpl::Repr(value).substr(0, 80)));
}

absl::Status OutOfRange(std::string_view name, double value, double min, double max) {
  return absl::InvalidArgumentError(absl::StrCat("parameter '", std::string(name), "' = ", value, " must be in [",
                                                 min, ", ", max, "]"));
}

std::string JoinViews(std::initializer_list<std::string_view> views) {
  std::string out;
  for (std::string_view view : views) {
    if (!out.empty()) out += ", ";
    out += view;
  }
  return out;
}

std::string RoleOf(const tmpl::Value& role) { return role.is_string() ? role.string_value() : ""; }

}  // namespace

const tmpl::Value* FindParam(const tmpl::Value& params, std::string_view name) {
  if (!params.is_map()) return nullptr;
  const tmpl::Value* value = params.map().Find(name);
  if (value == nullptr || value->is_undefined() || value->is_none()) return nullptr;
  return value;
}

absl::StatusOr<std::string> GetString(const tmpl::Value& params, std::string_view name, std::string fallback) {
  const tmpl::Value* value = FindParam(params, name);
  if (value == nullptr) return fallback;
  if (!value->is_string()) return WrongType(name, "a string", *value);
  return value->string_value();
}

absl::StatusOr<std::string> RequireString(const tmpl::Value& params, std::string_view name) {
  CATENA_ASSIGN_OR_RETURN(std::string value, GetString(params, name));
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("parameter '", std::string(name), "' is required (got nothing)"));
  }
  return value;
}

absl::StatusOr<int64_t> GetInt(const tmpl::Value& params, std::string_view name, int64_t fallback, int64_t min,
                               int64_t max) {
  const tmpl::Value* value = FindParam(params, name);
  if (value == nullptr) return fallback;
  int64_t result = 0;
  if (value->is_int()) {
    result = value->int_value();
  } else if (value->is_float() && std::floor(value->float_value()) == value->float_value() &&
             std::abs(value->float_value()) < 9e15) {
    result = static_cast<int64_t>(value->float_value());
  } else if (!(value->is_string() && absl::SimpleAtoi(value->string_value(), &result))) {
    return WrongType(name, "an int", *value);
  }
  if (result < min || result > max) return OutOfRange(name, static_cast<double>(result), min, max);
  return result;
}

absl::StatusOr<double> GetNumber(const tmpl::Value& params, std::string_view name, double fallback, double min,
                                 double max) {
  const tmpl::Value* value = FindParam(params, name);
  if (value == nullptr) return fallback;
  double result = 0;
  if (value->is_int() || value->is_float()) {
    result = value->AsDouble();
  } else if (!(value->is_string() && absl::SimpleAtod(value->string_value(), &result))) {
    return WrongType(name, "a number", *value);
  }
  if (!(result >= min && result <= max)) return OutOfRange(name, result, min, max);
  return result;
}

absl::StatusOr<bool> GetBool(const tmpl::Value& params, std::string_view name, bool fallback) {
  const tmpl::Value* value = FindParam(params, name);
  if (value == nullptr) return fallback;
  if (!value->is_bool()) return WrongType(name, "a bool", *value);
  return value->bool_value();
}

absl::StatusOr<tmpl::Value> GetList(const tmpl::Value& params, std::string_view name) {
  const tmpl::Value* value = FindParam(params, name);
  if (value == nullptr) return tmpl::Value::List();
  if (!value->is_list()) return WrongType(name, "a list", *value);
  return *value;
}

absl::StatusOr<std::vector<std::string>> GetStringList(const tmpl::Value& params, std::string_view name) {
  CATENA_ASSIGN_OR_RETURN(tmpl::Value list, GetList(params, name));
  std::vector<std::string> out;
  for (size_t i = 0; i < list.list().items.size(); ++i) {
    const tmpl::Value& item = list.list().items[i];
    if (!item.is_string()) return WrongType(absl::StrCat(std::string(name), "[", i, "]"), "a string", item);
    out.push_back(item.string_value());
  }
  return out;
}

absl::StatusOr<tmpl::Value> GetMap(const tmpl::Value& params, std::string_view name) {
  const tmpl::Value* value = FindParam(params, name);
  if (value == nullptr) return tmpl::Value();
  if (!value->is_map()) return WrongType(name, "a mapping", *value);
  return *value;
}

absl::Status CheckChoice(std::string_view name, const std::string& value,
                         std::initializer_list<std::string_view> choices) {
  for (std::string_view choice : choices) {
    if (value == choice) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("parameter '", std::string(name), "' must be one of ",
                                                 JoinViews(choices), "; got '", value, "'"));
}

absl::Status NeedService(const void* pointer, std::string_view service) {
  if (pointer != nullptr) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("the ", std::string(service), " service is not configured for pipeline runs"));
}

tmpl::Value MakeDict(std::vector<std::pair<std::string, tmpl::Value>> fields) {
  tmpl::Value dict = tmpl::Value::Dict();
  for (auto& [key, value] : fields) dict.map().Set(key, std::move(value));
  return dict;
}

tmpl::Value WithRoot(const tmpl::Value& base, std::string_view key, tmpl::Value value) {
  tmpl::Value dict = tmpl::Value::Dict();
  if (base.is_map()) {
    for (const auto& [k, v] : base.map().entries()) (void)dict.map().SetKey(k, v);
  }
  dict.map().Set(key, std::move(value));
  return dict;
}

absl::StatusOr<std::string> ToJsonText(const tmpl::Value& value, std::string_view what) {
  auto json = tmpl::ToOrderedJson(value);
  if (!json.ok()) return Annotate(json.status(), std::string(what));
  return json->dump();
}

absl::StatusOr<std::vector<ChatMessage>> MessagesFromValue(const tmpl::Value& list, std::string_view param) {
  if (!list.is_list()) return WrongType(param, "a list of {role, content} messages", list);
  std::vector<ChatMessage> messages;
  for (size_t i = 0; i < list.list().items.size(); ++i) {
    const tmpl::Value& item = list.list().items[i];
    const std::string where = absl::StrCat(std::string(param), "[", i, "]");
    if (!item.is_map()) return WrongType(where, "a {role, content} mapping", item);
    const tmpl::Value* role = item.map().Find("role");
    const std::string role_name = role == nullptr ? "" : RoleOf(*role);
    if (role_name != "system" && role_name != "user" && role_name != "assistant" && role_name != "tool") {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".role must be system, user, assistant or tool; got ",
                       role == nullptr ? "nothing" : tmpl::Repr(*role)));
    }
    const tmpl::Value* content = item.map().Find("content");
    if (content != nullptr && !content->is_string() && !content->is_undefined() && !content->is_none()) {
      return WrongType(where + ".content", "a string", *content);
    }
    ChatMessage message{.role = role_name, .content = content != nullptr && content->is_string()
                                                          ? content->string_value() : ""};
    if (const tmpl::Value* id = item.map().Find("tool_call_id"); id != nullptr && id->is_string()) {
      message.tool_call_id = id->string_value();
    }
    messages.push_back(std::move(message));
  }
  return messages;
}

tmpl::Value MessagesToValue(const std::vector<ChatMessage>& messages) {
  std::vector<tmpl::Value> items;
  for (const ChatMessage& message : messages) {
    items.push_back(MakeDict({{"role", message.role}, {"content", message.content}}));
  }
  return tmpl::Value::List(std::move(items));
}

std::string JoinContents(const std::vector<ChatMessage>& messages) {
  std::vector<std::string> parts;
  for (const ChatMessage& message : messages) {
    if (!message.content.empty()) parts.push_back(message.content);
  }
  return absl::StrJoin(parts, "\n\n");
}

const SpecValue* FindField(const SpecValue& map, std::string_view key) {
  if (!map.is_map()) return nullptr;
  for (const auto& [name, value] : map.fields) {
    if (name == key) return &value;
  }
  return nullptr;
}

bool IsLiteralString(const SpecValue& value) {
  if (!value.is_string()) return false;
  const std::string& s = value.string_value;
  return s.find("{{") == std::string::npos && s.find("{%") == std::string::npos &&
         s.find("{#") == std::string::npos;
}

void CheckLiteralChoice(const NodeSpec& spec, NodeCompileContext& context, std::string_view name,
                        std::initializer_list<std::string_view> choices) {
  const SpecValue* value = FindField(spec.with, name);
  if (value == nullptr || !IsLiteralString(*value)) return;
  absl::Status status = CheckChoice(name, value->string_value, choices);
  if (!status.ok()) context.Error(value->pos, std::string(status.message()));
}

void CheckLiteralRange(const NodeSpec& spec, NodeCompileContext& context, std::string_view name, int64_t min,
                       int64_t max) {
  const SpecValue* value = FindField(spec.with, name);
  if (value == nullptr || value->kind != SpecValue::Kind::kInt) return;
  if (value->int_value < min || value->int_value > max) {
    context.Error(value->pos, absl::StrCat("parameter '", std::string(name), "' = ", value->int_value,
                                           " must be in [", min, ", ", max, "]"));
  }
}

void RequireAnyOf(const NodeSpec& spec, NodeCompileContext& context, std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    if (FindField(spec.with, name) != nullptr) return;
  }
  context.Error(spec.type_pos, absl::StrCat("node type '", spec.type, "' needs one of these parameters: ",
                                            JoinViews(names)));
}

namespace {

class SyncNode final : public NodeImpl {
 public:
  explicit SyncNode(SyncBody body) : body_(std::move(body)) {}
  void Start(NodeCall& call) const override {
    // Remote clients (remote/) bound their calls by the run's deadline.
    absl::StatusOr<tmpl::Value> result = [&] {
      ScopedCallDeadline deadline(call.deadline());
      return body_(call);
    }();
    call.Finish(std::move(result));
  }

 private:
  SyncBody body_;
};

}  // namespace

std::unique_ptr<NodeImpl> MakeSyncNode(SyncBody body) { return std::make_unique<SyncNode>(std::move(body)); }

CompileFn SyncCompile(SyncBody body) {
  return [body = std::move(body)](const NodeSpec&, NodeCompileContext&) { return MakeSyncNode(body); };
}

}  // namespace catena::chains::nodes
