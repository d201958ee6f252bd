// Static analysis of parsed templates: which variable names a body reads, and which of them are free
// (must come from the render context). Used by the parser (macro signatures) and Template.
#include <set>
#include <string>
#include <vector>

#include "common/template/builtins.h"
#include "common/template/parser.h"

namespace catena::tmpl {
namespace {

// Walks a body in evaluation order, tracking the names each scope binds.
class NameCollector {
 public:
  explicit NameCollector(bool scoped) : scoped_(scoped) { scopes_.emplace_back(); }

  // Names read while not bound, in order of first appearance.
  const std::vector<std::string>& names() const { return names_; }

  void WalkBody(const Body& body) {
    for (const StmtPtr& stmt : body) WalkStmt(*stmt);
  }
  void WalkExpression(const Expr& expr) { WalkExpr(&expr); }

 private:
  void Read(const std::string& name) {
    if (scoped_) {
      for (const auto& scope : scopes_) {
        if (scope.count(name) > 0) return;
      }
    }
    if (seen_.insert(name).second) names_.push_back(name);
  }
  void Bind(const Target& target) {
    if (target.kind == Target::Kind::kTuple) {
      for (const Target& item : target.items) Bind(item);
    } else if (target.kind == Target::Kind::kAttr) {
      Read(target.name);
    } else {
      scopes_.back().insert(target.name);
    }
  }
  void Bind(const std::string& name) { scopes_.back().insert(name); }
  void Push() { scopes_.emplace_back(); }
  void Pop() { scopes_.pop_back(); }

  void WalkArgs(const ArgExprs& args) {
    for (const ExprPtr& arg : args.positional) WalkExpr(arg.get());
    for (const auto& [name, arg] : args.keyword) WalkExpr(arg.get());
  }

  void WalkExpr(const Expr* e) {
    if (e == nullptr) return;
    switch (e->kind) {
      case ExprKind::kLiteral:
        return;
      case ExprKind::kName:
        return Read(As<NameExpr>(*e).name);
      case ExprKind::kList:
      case ExprKind::kTuple:
        for (const ExprPtr& item : As<SequenceExpr>(*e).items) WalkExpr(item.get());
        return;
      case ExprKind::kDict:
        for (const auto& [key, value] : As<DictExpr>(*e).items) {
          WalkExpr(key.get());
          WalkExpr(value.get());
        }
        return;
      case ExprKind::kGetAttr:
        return WalkExpr(As<GetAttrExpr>(*e).object.get());
      case ExprKind::kGetItem:
        WalkExpr(As<GetItemExpr>(*e).object.get());
        return WalkExpr(As<GetItemExpr>(*e).index.get());
      case ExprKind::kSlice: {
        const auto& slice = As<SliceExpr>(*e);
        for (const Expr* part : {slice.object.get(), slice.start.get(), slice.stop.get(), slice.step.get()}) {
          WalkExpr(part);
        }
        return;
      }
      case ExprKind::kCall:
        WalkExpr(As<CallExpr>(*e).callee.get());
        return WalkArgs(As<CallExpr>(*e).args);
      case ExprKind::kFilter:
      case ExprKind::kTest:
        WalkExpr(As<FilterExpr>(*e).input.get());
        return WalkArgs(As<FilterExpr>(*e).args);
      case ExprKind::kUnary:
        return WalkExpr(As<UnaryExpr>(*e).operand.get());
      case ExprKind::kBinary:
      case ExprKind::kAnd:
      case ExprKind::kOr:
        WalkExpr(As<BinaryExpr>(*e).lhs.get());
        return WalkExpr(As<BinaryExpr>(*e).rhs.get());
      case ExprKind::kCompare:
        WalkExpr(As<CompareExpr>(*e).first.get());
        for (const auto& [op, rhs] : As<CompareExpr>(*e).rest) WalkExpr(rhs.get());
        return;
      case ExprKind::kCondExpr: {
        const auto& cond = As<CondExpr>(*e);
        WalkExpr(cond.cond.get());
        WalkExpr(cond.then.get());
        return WalkExpr(cond.otherwise.get());
      }
    }
  }

  void WalkFor(const ForStmt& stmt) {
    WalkExpr(stmt.iter.get());
    Push();
    Bind(stmt.target);
    Bind("loop");
    WalkExpr(stmt.filter.get());
    WalkBody(stmt.body);
    Pop();
    WalkBody(stmt.otherwise);
  }

  void WalkMacro(const MacroStmt& stmt) {
    if (stmt.kind == StmtKind::kMacro) {
      Bind(stmt.name);
    } else {
      WalkExpr(stmt.call.get());
    }
    Push();
    for (const char* special : {"varargs", "kwargs", "caller"}) Bind(special);
    for (const Param& param : stmt.params) {
      WalkExpr(param.default_value.get());
      Bind(param.name);
    }
    WalkBody(stmt.body);
    Pop();
  }

  void WalkStmt(const Stmt& s) {
    switch (s.kind) {
      case StmtKind::kText:
      case StmtKind::kBreak:
      case StmtKind::kContinue:
        return;
      case StmtKind::kOutput:
      case StmtKind::kDo:
        return WalkExpr(As<ExprStmt>(s).expr.get());
      case StmtKind::kIf:
        for (const auto& [cond, body] : As<IfStmt>(s).branches) {
          WalkExpr(cond.get());
          WalkBody(body);
        }
        return WalkBody(As<IfStmt>(s).otherwise);
      case StmtKind::kFor:
        return WalkFor(As<ForStmt>(s));
      case StmtKind::kSet:
      case StmtKind::kSetBlock: {
        const auto& set = As<SetStmt>(s);
        WalkExpr(set.value.get());
        for (const ExprPtr& filter : set.filters) WalkExpr(filter.get());
        WalkBody(set.body);
        return Bind(set.target);
      }
      case StmtKind::kMacro:
      case StmtKind::kCallBlock:
        return WalkMacro(As<MacroStmt>(s));
      case StmtKind::kFilterBlock:
        for (const ExprPtr& filter : As<FilterBlockStmt>(s).filters) WalkExpr(filter.get());
        return WalkBody(As<FilterBlockStmt>(s).body);
      case StmtKind::kWith: {
        const auto& with = As<WithStmt>(s);
        for (const auto& [target, value] : with.assignments) WalkExpr(value.get());
        Push();
        for (const auto& [target, value] : with.assignments) Bind(target);
        WalkBody(with.body);
        return Pop();
      }
    }
  }

  bool scoped_;
  std::vector<std::set<std::string>> scopes_;
  std::set<std::string> seen_;
  std::vector<std::string> names_;
};

std::vector<std::string> WithoutBuiltins(const std::vector<std::string>& all) {
  std::vector<std::string> names;
  for (const std::string& name : all) {
    if (FindGlobal(name) == nullptr) names.push_back(name);
  }
  return names;
}

}  // namespace

bool BodyReadsName(const Body& body, std::string_view name) {
  NameCollector collector(/*scoped=*/false);
  collector.WalkBody(body);
  for (const std::string& read : collector.names()) {
    if (read == name) return true;
  }
  return false;
}

std::vector<std::string> FreeVariables(const Body& body) {
  NameCollector collector(/*scoped=*/true);
  collector.WalkBody(body);
  return WithoutBuiltins(collector.names());
}

std::vector<std::string> FreeVariables(const Expr& expr) {
  NameCollector collector(/*scoped=*/true);
  collector.WalkExpression(expr);
  return WithoutBuiltins(collector.names());
}

}  // namespace catena::tmpl
