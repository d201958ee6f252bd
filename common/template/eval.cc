// Renderer of the template engine: expression evaluation (see renderer.h).
#include "common/status.h"
#include "common/template/builtins.h"
#include "common/template/ops.h"
#include "common/template/renderer.h"
#include "common/template/text.h"

namespace catena::tmpl {
namespace {

// Dotted path of a name/attribute/constant-index chain ("inputs.question", "items[0]"), or "".
std::string PathOf(const Expr& expr) {
  switch (expr.kind) {
    case ExprKind::kName:
      return As<NameExpr>(expr).name;
    case ExprKind::kGetAttr: {
      const auto& attr = As<GetAttrExpr>(expr);
      const std::string base = PathOf(*attr.object);
      return base.empty() ? attr.attr : text::Cat(base, ".", attr.attr);
    }
    case ExprKind::kGetItem: {
      const auto& item = As<GetItemExpr>(expr);
      const std::string base = PathOf(*item.object);
      if (base.empty() || item.index->kind != ExprKind::kLiteral) return base;
      return text::Cat(base, "[", Repr(As<LiteralExpr>(*item.index).value), "]");
    }
    default:
      return "";
  }
}

}  // namespace

absl::Status UndefinedError(const Value& v) {
  absl::Status status = absl::InvalidArgumentError(
      v.undefined_hint().empty() ? "undefined value used" : text::Cat("'", v.undefined_hint(), "' is undefined"));
  if (v.undefined_line() > 0) return SetOrigin(std::move(status), SourcePos{v.undefined_line(), v.undefined_column()});
  return status;
}

Value Renderer::Lookup(const std::string& name, const ScopePtr& scope) {
  if (const Value* local = scope->Find(name); local != nullptr) return *local;
  if (context_.is_dict()) {
    if (const Value* found = context_.map().Find(name); found != nullptr) return *found;
  }
  if (auto it = options_.globals.find(name); it != options_.globals.end()) {
    if (!it->second.is_list() && !it->second.is_map()) return it->second;
    for (const auto& [copied_name, copy] : global_copies_) {
      if (copied_name == name) return copy;
    }
    global_copies_.emplace_back(name, DeepCopy(it->second));
    return global_copies_.back().second;
  }
  if (const Value* global = FindGlobal(name); global != nullptr) return *global;
  return Value::Undefined(name);
}

absl::StatusOr<Value> Renderer::Eval(const Expr& expr, const ScopePtr& scope) {
  absl::StatusOr<Value> result = EvalImpl(expr, scope);
  if (!result.ok()) return WithLocation(result.status(), options_.name, expr.pos);
  return result;
}

absl::StatusOr<Value> Renderer::EvalImpl(const Expr& expr, const ScopePtr& scope) {
  switch (expr.kind) {
    case ExprKind::kLiteral:
      return As<LiteralExpr>(expr).value;
    case ExprKind::kName:
      return EvalName(As<NameExpr>(expr), scope);
    case ExprKind::kList:
    case ExprKind::kTuple:
      return EvalSequence(As<SequenceExpr>(expr), scope);
    case ExprKind::kDict:
      return EvalDict(As<DictExpr>(expr), scope);
    case ExprKind::kGetAttr:
    case ExprKind::kGetItem:
      return EvalLookup(expr, scope);
    case ExprKind::kSlice:
      return EvalSlice(As<SliceExpr>(expr), scope);
    case ExprKind::kCall:
      return EvalCall(As<CallExpr>(expr), scope);
    case ExprKind::kFilter:
      return EvalFilter(As<FilterExpr>(expr), scope, nullptr);
    case ExprKind::kTest:
      return EvalTest(As<FilterExpr>(expr), scope);
    case ExprKind::kUnary:
      return EvalUnary(As<UnaryExpr>(expr), scope);
    case ExprKind::kBinary:
    case ExprKind::kAnd:
    case ExprKind::kOr:
      return EvalBinary(As<BinaryExpr>(expr), scope);
    case ExprKind::kCompare:
      return EvalCompare(As<CompareExpr>(expr), scope);
    case ExprKind::kCondExpr:
      return EvalCond(As<CondExpr>(expr), scope);
  }
  return absl::InternalError("unknown expression kind");
}

absl::StatusOr<Value> Renderer::EvalName(const NameExpr& expr, const ScopePtr& scope) {
  Value value = Lookup(expr.name, scope);
  if (value.is_undefined()) return Value::Undefined(expr.name, expr.pos.line, expr.pos.column);
  return value;
}

absl::StatusOr<Value> Renderer::EvalCall(const CallExpr& expr, const ScopePtr& scope) {
  CATENA_ASSIGN_OR_RETURN(Value callee, Eval(*expr.callee, scope));
  CATENA_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(expr.args, scope));
  return Call(callee, std::move(args));
}

absl::StatusOr<Value> Renderer::EvalTest(const FilterExpr& expr, const ScopePtr& scope) {
  CATENA_ASSIGN_OR_RETURN(Value input, Eval(*expr.input, scope));
  CATENA_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(expr.args, scope));
  CATENA_ASSIGN_OR_RETURN(bool result, ApplyTest(*this, expr.name, input, args));
  return Value(result);
}

absl::StatusOr<Value> Renderer::EvalCond(const CondExpr& expr, const ScopePtr& scope) {
  CATENA_ASSIGN_OR_RETURN(Value test, Eval(*expr.cond, scope));
  CATENA_ASSIGN_OR_RETURN(bool taken, Truth(test));
  if (taken) return Eval(*expr.then, scope);
  if (expr.otherwise == nullptr) return Value::Undefined(PathOf(*expr.then), expr.pos.line, expr.pos.column);
  return Eval(*expr.otherwise, scope);
}

absl::StatusOr<Value> Renderer::EvalSequence(const SequenceExpr& expr, const ScopePtr& scope) {
  std::vector<Value> items;
  items.reserve(expr.items.size());
  for (const ExprPtr& item : expr.items) {
    CATENA_ASSIGN_OR_RETURN(Value value, Eval(*item, scope));
    items.push_back(std::move(value));
  }
  return expr.kind == ExprKind::kTuple ? Value::Tuple(std::move(items)) : Value::List(std::move(items));
}

absl::StatusOr<Value> Renderer::EvalDict(const DictExpr& expr, const ScopePtr& scope) {
  Value dict = Value::Dict();
  for (const auto& [key_expr, value_expr] : expr.items) {
    CATENA_ASSIGN_OR_RETURN(Value key, Eval(*key_expr, scope));
    CATENA_ASSIGN_OR_RETURN(Value value, Eval(*value_expr, scope));
    CATENA_RETURN_IF_ERROR(dict.map().SetKey(std::move(key), std::move(value)));
  }
  return dict;
}

absl::StatusOr<Value> Renderer::EvalLookup(const Expr& expr, const ScopePtr& scope) {
  const bool is_attr = expr.kind == ExprKind::kGetAttr;
  const Expr& object_expr = is_attr ? *As<GetAttrExpr>(expr).object : *As<GetItemExpr>(expr).object;
  CATENA_ASSIGN_OR_RETURN(Value object, Eval(object_expr, scope));
  if (object.is_undefined()) return UndefinedError(object);
  Value result;
  if (is_attr) {
    result = LookupAttr(object, As<GetAttrExpr>(expr).attr);
  } else {
    CATENA_ASSIGN_OR_RETURN(Value key, Eval(*As<GetItemExpr>(expr).index, scope));
    result = LookupItem(object, key);
  }
  if (result.is_undefined()) return Value::Undefined(PathOf(expr), expr.pos.line, expr.pos.column);
  return result;
}

absl::StatusOr<Value> Renderer::EvalSlice(const SliceExpr& expr, const ScopePtr& scope) {
  CATENA_ASSIGN_OR_RETURN(Value object, Eval(*expr.object, scope));
  Value parts[3];
  const Expr* exprs[3] = {expr.start.get(), expr.stop.get(), expr.step.get()};
  for (int i = 0; i < 3; ++i) {
    if (exprs[i] == nullptr) continue;
    CATENA_ASSIGN_OR_RETURN(parts[i], Eval(*exprs[i], scope));
  }
  return SliceValue(object, parts[0], parts[1], parts[2]);
}

absl::StatusOr<Value> Renderer::EvalUnary(const UnaryExpr& expr, const ScopePtr& scope) {
  CATENA_ASSIGN_OR_RETURN(Value operand, Eval(*expr.operand, scope));
  if (expr.op == "not") {
    CATENA_ASSIGN_OR_RETURN(bool truth, Truth(operand));
    return Value(!truth);
  }
  return UnaryOp(operand, expr.op == "-");
}

absl::StatusOr<Value> Renderer::EvalBinary(const BinaryExpr& expr, const ScopePtr& scope) {
  CATENA_ASSIGN_OR_RETURN(Value lhs, Eval(*expr.lhs, scope));
  if (expr.kind == ExprKind::kAnd || expr.kind == ExprKind::kOr) {
    CATENA_ASSIGN_OR_RETURN(bool truth, Truth(lhs));
    if (truth == (expr.kind == ExprKind::kOr)) return lhs;
    return Eval(*expr.rhs, scope);
  }
  CATENA_ASSIGN_OR_RETURN(Value rhs, Eval(*expr.rhs, scope));
  if (expr.op == "~") {
    CATENA_ASSIGN_OR_RETURN(std::string left, Str(lhs));
    CATENA_ASSIGN_OR_RETURN(std::string right, Str(rhs));
    CATENA_RETURN_IF_ERROR(CheckSize(left.size() + right.size()));
    return Value(left + right);
  }
  return BinaryOp(*this, expr.op, lhs, rhs);
}

absl::StatusOr<bool> Renderer::CompareOnce(std::string_view op, const Value& lhs, const Value& rhs) {
  const bool strict = options_.strict_undefined;
  if (op == "in" || op == "notin") {
    if (strict && lhs.is_undefined()) return UndefinedError(lhs);
    CATENA_ASSIGN_OR_RETURN(bool found, Contains(*this, rhs, lhs));
    return found == (op == "in");
  }
  if (op == "==" || op == "!=") {
    if (strict && lhs.is_undefined()) return UndefinedError(lhs);
    if (strict && rhs.is_undefined()) return UndefinedError(rhs);
    return Equals(lhs, rhs) == (op == "==");
  }
  if (lhs.is_undefined()) return UndefinedError(lhs);
  if (rhs.is_undefined()) return UndefinedError(rhs);
  CATENA_ASSIGN_OR_RETURN(const int c, Compare(lhs, rhs));
  if (op == "<") return c < 0;
  if (op == "<=") return c <= 0;
  if (op == ">") return c > 0;
  return c >= 0;
}

absl::StatusOr<Value> Renderer::EvalCompare(const CompareExpr& expr, const ScopePtr& scope) {
  CATENA_ASSIGN_OR_RETURN(Value lhs, Eval(*expr.first, scope));
  for (const auto& [op, rhs_expr] : expr.rest) {
    CATENA_ASSIGN_OR_RETURN(Value rhs, Eval(*rhs_expr, scope));
    CATENA_ASSIGN_OR_RETURN(bool holds, CompareOnce(op, lhs, rhs));
    if (!holds) return Value(false);
    lhs = std::move(rhs);
  }
  return Value(true);
}

absl::StatusOr<CallArgs> Renderer::EvalArgs(const ArgExprs& args, const ScopePtr& scope) {
  CallArgs out;
  out.positional.reserve(args.positional.size());
  for (const ExprPtr& arg : args.positional) {
    CATENA_ASSIGN_OR_RETURN(Value value, Eval(*arg, scope));
    out.positional.push_back(std::move(value));
  }
  for (const auto& [name, arg] : args.keyword) {
    CATENA_ASSIGN_OR_RETURN(Value value, Eval(*arg, scope));
    out.keyword.emplace_back(name, std::move(value));
  }
  return out;
}

absl::StatusOr<Value> Renderer::EvalFilter(const FilterExpr& expr, const ScopePtr& scope, const Value* implicit) {
  Value input;
  if (expr.input == nullptr) {
    if (implicit == nullptr) return absl::InternalError("filter without input");
    input = *implicit;
  } else if (expr.input->kind == ExprKind::kFilter && implicit != nullptr) {
    CATENA_ASSIGN_OR_RETURN(input, EvalFilter(As<FilterExpr>(*expr.input), scope, implicit));
  } else {
    CATENA_ASSIGN_OR_RETURN(input, Eval(*expr.input, scope));
  }
  CATENA_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(expr.args, scope));
  FilterFn filter = FindFilter(expr.name);
  if (filter == nullptr) return absl::InvalidArgumentError(text::Cat("unknown filter '", expr.name, "'"));
  absl::StatusOr<Value> result = filter(*this, input, args);
  if (!result.ok()) return WithLocation(result.status(), options_.name, expr.pos);
  return result;
}

absl::StatusOr<Value> Renderer::ApplyFilterChain(const std::vector<ExprPtr>& chain, const ScopePtr& scope,
                                                 Value input) {
  for (const ExprPtr& filter : chain) {
    CATENA_ASSIGN_OR_RETURN(input, EvalFilter(As<FilterExpr>(*filter), scope, &input));
  }
  return input;
}

}  // namespace catena::tmpl
