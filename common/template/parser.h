// Parser of the template engine: recursive descent over lexer tokens with jinja2's grammar and operator
// precedence, producing the syntax tree of ast.h. Unknown filters and tests are rejected here.
// One Parser per parse; the result is immutable and may be shared.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/template/ast.h"
#include "common/template/lexer.h"
#include "common/template/options.h"
#include "common/template/template.h"

namespace catena::tmpl {

// Parses a whole template from normalized source (see NormalizeSource).
absl::StatusOr<TemplateAst> ParseTemplate(std::string_view source, const TemplateOptions& options);
// Parses a bare expression such as `nodes.search.documents | length == 0`.
absl::StatusOr<ExprPtr> ParseExpression(std::string_view source, const TemplateOptions& options);

class Parser {
 public:
  Parser(std::vector<Token> tokens, std::string_view source, const TemplateOptions& options);

  // Parses statements up to the end of the template.
  absl::StatusOr<Body> ParseAll();
  // Parses one expression (tuples allowed) that must span all tokens.
  absl::StatusOr<ExprPtr> ParseWholeExpression();

 private:
  // Where a block started, for "unclosed block" messages.
  struct OpenBlock {
    std::string_view tag;
    size_t offset = 0;
  };

  // Token stream.
  const Token& Current() const { return tokens_[pos_]; }
  const Token& Peek(size_t ahead = 1) const;
  const Token& Advance() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  bool IsOp(std::string_view op) const;
  bool IsName(std::string_view name) const;
  bool SkipOp(std::string_view op);
  bool SkipName(std::string_view name);
  absl::Status ExpectOp(std::string_view op);
  absl::StatusOr<std::string> ExpectName();
  absl::Status ExpectBlockEnd();
  SourcePos Pos(const Token& token) const { return map_.Locate(token.offset); }
  absl::Status Error(const Token& token, std::string_view what) const;
  absl::Status Unexpected(std::string_view expected) const;
  absl::Status Enter();
  void Leave() { --depth_; }
  // Nesting added by the iterations of a left-associative loop (a + b + c, a.b.c, x | f | g), released
  // when the loop's function returns, so long chains count against the nesting limit.
  struct ChainDepth {
    explicit ChainDepth(Parser* p) : parser(p) {}
    ~ChainDepth() { parser->depth_ -= levels; }
    absl::Status Add() {
      ++levels;
      return parser->Enter();
    }
    Parser* parser;
    int levels = 0;
  };

  // Statements (parser.cc). ParseBody stops at one of `end_tags` and stores it in `*found`.
  absl::Status ParseBody(Body* body, const OpenBlock& block, std::initializer_list<std::string_view> end_tags,
                         std::string* found);
  absl::StatusOr<StmtPtr> ParseTag(const Token& begin);
  absl::StatusOr<StmtPtr> ParseIf(const Token& begin);
  absl::StatusOr<StmtPtr> ParseFor(const Token& begin);
  absl::StatusOr<StmtPtr> ParseSet(const Token& begin);
  absl::StatusOr<StmtPtr> ParseMacro(const Token& begin);
  absl::StatusOr<StmtPtr> ParseCallBlock(const Token& begin);
  absl::StatusOr<StmtPtr> ParseFilterBlock(const Token& begin);
  absl::StatusOr<StmtPtr> ParseWith(const Token& begin);
  absl::StatusOr<StmtPtr> ParseLoopControl(const Token& begin, StmtKind kind);
  absl::Status ParseParams(std::vector<Param>* params);
  absl::StatusOr<Target> ParseTarget(bool with_tuple, bool with_namespace);
  absl::StatusOr<Target> ParseTargetAtom();

  // Expressions (parser_expr.cc), in jinja2's precedence order.
  absl::StatusOr<ExprPtr> ParseTuple(bool with_condexpr, bool explicit_parens,
                                     std::initializer_list<std::string_view> end_names = {});
  absl::StatusOr<ExprPtr> ParseExpr(bool with_condexpr = true);
  absl::StatusOr<ExprPtr> ParseOr();
  absl::StatusOr<ExprPtr> ParseAnd();
  absl::StatusOr<ExprPtr> ParseNot();
  absl::StatusOr<ExprPtr> ParseCompare();
  absl::StatusOr<ExprPtr> ParseMath1();
  absl::StatusOr<ExprPtr> ParseConcat();
  absl::StatusOr<ExprPtr> ParseMath2();
  absl::StatusOr<ExprPtr> ParsePow();
  absl::StatusOr<ExprPtr> ParseUnary(bool with_filter);
  absl::StatusOr<ExprPtr> ParsePrimary();
  absl::StatusOr<ExprPtr> ParseList();
  absl::StatusOr<ExprPtr> ParseDict();
  absl::StatusOr<ExprPtr> ParsePostfix(ExprPtr node);
  absl::StatusOr<ExprPtr> ParseFilterExpr(ExprPtr node);
  absl::StatusOr<ExprPtr> ParseSubscript(ExprPtr node);
  absl::StatusOr<ExprPtr> ParseSliceOrIndex(ExprPtr node, SourcePos pos);
  absl::StatusOr<ExprPtr> ParseFilter(ExprPtr node, bool start_inline);
  absl::StatusOr<ExprPtr> ParseTest(ExprPtr node);
  absl::Status ParseCallArgs(ArgExprs* args);
  absl::StatusOr<std::string> ParseDottedName();

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  const TemplateOptions& options_;
  SourceMap map_;
  int depth_ = 0;
  int loop_depth_ = 0;
};

// Whether a body reads the variable `name` anywhere (used for macro varargs/kwargs/caller).
bool BodyReadsName(const Body& body, std::string_view name);
// Names read from the render context: free variables not bound by set/for/macro/with before use.
std::vector<std::string> FreeVariables(const Body& body);
// Names an expression reads from the render context.
std::vector<std::string> FreeVariables(const Expr& expr);
// Constant attribute paths rooted at free variables (`nodes.search.documents`), in order of appearance; a
// name read whole is a path of one part. Builtin globals (`range`, `namespace`) are left out.
std::vector<VariablePath> FreePaths(const Body& body);
std::vector<VariablePath> FreePaths(const Expr& expr);

}  // namespace catena::tmpl
