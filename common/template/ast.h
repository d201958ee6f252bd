// Syntax tree of the template engine: expression and statement nodes built by the parser and walked by the
// renderer. Nodes are immutable after parsing and shared read-only between concurrent renders.
// Each node records its source position for error messages.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/template/source.h"
#include "common/template/value.h"

namespace catena::tmpl {

enum class ExprKind {
  kLiteral,
  kName,
  kList,
  kTuple,
  kDict,
  kGetAttr,
  kGetItem,
  kSlice,
  kCall,
  kFilter,
  kTest,
  kUnary,
  kBinary,
  kAnd,
  kOr,
  kCompare,
  kCondExpr,
};

struct Expr {
  Expr(ExprKind k, SourcePos p) : kind(k), pos(p) {}
  virtual ~Expr() = default;
  const ExprKind kind;
  SourcePos pos;
};
using ExprPtr = std::unique_ptr<Expr>;

// Downcast to the node type matching `kind`.
template <typename T>
const T& As(const Expr& e) {
  return static_cast<const T&>(e);
}

// Positional and keyword argument expressions of a call, filter or test.
struct ArgExprs {
  std::vector<ExprPtr> positional;
  std::vector<std::pair<std::string, ExprPtr>> keyword;
};

struct LiteralExpr : Expr {
  LiteralExpr(SourcePos p, Value v) : Expr(ExprKind::kLiteral, p), value(std::move(v)) {}
  Value value;
};

struct NameExpr : Expr {
  NameExpr(SourcePos p, std::string n) : Expr(ExprKind::kName, p), name(std::move(n)) {}
  std::string name;
};

// List or tuple display.
struct SequenceExpr : Expr {
  SequenceExpr(ExprKind k, SourcePos p) : Expr(k, p) {}
  std::vector<ExprPtr> items;
};

struct DictExpr : Expr {
  explicit DictExpr(SourcePos p) : Expr(ExprKind::kDict, p) {}
  std::vector<std::pair<ExprPtr, ExprPtr>> items;
};

struct GetAttrExpr : Expr {
  GetAttrExpr(SourcePos p, ExprPtr o, std::string a)
      : Expr(ExprKind::kGetAttr, p), object(std::move(o)), attr(std::move(a)) {}
  ExprPtr object;
  std::string attr;
};

struct GetItemExpr : Expr {
  GetItemExpr(SourcePos p, ExprPtr o, ExprPtr i)
      : Expr(ExprKind::kGetItem, p), object(std::move(o)), index(std::move(i)) {}
  ExprPtr object;
  ExprPtr index;
};

// object[start:stop:step]; absent parts are null.
struct SliceExpr : Expr {
  SliceExpr(SourcePos p, ExprPtr o) : Expr(ExprKind::kSlice, p), object(std::move(o)) {}
  ExprPtr object;
  ExprPtr start, stop, step;
};

struct CallExpr : Expr {
  CallExpr(SourcePos p, ExprPtr c) : Expr(ExprKind::kCall, p), callee(std::move(c)) {}
  ExprPtr callee;
  ArgExprs args;
};

// `input | name(args)` or `input is name args`; input is null inside {% filter %} / block set.
struct FilterExpr : Expr {
  FilterExpr(ExprKind k, SourcePos p, ExprPtr in, std::string n)
      : Expr(k, p), input(std::move(in)), name(std::move(n)) {}
  ExprPtr input;
  std::string name;
  ArgExprs args;
};

// Unary "-", "+" or "not".
struct UnaryExpr : Expr {
  UnaryExpr(SourcePos p, std::string o, ExprPtr e)
      : Expr(ExprKind::kUnary, p), op(std::move(o)), operand(std::move(e)) {}
  std::string op;
  ExprPtr operand;
};

// Arithmetic and "~" (kBinary), or short-circuit "and" / "or" (kAnd, kOr).
struct BinaryExpr : Expr {
  BinaryExpr(ExprKind k, SourcePos p, std::string o, ExprPtr l, ExprPtr r)
      : Expr(k, p), op(std::move(o)), lhs(std::move(l)), rhs(std::move(r)) {}
  std::string op;
  ExprPtr lhs, rhs;
};

// Chained comparison `a < b <= c`; ops are "==", "!=", "<", "<=", ">", ">=", "in", "notin".
struct CompareExpr : Expr {
  CompareExpr(SourcePos p, ExprPtr f) : Expr(ExprKind::kCompare, p), first(std::move(f)) {}
  ExprPtr first;
  std::vector<std::pair<std::string, ExprPtr>> rest;
};

// `then if cond else otherwise`; otherwise may be null (yields undefined).
struct CondExpr : Expr {
  explicit CondExpr(SourcePos p) : Expr(ExprKind::kCondExpr, p) {}
  ExprPtr cond, then, otherwise;
};

// Assignment target of set/for/with: a name, `ns.attr`, or a tuple of targets.
struct Target {
  enum class Kind { kName, kAttr, kTuple };
  Kind kind = Kind::kName;
  std::string name;           // variable name (kName, kAttr)
  std::string attr;           // attribute (kAttr)
  std::vector<Target> items;  // kTuple
  SourcePos pos;
};

enum class StmtKind {
  kText,
  kOutput,
  kIf,
  kFor,
  kSet,
  kSetBlock,
  kMacro,
  kCallBlock,
  kFilterBlock,
  kWith,
  kDo,
  kBreak,
  kContinue,
};

struct Stmt {
  Stmt(StmtKind k, SourcePos p) : kind(k), pos(p) {}
  virtual ~Stmt() = default;
  const StmtKind kind;
  SourcePos pos;
};
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

// Downcast to the statement type matching `kind`.
template <typename T>
const T& As(const Stmt& s) {
  return static_cast<const T&>(s);
}

struct TextStmt : Stmt {
  TextStmt(SourcePos p, std::string t) : Stmt(StmtKind::kText, p), text(std::move(t)) {}
  std::string text;
};

// {{ expr }} or {% do expr %}.
struct ExprStmt : Stmt {
  ExprStmt(StmtKind k, SourcePos p, ExprPtr e) : Stmt(k, p), expr(std::move(e)) {}
  ExprPtr expr;
};

struct IfStmt : Stmt {
  explicit IfStmt(SourcePos p) : Stmt(StmtKind::kIf, p) {}
  std::vector<std::pair<ExprPtr, Body>> branches;  // if + elifs
  Body otherwise;
};

struct ForStmt : Stmt {
  explicit ForStmt(SourcePos p) : Stmt(StmtKind::kFor, p) {}
  Target target;
  ExprPtr iter;
  ExprPtr filter;  // `if` clause, may be null
  bool recursive = false;
  Body body;
  Body otherwise;
};

// {% set target = value %} or, with body, {% set name | filters %}...{% endset %}.
struct SetStmt : Stmt {
  SetStmt(StmtKind k, SourcePos p) : Stmt(k, p) {}
  Target target;
  ExprPtr value;                 // kSet
  std::vector<ExprPtr> filters;  // kSetBlock: FilterExpr nodes with null input
  Body body;                     // kSetBlock
};

// One macro or call-block parameter.
struct Param {
  std::string name;
  ExprPtr default_value;  // may be null
};

// {% macro name(params) %} or the body of {% call(params) expr %}.
struct MacroStmt : Stmt {
  MacroStmt(StmtKind k, SourcePos p) : Stmt(k, p) {}
  std::string name;
  std::vector<Param> params;
  Body body;
  bool catch_varargs = false;  // body reads `varargs`
  bool catch_kwargs = false;   // body reads `kwargs`
  bool uses_caller = false;    // body reads `caller`
  ExprPtr call;                // kCallBlock: the call expression
};

// {% filter f | g %}...{% endfilter %}.
struct FilterBlockStmt : Stmt {
  explicit FilterBlockStmt(SourcePos p) : Stmt(StmtKind::kFilterBlock, p) {}
  std::vector<ExprPtr> filters;
  Body body;
};

// {% with a = 1, b = 2 %}...{% endwith %}.
struct WithStmt : Stmt {
  explicit WithStmt(SourcePos p) : Stmt(StmtKind::kWith, p) {}
  std::vector<std::pair<Target, ExprPtr>> assignments;
  Body body;
};

struct SimpleStmt : Stmt {
  SimpleStmt(StmtKind k, SourcePos p) : Stmt(k, p) {}
};

// A parsed template: its statements, owned here and shared by every copy of the Template.
struct TemplateAst {
  Body body;
};

}  // namespace catena::tmpl
