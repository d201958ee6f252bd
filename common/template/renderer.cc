// Renderer of the template engine: statements, loops, macros, scoping and resource limits (see renderer.h).
#include "common/template/renderer.h"

#include <algorithm>

#include "common/status.h"
#include "common/template/builtins.h"
#include "common/template/ops.h"
#include "common/template/text.h"

namespace catena::tmpl {
namespace {

// Loop attributes that change every iteration, stored first in the loop object in this order.
constexpr const char* kLoopFields[] = {"index0", "index", "revindex0", "revindex",
                                       "first",  "last",  "previtem",  "nextitem"};

absl::Status LimitError(std::string_view what, int64_t limit) {
  return absl::ResourceExhaustedError(text::Cat(what, " (limit ", limit, ")"));
}

}  // namespace

const Value* Scope::Find(std::string_view name) const {
  for (const Scope* scope = this; scope != nullptr; scope = scope->parent.get()) {
    for (auto it = scope->vars.rbegin(); it != scope->vars.rend(); ++it) {
      if (it->first == name) return &it->second;
    }
  }
  return nullptr;
}

void Scope::Set(std::string_view name, Value value) {
  for (auto& [key, existing] : vars) {
    if (key == name) {
      existing = std::move(value);
      return;
    }
  }
  vars.emplace_back(std::string(name), std::move(value));
}

Renderer::Renderer(const TemplateOptions& options, Value context, std::shared_ptr<const TemplateAst> ast)
    : options_(options), context_(std::move(context)), ast_(std::move(ast)) {}

absl::StatusOr<std::string> Renderer::RenderTemplate() {
  if (!context_.is_undefined() && !context_.is_none() && !context_.is_dict()) {
    return absl::InvalidArgumentError(
        text::Cat(options_.name, ": render context must be a mapping, got ", TypeName(context_)));
  }
  std::string output;
  out_ = &output;
  auto root = std::make_shared<Scope>(nullptr);
  CATENA_RETURN_IF_ERROR(ExecBody(ast_->body, root).status());
  out_ = nullptr;
  return output;
}

absl::StatusOr<Value> Renderer::EvaluateExpression(const Expr& expr) {
  if (!context_.is_undefined() && !context_.is_none() && !context_.is_dict()) {
    return absl::InvalidArgumentError(
        text::Cat(options_.name, ": evaluation context must be a mapping, got ", TypeName(context_)));
  }
  std::string sink;
  out_ = &sink;
  return Eval(expr, std::make_shared<Scope>(nullptr));
}

absl::StatusOr<std::string> Renderer::Str(const Value& v) {
  if (v.is_undefined() && options_.strict_undefined) return UndefinedError(v);
  return ToStr(v);
}

absl::StatusOr<bool> Renderer::Truth(const Value& v) {
  if (v.is_undefined() && options_.strict_undefined) return UndefinedError(v);
  return Truthy(v);
}

absl::StatusOr<std::vector<Value>> Renderer::Iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      if (options_.strict_undefined) return UndefinedError(v);
      return std::vector<Value>();
    case Value::Kind::kList:
      return v.list().items;
    case Value::Kind::kString: {
      std::vector<Value> chars;
      for (std::string_view c : text::CodePoints(v.string_value())) chars.emplace_back(c);
      return chars;
    }
    case Value::Kind::kMap:
      if (v.is_dict()) {
        std::vector<Value> keys;
        for (const auto& entry : v.map().entries()) keys.push_back(entry.first);
        return keys;
      }
      break;
    default:
      break;
  }
  return absl::InvalidArgumentError(text::Cat("'", TypeName(v), "' object is not iterable"));
}

absl::StatusOr<Value> Renderer::Call(const Value& callee, CallArgs args) {
  if (callee.is_callable()) return callee.callable().fn(*this, std::move(args));
  if (callee.is_map()) {
    const Value* call = callee.map().Find("__call__");
    if (call != nullptr && call->is_callable()) return call->callable().fn(*this, std::move(args));
  }
  if (callee.is_undefined()) return UndefinedError(callee);
  return absl::InvalidArgumentError(text::Cat("'", TypeName(callee), "' object is not callable"));
}

absl::StatusOr<Value> Renderer::GetAttr(const Value& obj, std::string_view name) {
  if (obj.is_undefined()) return UndefinedError(obj);
  return LookupAttr(obj, name);
}

absl::Status Renderer::CheckSize(size_t bytes) const {
  if (bytes <= options_.max_output_bytes) return absl::OkStatus();
  return LimitError("output or string value exceeds max_output_bytes", static_cast<int64_t>(options_.max_output_bytes));
}

absl::Status Renderer::CountIterations(int64_t n) {
  iterations_ += n;
  if (iterations_ <= options_.max_loop_iterations) return absl::OkStatus();
  return LimitError("loop iterations exceed max_loop_iterations", options_.max_loop_iterations);
}

absl::Status Renderer::Write(std::string_view text) {
  CATENA_RETURN_IF_ERROR(CheckSize(out_->size() + text.size()));
  out_->append(text);
  return absl::OkStatus();
}

absl::StatusOr<std::string> Renderer::Capture(const Body& body, const ScopePtr& scope) {
  std::string buffer;
  std::string* saved = out_;
  out_ = &buffer;
  absl::StatusOr<Flow> flow = ExecBody(body, scope);
  out_ = saved;
  if (!flow.ok()) return flow.status();
  return buffer;
}

absl::StatusOr<Renderer::Flow> Renderer::ExecBody(const Body& body, const ScopePtr& scope) {
  for (const StmtPtr& stmt : body) {
    absl::StatusOr<Flow> flow = Exec(*stmt, scope);
    if (!flow.ok()) return WithLocation(flow.status(), options_.name, stmt->pos);
    if (*flow != Flow::kNormal) return flow;
  }
  return Flow::kNormal;
}

absl::StatusOr<Renderer::Flow> Renderer::Exec(const Stmt& stmt, const ScopePtr& scope) {
  switch (stmt.kind) {
    case StmtKind::kText:
      CATENA_RETURN_IF_ERROR(Write(As<TextStmt>(stmt).text));
      return Flow::kNormal;
    case StmtKind::kOutput:
      CATENA_RETURN_IF_ERROR(ExecOutput(*As<ExprStmt>(stmt).expr, scope));
      return Flow::kNormal;
    case StmtKind::kDo:
      CATENA_RETURN_IF_ERROR(Eval(*As<ExprStmt>(stmt).expr, scope).status());
      return Flow::kNormal;
    case StmtKind::kIf:
      return ExecIf(As<IfStmt>(stmt), scope);
    case StmtKind::kFor:
      return ExecFor(As<ForStmt>(stmt), scope);
    case StmtKind::kSet: {
      const auto& set = As<SetStmt>(stmt);
      CATENA_ASSIGN_OR_RETURN(Value value, Eval(*set.value, scope));
      CATENA_RETURN_IF_ERROR(Assign(set.target, value, scope));
      return Flow::kNormal;
    }
    case StmtKind::kSetBlock:
      CATENA_RETURN_IF_ERROR(ExecSetBlock(As<SetStmt>(stmt), scope));
      return Flow::kNormal;
    case StmtKind::kMacro:
      scope->Set(As<MacroStmt>(stmt).name, MakeMacro(As<MacroStmt>(stmt), scope));
      return Flow::kNormal;
    case StmtKind::kCallBlock:
      CATENA_RETURN_IF_ERROR(ExecCallBlock(As<MacroStmt>(stmt), scope));
      return Flow::kNormal;
    case StmtKind::kFilterBlock:
      CATENA_RETURN_IF_ERROR(ExecFilterBlock(As<FilterBlockStmt>(stmt), scope));
      return Flow::kNormal;
    case StmtKind::kWith:
      return ExecWith(As<WithStmt>(stmt), scope);
    case StmtKind::kBreak:
      return Flow::kBreak;
    case StmtKind::kContinue:
      return Flow::kContinue;
  }
  return Flow::kNormal;
}

absl::Status Renderer::ExecOutput(const Expr& expr, const ScopePtr& scope) {
  CATENA_ASSIGN_OR_RETURN(Value value, Eval(expr, scope));
  absl::StatusOr<std::string> text = Str(value);
  if (!text.ok()) return WithLocation(text.status(), options_.name, expr.pos);
  return Write(*text);
}

absl::StatusOr<Renderer::Flow> Renderer::ExecFor(const ForStmt& stmt, const ScopePtr& scope) {
  CATENA_ASSIGN_OR_RETURN(Value iterable, Eval(*stmt.iter, scope));
  absl::StatusOr<std::vector<Value>> items = Iterate(iterable);
  if (!items.ok()) return WithLocation(items.status(), options_.name, stmt.iter->pos);
  return RunLoop(stmt, *std::move(items), scope, 0);
}

absl::Status Renderer::ExecFilterBlock(const FilterBlockStmt& stmt, const ScopePtr& scope) {
  CATENA_ASSIGN_OR_RETURN(std::string body, Capture(stmt.body, scope));
  CATENA_ASSIGN_OR_RETURN(Value filtered, ApplyFilterChain(stmt.filters, scope, Value(std::move(body))));
  CATENA_ASSIGN_OR_RETURN(std::string text, Str(filtered));
  return Write(text);
}

absl::StatusOr<Renderer::Flow> Renderer::ExecIf(const IfStmt& stmt, const ScopePtr& scope) {
  for (const auto& [cond, body] : stmt.branches) {
    CATENA_ASSIGN_OR_RETURN(Value value, Eval(*cond, scope));
    absl::StatusOr<bool> taken = Truth(value);
    if (!taken.ok()) return WithLocation(taken.status(), options_.name, cond->pos);
    if (*taken) return ExecBody(body, scope);
  }
  return ExecBody(stmt.otherwise, scope);
}

absl::StatusOr<std::vector<Value>> Renderer::FilterLoopItems(const ForStmt& stmt, std::vector<Value> items,
                                                             const ScopePtr& scope) {
  if (stmt.filter == nullptr) return items;
  std::vector<Value> kept;
  for (Value& item : items) {
    CATENA_RETURN_IF_ERROR(CountIterations(1));
    auto item_scope = std::make_shared<Scope>(scope);
    CATENA_RETURN_IF_ERROR(Assign(stmt.target, item, item_scope));
    CATENA_ASSIGN_OR_RETURN(Value cond, Eval(*stmt.filter, item_scope));
    CATENA_ASSIGN_OR_RETURN(bool keep, Truth(cond));
    if (keep) kept.push_back(std::move(item));
  }
  return kept;
}

Value Renderer::MakeLoopObject(const ForStmt& stmt, const ScopePtr& scope, const std::vector<Value>& items, int depth,
                               std::shared_ptr<size_t> index) {
  Value loop = Value::Dict(ObjectKind::kObject);
  MapData& map = loop.map();
  for (const char* per_iteration : kLoopFields) map.Set(per_iteration, Value());
  map.Set("length", Value(static_cast<int64_t>(items.size())));
  map.Set("depth", Value(depth + 1));
  map.Set("depth0", Value(depth));
  map.Set("cycle", Value::Builtin("cycle", [index](CallContext&, CallArgs args) -> absl::StatusOr<Value> {
            if (args.positional.empty()) return absl::InvalidArgumentError("no items for cycling given");
            return args.positional[*index % args.positional.size()];
          }));
  auto last_seen = std::make_shared<std::optional<std::vector<Value>>>();
  map.Set("changed", Value::Builtin("changed", [last_seen](CallContext&, CallArgs args) -> absl::StatusOr<Value> {
            const Value current = Value::List(std::move(args.positional));
            if (last_seen->has_value() && Equals(Value::List(**last_seen), current)) return Value(false);
            *last_seen = current.list().items;
            return Value(true);
          }));
  if (stmt.recursive) {
    std::weak_ptr<Scope> weak_scope = scope;
    const ForStmt* loop_stmt = &stmt;
    std::shared_ptr<const TemplateAst> keep = ast_;
    map.Set("__call__",
            Value::Builtin(
                "loop", [keep, loop_stmt, weak_scope, depth](CallContext& ctx, CallArgs args) -> absl::StatusOr<Value> {
                  auto* renderer = dynamic_cast<Renderer*>(&ctx);
                  if (renderer == nullptr || args.positional.size() != 1) {
                    return absl::InvalidArgumentError("loop() takes exactly one iterable");
                  }
                  return renderer->RecurseLoop(*loop_stmt, weak_scope.lock(), args.positional[0], depth + 1);
                }));
  }
  return loop;
}

absl::StatusOr<Renderer::Flow> Renderer::RunLoop(const ForStmt& stmt, std::vector<Value> items, const ScopePtr& scope,
                                                 int depth) {
  CATENA_ASSIGN_OR_RETURN(items, FilterLoopItems(stmt, std::move(items), scope));
  if (items.empty()) return ExecBody(stmt.otherwise, scope);
  auto index = std::make_shared<size_t>(0);
  Value loop = MakeLoopObject(stmt, scope, items, depth, index);
  MapData& map = loop.map();
  const size_t n = items.size();
  for (size_t i = 0; i < n; ++i) {
    CATENA_RETURN_IF_ERROR(CountIterations(1));
    *index = i;
    // Same order as kLoopFields.
    map.value_at(0) = Value(i);
    map.value_at(1) = Value(i + 1);
    map.value_at(2) = Value(n - i - 1);
    map.value_at(3) = Value(n - i);
    map.value_at(4) = Value(i == 0);
    map.value_at(5) = Value(i + 1 == n);
    map.value_at(6) = i > 0 ? items[i - 1] : Value::Undefined("loop.previtem");
    map.value_at(7) = i + 1 < n ? items[i + 1] : Value::Undefined("loop.nextitem");
    auto iteration = std::make_shared<Scope>(scope);
    CATENA_RETURN_IF_ERROR(Assign(stmt.target, items[i], iteration));
    iteration->Set("loop", loop);
    CATENA_ASSIGN_OR_RETURN(Flow flow, ExecBody(stmt.body, iteration));
    if (flow == Flow::kBreak) break;
  }
  return Flow::kNormal;
}

absl::StatusOr<Value> Renderer::RecurseLoop(const ForStmt& stmt, ScopePtr scope, const Value& items, int depth) {
  if (call_depth_ >= options_.max_recursion_depth) {
    return LimitError("recursive loop nests too deeply", options_.max_recursion_depth);
  }
  if (scope == nullptr) scope = std::make_shared<Scope>(nullptr);
  CATENA_ASSIGN_OR_RETURN(std::vector<Value> list, Iterate(items));
  std::string buffer;
  std::string* saved = out_;
  out_ = &buffer;
  ++call_depth_;
  absl::StatusOr<Flow> flow = RunLoop(stmt, std::move(list), scope, depth);
  --call_depth_;
  out_ = saved;
  if (!flow.ok()) return flow.status();
  return Value(std::move(buffer));
}

absl::Status Renderer::ExecSetBlock(const SetStmt& stmt, const ScopePtr& scope) {
  CATENA_ASSIGN_OR_RETURN(std::string body, Capture(stmt.body, scope));
  CATENA_ASSIGN_OR_RETURN(Value value, ApplyFilterChain(stmt.filters, scope, Value(std::move(body))));
  return Assign(stmt.target, value, scope);
}

absl::StatusOr<Renderer::Flow> Renderer::ExecWith(const WithStmt& stmt, const ScopePtr& scope) {
  auto inner = std::make_shared<Scope>(scope);
  std::vector<Value> values;
  for (const auto& [target, expr] : stmt.assignments) {
    CATENA_ASSIGN_OR_RETURN(Value value, Eval(*expr, scope));
    values.push_back(std::move(value));
  }
  for (size_t i = 0; i < values.size(); ++i) {
    CATENA_RETURN_IF_ERROR(Assign(stmt.assignments[i].first, values[i], inner));
  }
  return ExecBody(stmt.body, inner);
}

absl::Status Renderer::Assign(const Target& target, const Value& value, const ScopePtr& scope) {
  switch (target.kind) {
    case Target::Kind::kName:
      scope->Set(target.name, value);
      return absl::OkStatus();
    case Target::Kind::kAttr: {
      const Value ns = Lookup(target.name, scope);
      if (!ns.is_map() || ns.map().kind() != ObjectKind::kNamespace) {
        return absl::InvalidArgumentError("cannot assign attribute on non-namespace object");
      }
      ns.map().Set(target.attr, value);
      return absl::OkStatus();
    }
    case Target::Kind::kTuple: {
      CATENA_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(value));
      if (items.size() != target.items.size()) {
        return absl::InvalidArgumentError(
            items.size() < target.items.size()
                ? text::Cat("not enough values to unpack (expected ", target.items.size(), ", got ", items.size(), ")")
                : text::Cat("too many values to unpack (expected ", target.items.size(), ")"));
      }
      for (size_t i = 0; i < items.size(); ++i) CATENA_RETURN_IF_ERROR(Assign(target.items[i], items[i], scope));
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

Value Renderer::MakeMacro(const MacroStmt& stmt, const ScopePtr& scope) {
  std::weak_ptr<Scope> closure = scope;
  std::shared_ptr<const TemplateAst> keep = ast_;
  const MacroStmt* macro = &stmt;
  return Value::Builtin(stmt.name, [keep, macro, closure](CallContext& ctx, CallArgs args) -> absl::StatusOr<Value> {
    auto* renderer = dynamic_cast<Renderer*>(&ctx);
    if (renderer == nullptr) return absl::InternalError("macro called outside of a render");
    return renderer->CallMacro(*macro, closure.lock(), std::move(args));
  });
}

absl::StatusOr<Value> Renderer::CallMacro(const MacroStmt& macro, ScopePtr closure, CallArgs args) {
  if (call_depth_ >= options_.max_recursion_depth) {
    return LimitError(text::Cat("macro '", macro.name, "' exceeds the maximum recursion depth"),
                      options_.max_recursion_depth);
  }
  auto scope = std::make_shared<Scope>(std::move(closure));
  CATENA_RETURN_IF_ERROR(BindMacroArgs(macro, std::move(args), scope));
  ++call_depth_;
  absl::StatusOr<std::string> output = Capture(macro.body, scope);
  --call_depth_;
  if (!output.ok()) return output.status();
  return Value(*std::move(output));
}

absl::Status Renderer::BindMacroArgs(const MacroStmt& macro, CallArgs args, const ScopePtr& scope) {
  const size_t n = macro.params.size();
  if (args.positional.size() > n && !macro.catch_varargs) {
    return absl::InvalidArgumentError(text::Cat("macro '", macro.name, "' takes not more than ", n, " argument(s)"));
  }
  std::vector<std::optional<Value>> values(n);
  for (size_t i = 0; i < n && i < args.positional.size(); ++i) values[i] = std::move(args.positional[i]);
  Value kwargs = Value::Dict();
  for (auto& [key, value] : args.keyword) {
    auto it = std::find_if(macro.params.begin(), macro.params.end(), [&](const Param& p) { return p.name == key; });
    if (it != macro.params.end()) {
      auto& slot = values[static_cast<size_t>(it - macro.params.begin())];
      if (slot.has_value()) {
        return absl::InvalidArgumentError(
            text::Cat("macro '", macro.name, "' got multiple values for argument '", key, "'"));
      }
      slot = std::move(value);
    } else if (key == "caller" && (macro.uses_caller || macro.catch_kwargs)) {
      scope->Set("caller", std::move(value));
    } else if (macro.catch_kwargs) {
      kwargs.map().Set(key, std::move(value));
    } else {
      return absl::InvalidArgumentError(text::Cat("macro '", macro.name, "' takes no keyword argument '", key, "'"));
    }
  }
  for (size_t i = 0; i < n; ++i) {
    const Param& param = macro.params[i];
    if (!values[i].has_value() && param.default_value != nullptr) {
      CATENA_ASSIGN_OR_RETURN(values[i], Eval(*param.default_value, scope));
    }
    scope->Set(param.name, values[i].has_value() ? *std::move(values[i]) : Value::Undefined(param.name));
  }
  std::vector<Value> extra;
  for (size_t i = n; i < args.positional.size(); ++i) extra.push_back(std::move(args.positional[i]));
  scope->Set("varargs", Value::Tuple(std::move(extra)));
  scope->Set("kwargs", std::move(kwargs));
  return absl::OkStatus();
}

absl::Status Renderer::ExecCallBlock(const MacroStmt& stmt, const ScopePtr& scope) {
  const auto& call = As<CallExpr>(*stmt.call);
  CATENA_ASSIGN_OR_RETURN(Value callee, Eval(*call.callee, scope));
  CATENA_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(call.args, scope));
  args.keyword.emplace_back("caller", MakeMacro(stmt, scope));
  absl::StatusOr<Value> result = Call(callee, std::move(args));
  if (!result.ok()) return WithLocation(result.status(), options_.name, call.pos);
  CATENA_ASSIGN_OR_RETURN(std::string text, Str(*result));
  return Write(text);
}

}  // namespace catena::tmpl
