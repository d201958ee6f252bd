// Built-in registries of the template engine (filters, tests, globals), argument binding and the global
// functions range, namespace, dict, cycler, joiner and raise_exception.
#include "common/template/builtins.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>

#include "common/status.h"
#include "common/template/ops.h"
#include "common/template/text.h"

namespace catena::tmpl {
namespace {

template <typename Fn>
using Table = std::map<std::string, Fn, std::less<>>;

const Table<FilterFn>& Filters() {
  static const Table<FilterFn>* table = [] {
    std::vector<std::pair<std::string_view, FilterFn>> entries;
    RegisterStringFilters(&entries);
    RegisterSequenceFilters(&entries);
    auto* map = new Table<FilterFn>();
    for (const auto& [name, fn] : entries) map->emplace(name, fn);
    return map;
  }();
  return *table;
}

const Table<TestFn>& Tests() {
  static const Table<TestFn>* table = [] {
    std::vector<std::pair<std::string_view, TestFn>> entries;
    RegisterTests(&entries);
    auto* map = new Table<TestFn>();
    for (const auto& [name, fn] : entries) map->emplace(name, fn);
    return map;
  }();
  return *table;
}

absl::StatusOr<Value> Range(CallContext& ctx, CallArgs args) {
  if (!args.keyword.empty()) return absl::InvalidArgumentError("range() takes no keyword arguments");
  if (args.positional.empty() || args.positional.size() > 3) {
    return absl::InvalidArgumentError("range expected 1 to 3 arguments");
  }
  int64_t bounds[3] = {0, 0, 1};
  for (size_t i = 0; i < args.positional.size(); ++i) {
    const Value& v = args.positional[i];
    if (!v.is_int() && !v.is_bool()) {
      return absl::InvalidArgumentError(text::Cat("'", TypeName(v), "' object cannot be interpreted as an integer"));
    }
    bounds[args.positional.size() == 1 ? 1 : i] = v.int_value();
  }
  const auto [start, stop, step] = bounds;
  if (step == 0) return absl::InvalidArgumentError("range() arg 3 must not be zero");
  const double count_d =
      std::ceil((static_cast<double>(stop) - static_cast<double>(start)) / static_cast<double>(step));
  const int64_t count = count_d > 0 ? static_cast<int64_t>(count_d) : 0;
  if (count > ctx.options().max_range_size) {
    return absl::ResourceExhaustedError(
        text::Cat("range() of ", count, " items exceeds the limit of ", ctx.options().max_range_size));
  }
  std::vector<Value> items;
  items.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) items.emplace_back(start + i * step);
  return Value::List(std::move(items));
}

// Copies a mapping argument and keyword arguments into `out` (dict() and namespace()).
absl::Status FillMapping(const CallArgs& args, std::string_view fn, Value* out) {
  if (args.positional.size() > 1)
    return absl::InvalidArgumentError(text::Cat(fn, "() takes at most 1 positional argument"));
  if (args.positional.size() == 1) {
    const Value& init = args.positional[0];
    if (init.is_map()) {
      for (const auto& [key, value] : init.map().entries()) CATENA_RETURN_IF_ERROR(out->map().SetKey(key, value));
    } else if (init.is_list()) {
      for (const Value& pair : init.list().items) {
        if (!pair.is_list() || pair.list().items.size() != 2) {
          return absl::InvalidArgumentError(text::Cat(fn, "() sequence elements must be pairs"));
        }
        CATENA_RETURN_IF_ERROR(out->map().SetKey(pair.list().items[0], pair.list().items[1]));
      }
    } else if (!init.is_undefined()) {
      return absl::InvalidArgumentError(text::Cat("'", TypeName(init), "' object is not a mapping"));
    }
  }
  for (const auto& [key, value] : args.keyword) out->map().Set(key, value);
  return absl::OkStatus();
}

absl::StatusOr<Value> MakeDict(CallContext&, CallArgs args) {
  Value out = Value::Dict();
  CATENA_RETURN_IF_ERROR(FillMapping(args, "dict", &out));
  return out;
}

absl::StatusOr<Value> MakeNamespace(CallContext&, CallArgs args) {
  Value out = Value::Dict(ObjectKind::kNamespace);
  CATENA_RETURN_IF_ERROR(FillMapping(args, "namespace", &out));
  return out;
}

absl::StatusOr<Value> RaiseException(CallContext& ctx, CallArgs args) {
  std::string message = "raise_exception() called";
  if (!args.positional.empty()) {
    CATENA_ASSIGN_OR_RETURN(message, ctx.Str(args.positional[0]));
  }
  return absl::InvalidArgumentError(message);
}

// cycler(*items): an object whose next() returns the items in turn and reset() starts over.
absl::StatusOr<Value> MakeCycler(CallContext&, CallArgs args) {
  if (args.positional.empty()) return absl::InvalidArgumentError("at least one item has to be provided");
  Value obj = Value::Dict(ObjectKind::kObject);
  auto items = std::make_shared<std::vector<Value>>(std::move(args.positional));
  auto position = std::make_shared<size_t>(0);
  obj.map().Set("next", Value::Builtin("next", [items, position](CallContext&, CallArgs) -> absl::StatusOr<Value> {
                  Value current = (*items)[*position];
                  *position = (*position + 1) % items->size();
                  return current;
                }));
  obj.map().Set("reset", Value::Builtin("reset", [position](CallContext&, CallArgs) -> absl::StatusOr<Value> {
                  *position = 0;
                  return Value::None();
                }));
  return obj;
}

// joiner(sep=", "): returns "" on the first call and `sep` afterwards.
absl::StatusOr<Value> MakeJoiner(CallContext&, CallArgs args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("joiner", args, {"sep"}));
  CATENA_ASSIGN_OR_RETURN(std::string sep, bound.String(0, ", "));
  auto used = std::make_shared<bool>(false);
  return Value::Builtin("joiner", [sep, used](CallContext&, CallArgs) -> absl::StatusOr<Value> {
    if (!*used) {
      *used = true;
      return Value("");
    }
    return Value(sep);
  });
}

const std::map<std::string, Value, std::less<>>& Globals() {
  static const auto* globals = new std::map<std::string, Value, std::less<>>{
      {"range", Value::Builtin("range", Range)},
      {"dict", Value::Builtin("dict", MakeDict)},
      {"namespace", Value::Builtin("namespace", MakeNamespace)},
      {"cycler", Value::Builtin("cycler", MakeCycler)},
      {"joiner", Value::Builtin("joiner", MakeJoiner)},
      {"raise_exception", Value::Builtin("raise_exception", RaiseException)},
  };
  return *globals;
}

}  // namespace

FilterFn FindFilter(std::string_view name) {
  auto it = Filters().find(name);
  return it == Filters().end() ? nullptr : it->second;
}

TestFn FindTest(std::string_view name) {
  auto it = Tests().find(name);
  return it == Tests().end() ? nullptr : it->second;
}

const Value* FindGlobal(std::string_view name) {
  auto it = Globals().find(name);
  return it == Globals().end() ? nullptr : &it->second;
}

absl::StatusOr<BoundArgs> BoundArgs::Bind(std::string_view fn, const CallArgs& args,
                                          std::initializer_list<std::string_view> params) {
  BoundArgs bound;
  bound.fn_ = std::string(fn);
  bound.names_.assign(params.begin(), params.end());
  bound.values_.resize(params.size());
  if (args.positional.size() > params.size()) {
    return absl::InvalidArgumentError(
        text::Cat(fn, "() takes at most ", params.size(), " argument(s), ", args.positional.size(), " given"));
  }
  for (size_t i = 0; i < args.positional.size(); ++i) bound.values_[i] = args.positional[i];
  for (const auto& [key, value] : args.keyword) {
    auto it = std::find(bound.names_.begin(), bound.names_.end(), key);
    if (it == bound.names_.end()) {
      return absl::InvalidArgumentError(text::Cat(fn, "() got an unexpected keyword argument '", key, "'"));
    }
    const auto index = static_cast<size_t>(it - bound.names_.begin());
    if (bound.values_[index].has_value()) {
      return absl::InvalidArgumentError(text::Cat(fn, "() got multiple values for argument '", key, "'"));
    }
    bound.values_[index] = value;
  }
  return bound;
}

const Value& BoundArgs::Get(size_t i) const {
  static const Value* missing = new Value();
  return Has(i) ? *values_[i] : *missing;
}

absl::StatusOr<int64_t> BoundArgs::Int(size_t i, int64_t fallback) const {
  if (!Has(i) || values_[i]->is_none()) return fallback;
  if (!values_[i]->is_int() && !values_[i]->is_bool()) {
    return absl::InvalidArgumentError(
        text::Cat(fn_, "(): argument '", names_[i], "' must be an integer, not ", TypeName(*values_[i])));
  }
  return values_[i]->int_value();
}

absl::StatusOr<std::string> BoundArgs::String(size_t i, std::string fallback) const {
  if (!Has(i)) return fallback;
  if (!values_[i]->is_string()) {
    return absl::InvalidArgumentError(
        text::Cat(fn_, "(): argument '", names_[i], "' must be a string, not ", TypeName(*values_[i])));
  }
  return values_[i]->string_value();
}

absl::StatusOr<int64_t> Length(CallContext& ctx, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      if (ctx.options().strict_undefined) return UndefinedError(v);
      return 0;
    case Value::Kind::kString:
      return static_cast<int64_t>(text::CodePointCount(v.string_value()));
    case Value::Kind::kList:
      return static_cast<int64_t>(v.list().items.size());
    case Value::Kind::kMap:
      if (v.is_dict()) return static_cast<int64_t>(v.map().size());
      break;
    default:
      break;
  }
  return absl::InvalidArgumentError(text::Cat("object of type '", TypeName(v), "' has no len()"));
}

absl::StatusOr<Value> GetAttributePath(CallContext& ctx, const Value& obj, std::string_view path) {
  Value current = obj;
  for (std::string_view part : text::Split(path, '.')) {
    if (current.is_undefined()) return UndefinedError(current);
    const bool numeric = !part.empty() && part.size() < 18 &&
                         std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    current = numeric ? LookupItem(current, Value(std::stoll(std::string(part)))) : LookupItem(current, Value(part));
    if (current.is_undefined()) current = Value::Undefined(std::string(part));
  }
  return current;
}

absl::StatusOr<bool> ApplyTest(CallContext& ctx, std::string_view name, const Value& v, const CallArgs& args) {
  TestFn test = FindTest(name);
  if (test == nullptr) return absl::InvalidArgumentError(text::Cat("unknown test '", name, "'"));
  return test(ctx, v, args);
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace catena::tmpl
