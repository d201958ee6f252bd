// Static analysis of parsed templates: which variable names a body reads, and which of them are free
// (must come from the render context). Used by the parser (macro signatures) and Template.
#include <algorithm>
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
  // Attribute paths rooted at names read while not bound (`nodes.search.documents`), in order of appearance.
  const std::vector<VariablePath>& paths() const { return paths_; }

  void WalkBody(const Body& body) {
    for (const StmtPtr& stmt : body) WalkStmt(*stmt);
  }
  void WalkExpression(const Expr& expr) { WalkExpr(&expr); }

 private:
  bool IsBound(const std::string& name) const {
    if (!scoped_) return false;
    for (const auto& scope : scopes_) {
      if (scope.count(name) > 0) return true;
    }
    return false;
  }
  void Read(const std::string& name) {
    if (IsBound(name)) return;
    if (seen_.insert(name).second) names_.push_back(name);
  }
  // Records the constant path of an attribute/item chain (`a.b["c"].d`) whose base is a free name.
  void RecordPath(const Expr* e) {
    std::vector<std::string> parts;
    const SourcePos pos = e->pos;
    while (true) {
      if (e->kind == ExprKind::kGetAttr) {
        parts.push_back(As<GetAttrExpr>(*e).attr);
        e = As<GetAttrExpr>(*e).object.get();
      } else if (e->kind == ExprKind::kGetItem && As<GetItemExpr>(*e).index->kind == ExprKind::kLiteral &&
                 As<LiteralExpr>(*As<GetItemExpr>(*e).index).value.is_string()) {
        parts.push_back(As<LiteralExpr>(*As<GetItemExpr>(*e).index).value.string_value());
        e = As<GetItemExpr>(*e).object.get();
      } else if (e->kind == ExprKind::kGetItem) {
        parts.clear();  // a computed index: only the constant prefix below it is known
        e = As<GetItemExpr>(*e).object.get();
      } else {
        break;
      }
    }
    if (e->kind != ExprKind::kName || IsBound(As<NameExpr>(*e).name)) return;
    parts.push_back(As<NameExpr>(*e).name);
    std::reverse(parts.begin(), parts.end());
    paths_.push_back(VariablePath{std::move(parts), pos.line, pos.column});
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
        if (!in_chain_) RecordPath(e);
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
        return WalkChain(e, As<GetAttrExpr>(*e).object.get());
      case ExprKind::kGetItem:
        WalkChain(e, As<GetItemExpr>(*e).object.get());
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

  // Walks the object of an attribute/item access; the outermost access of a chain records its path.
  void WalkChain(const Expr* access, const Expr* object) {
    if (!in_chain_) RecordPath(access);
    const bool outer = in_chain_;
    in_chain_ = true;
    WalkExpr(object);
    in_chain_ = outer;
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
  bool in_chain_ = false;  // inside the object of an attribute/item chain whose path is already recorded
  std::vector<VariablePath> paths_;
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

std::vector<VariablePath> WithoutBuiltinPaths(const std::vector<VariablePath>& all) {
  std::vector<VariablePath> paths;
  for (const VariablePath& path : all) {
    if (FindGlobal(path.parts.front()) == nullptr) paths.push_back(path);
  }
  return paths;
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

std::vector<VariablePath> FreePaths(const Body& body) {
  NameCollector collector(/*scoped=*/true);
  collector.WalkBody(body);
  return WithoutBuiltinPaths(collector.paths());
}

std::vector<VariablePath> FreePaths(const Expr& expr) {
  NameCollector collector(/*scoped=*/true);
  collector.WalkExpression(expr);
  return WithoutBuiltinPaths(collector.paths());
}

}  // namespace catena::tmpl
