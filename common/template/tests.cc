// Tests of the template engine (`x is defined`, `x is divisibleby 3`), with jinja2 semantics.
#include "common/status.h"
#include "common/template/builtins.h"
#include "common/template/ops.h"
#include "common/template/text.h"

namespace catena::tmpl {
namespace {

using TestTable = std::vector<std::pair<std::string_view, TestFn>>;

// Adapts a predicate on the value alone into a test that takes no arguments.
template <bool (*Pred)(const Value&)>
absl::StatusOr<bool> Simple(CallContext&, const Value& v, const CallArgs& args) {
  CATENA_RETURN_IF_ERROR(BoundArgs::Bind("test", args, {}).status());
  return Pred(v);
}

bool IsDefined(const Value& v) { return !v.is_undefined(); }
bool IsUndefined(const Value& v) { return v.is_undefined(); }
bool IsNone(const Value& v) { return v.is_none(); }
bool IsBoolean(const Value& v) { return v.is_bool(); }
bool IsTrue(const Value& v) { return v.is_bool() && v.bool_value(); }
bool IsFalse(const Value& v) { return v.is_bool() && !v.bool_value(); }
bool IsInteger(const Value& v) { return v.is_int(); }
bool IsFloat(const Value& v) { return v.is_float(); }
bool IsNumber(const Value& v) { return v.is_number(); }
bool IsString(const Value& v) { return v.is_string(); }
bool IsMapping(const Value& v) { return v.is_dict(); }
// jinja2 checks len() and __getitem__, which Undefined has too.
bool IsSequence(const Value& v) { return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined(); }
bool IsIterable(const Value& v) { return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined(); }
// Like Python callable(): jinja2's Undefined defines __call__ (which raises), so it counts as callable.
bool IsCallable(const Value& v) {
  return v.is_callable() || v.is_undefined() || (v.is_map() && v.map().Find("__call__") != nullptr);
}
bool IsEscaped(const Value&) { return false; }

// Python str.islower() / str.isupper(): at least one cased character and no character of the other case.
// jinja2's lower/upper tests: str(value).islower() / .isupper().
bool HasCase(const Value& v, bool lower) {
  const std::string s = ToStr(v);
  bool cased = false;
  size_t pos = 0;
  while (pos < s.size()) {
    const uint32_t cp = text::DecodeOne(s, &pos);
    if (lower ? text::IsUpperCase(cp) : text::IsLowerCase(cp)) return false;
    cased = cased || text::IsCased(cp);
  }
  return cased;
}
bool IsLower(const Value& v) { return HasCase(v, true); }
bool IsUpper(const Value& v) { return HasCase(v, false); }

// jinja2 computes odd/even/divisibleby as `value % n`, so floats work and strings fail like Python.
absl::StatusOr<bool> ModuloIs(CallContext& ctx, const Value& v, const Value& divisor, int64_t expected) {
  CATENA_ASSIGN_OR_RETURN(Value mod, BinaryOp(ctx, "%", v, divisor));
  return Equals(mod, Value(expected));
}

absl::StatusOr<bool> Odd(CallContext& ctx, const Value& v, const CallArgs& args) {
  CATENA_RETURN_IF_ERROR(BoundArgs::Bind("odd", args, {}).status());
  return ModuloIs(ctx, v, Value(2), 1);
}

absl::StatusOr<bool> Even(CallContext& ctx, const Value& v, const CallArgs& args) {
  CATENA_RETURN_IF_ERROR(BoundArgs::Bind("even", args, {}).status());
  return ModuloIs(ctx, v, Value(2), 0);
}

absl::StatusOr<bool> DivisibleBy(CallContext& ctx, const Value& v, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("divisibleby", args, {"num"}));
  return ModuloIs(ctx, v, bound.Get(0), 0);
}

absl::StatusOr<Value> OneArg(const CallArgs& args, std::string_view name) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind(name, args, {"other"}));
  if (!bound.Has(0)) return absl::InvalidArgumentError(text::Cat("test '", name, "' needs an argument"));
  return bound.Get(0);
}

absl::Status CheckDefined(CallContext& ctx, const Value& a, const Value& b) {
  if (!ctx.options().strict_undefined) return absl::OkStatus();
  if (a.is_undefined()) return UndefinedError(a);
  if (b.is_undefined()) return UndefinedError(b);
  return absl::OkStatus();
}

absl::StatusOr<bool> Eq(CallContext& ctx, const Value& v, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(Value other, OneArg(args, "eq"));
  CATENA_RETURN_IF_ERROR(CheckDefined(ctx, v, other));
  return Equals(v, other);
}

absl::StatusOr<bool> Ne(CallContext& ctx, const Value& v, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(bool eq, Eq(ctx, v, args));
  return !eq;
}

// Ordering tests: `lt`, `le`, `gt`, `ge`.
template <int kSign, bool kOrEqual>
absl::StatusOr<bool> Order(CallContext& ctx, const Value& v, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(Value other, OneArg(args, "comparison"));
  if (v.is_undefined()) return UndefinedError(v);
  if (other.is_undefined()) return UndefinedError(other);
  CATENA_ASSIGN_OR_RETURN(const int c, Compare(v, other));
  return c * kSign > 0 || (kOrEqual && c == 0);
}

absl::StatusOr<bool> In(CallContext& ctx, const Value& v, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(Value container, OneArg(args, "in"));
  return Contains(ctx, container, v);
}

absl::StatusOr<bool> SameAs(CallContext&, const Value& v, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(Value other, OneArg(args, "sameas"));
  if (v.identity() != nullptr || other.identity() != nullptr) return v.identity() == other.identity();
  return v.kind() == other.kind() && Equals(v, other);
}

absl::StatusOr<bool> FilterExists(CallContext&, const Value& v, const CallArgs&) {
  return v.is_string() && FindFilter(v.string_value()) != nullptr;
}

absl::StatusOr<bool> TestExists(CallContext&, const Value& v, const CallArgs&) {
  return v.is_string() && FindTest(v.string_value()) != nullptr;
}

}  // namespace

void RegisterTests(TestTable* table) {
  table->insert(table->end(), {
                                  {"defined", Simple<IsDefined>},
                                  {"undefined", Simple<IsUndefined>},
                                  {"none", Simple<IsNone>},
                                  {"boolean", Simple<IsBoolean>},
                                  {"true", Simple<IsTrue>},
                                  {"false", Simple<IsFalse>},
                                  {"integer", Simple<IsInteger>},
                                  {"float", Simple<IsFloat>},
                                  {"number", Simple<IsNumber>},
                                  {"string", Simple<IsString>},
                                  {"mapping", Simple<IsMapping>},
                                  {"sequence", Simple<IsSequence>},
                                  {"iterable", Simple<IsIterable>},
                                  {"callable", Simple<IsCallable>},
                                  {"escaped", Simple<IsEscaped>},
                                  {"lower", Simple<IsLower>},
                                  {"upper", Simple<IsUpper>},
                                  {"odd", Odd},
                                  {"even", Even},
                                  {"divisibleby", DivisibleBy},
                                  {"eq", Eq},
                                  {"equalto", Eq},
                                  {"==", Eq},
                                  {"ne", Ne},
                                  {"!=", Ne},
                                  {"lt", Order<-1, false>},
                                  {"lessthan", Order<-1, false>},
                                  {"<", Order<-1, false>},
                                  {"le", Order<-1, true>},
                                  {"<=", Order<-1, true>},
                                  {"gt", Order<1, false>},
                                  {"greaterthan", Order<1, false>},
                                  {">", Order<1, false>},
                                  {"ge", Order<1, true>},
                                  {">=", Order<1, true>},
                                  {"in", In},
                                  {"sameas", SameAs},
                                  {"filter", FilterExists},
                                  {"test", TestExists},
                              });
}

}  // namespace catena::tmpl
