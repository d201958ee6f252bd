// Renderer: the tree-walking interpreter of the template engine. Executes statements, evaluates
// expressions with jinja2 scoping (for bodies and macros get their own scope, if does not) and enforces the
// output, iteration and recursion limits of TemplateOptions. One Renderer per render call, one thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/template/ast.h"
#include "common/template/call_context.h"
#include "common/template/options.h"
#include "common/template/value.h"

namespace catena::tmpl {

// Variables bound in one scope; lookups walk to the parent.
struct Scope {
  explicit Scope(std::shared_ptr<Scope> p) : parent(std::move(p)) {}
  // The innermost binding of `name` in this scope chain, or nullptr.
  const Value* Find(std::string_view name) const;
  // Binds `name` in this scope.
  void Set(std::string_view name, Value value);

  std::shared_ptr<Scope> parent;
  std::vector<std::pair<std::string, Value>> vars;
};
using ScopePtr = std::shared_ptr<Scope>;

class Renderer final : public CallContext {
 public:
  // `context` must be a dict (or undefined/none for an empty context); `ast` may be null for expressions.
  Renderer(const TemplateOptions& options, Value context, std::shared_ptr<const TemplateAst> ast);

  // Renders the whole template.
  absl::StatusOr<std::string> RenderTemplate();
  // Evaluates one expression against the context.
  absl::StatusOr<Value> EvaluateExpression(const Expr& expr);

  // CallContext.
  const TemplateOptions& options() const override { return options_; }
  absl::StatusOr<std::string> Str(const Value& v) override;
  absl::StatusOr<bool> Truth(const Value& v) override;
  absl::StatusOr<std::vector<Value>> Iterate(const Value& v) override;
  absl::StatusOr<Value> Call(const Value& callee, CallArgs args) override;
  absl::StatusOr<Value> GetAttr(const Value& obj, std::string_view name) override;
  absl::Status CheckSize(size_t bytes) const override;
  absl::Status CountIterations(int64_t n) override;

  // Invokes a macro (or call-block body) defined in `closure` (null once that scope has ended).
  absl::StatusOr<Value> CallMacro(const MacroStmt& macro, ScopePtr closure, CallArgs args);
  // Re-enters a `recursive` for loop with new items (the `loop(...)` call).
  absl::StatusOr<Value> RecurseLoop(const ForStmt& stmt, ScopePtr scope, const Value& items, int depth);

 private:
  enum class Flow { kNormal, kBreak, kContinue };

  // Statements (renderer.cc).
  absl::StatusOr<Flow> ExecBody(const Body& body, const ScopePtr& scope);
  absl::StatusOr<Flow> Exec(const Stmt& stmt, const ScopePtr& scope);
  absl::Status ExecOutput(const Expr& expr, const ScopePtr& scope);
  absl::StatusOr<Flow> ExecIf(const IfStmt& stmt, const ScopePtr& scope);
  absl::StatusOr<Flow> ExecFor(const ForStmt& stmt, const ScopePtr& scope);
  absl::Status ExecFilterBlock(const FilterBlockStmt& stmt, const ScopePtr& scope);
  absl::StatusOr<Flow> RunLoop(const ForStmt& stmt, std::vector<Value> items, const ScopePtr& scope, int depth);
  absl::StatusOr<std::vector<Value>> FilterLoopItems(const ForStmt& stmt, std::vector<Value> items,
                                                     const ScopePtr& scope);
  Value MakeLoopObject(const ForStmt& stmt, const ScopePtr& scope, const std::vector<Value>& items, int depth,
                       std::shared_ptr<size_t> index);
  absl::Status ExecSetBlock(const SetStmt& stmt, const ScopePtr& scope);
  absl::Status ExecCallBlock(const MacroStmt& stmt, const ScopePtr& scope);
  absl::StatusOr<Flow> ExecWith(const WithStmt& stmt, const ScopePtr& scope);
  absl::Status BindMacroArgs(const MacroStmt& macro, CallArgs args, const ScopePtr& scope);
  Value MakeMacro(const MacroStmt& stmt, const ScopePtr& scope);
  absl::StatusOr<std::string> Capture(const Body& body, const ScopePtr& scope);
  absl::Status Assign(const Target& target, const Value& value, const ScopePtr& scope);
  absl::Status Write(std::string_view text);

  // Expressions (eval.cc).
  absl::StatusOr<Value> Eval(const Expr& expr, const ScopePtr& scope);
  absl::StatusOr<Value> EvalImpl(const Expr& expr, const ScopePtr& scope);
  absl::StatusOr<Value> EvalName(const NameExpr& expr, const ScopePtr& scope);
  absl::StatusOr<Value> EvalCall(const CallExpr& expr, const ScopePtr& scope);
  absl::StatusOr<Value> EvalTest(const FilterExpr& expr, const ScopePtr& scope);
  absl::StatusOr<Value> EvalCond(const CondExpr& expr, const ScopePtr& scope);
  absl::StatusOr<Value> EvalSequence(const SequenceExpr& expr, const ScopePtr& scope);
  absl::StatusOr<Value> EvalDict(const DictExpr& expr, const ScopePtr& scope);
  absl::StatusOr<Value> EvalLookup(const Expr& expr, const ScopePtr& scope);
  absl::StatusOr<Value> EvalSlice(const SliceExpr& expr, const ScopePtr& scope);
  absl::StatusOr<Value> EvalUnary(const UnaryExpr& expr, const ScopePtr& scope);
  absl::StatusOr<Value> EvalBinary(const BinaryExpr& expr, const ScopePtr& scope);
  absl::StatusOr<Value> EvalCompare(const CompareExpr& expr, const ScopePtr& scope);
  absl::StatusOr<bool> CompareOnce(std::string_view op, const Value& lhs, const Value& rhs);
  absl::StatusOr<CallArgs> EvalArgs(const ArgExprs& args, const ScopePtr& scope);
  // Applies a filter node; a node without input takes `implicit` (filter blocks, block set).
  absl::StatusOr<Value> EvalFilter(const FilterExpr& expr, const ScopePtr& scope, const Value* implicit);
  absl::StatusOr<Value> ApplyFilterChain(const std::vector<ExprPtr>& chain, const ScopePtr& scope, Value input);
  Value Lookup(const std::string& name, const ScopePtr& scope);

  const TemplateOptions& options_;
  Value context_;
  std::shared_ptr<const TemplateAst> ast_;
  // Per-render copies of container-valued options.globals: templates may mutate them (list.append) while
  // other threads render with the same options.
  std::vector<std::pair<std::string, Value>> global_copies_;
  std::string* out_ = nullptr;
  int call_depth_ = 0;
  int64_t iterations_ = 0;
};

}  // namespace catena::tmpl
