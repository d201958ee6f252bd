// Parser of the template engine: token stream helpers and statement parsing (see parser.h).
#include "common/template/parser.h"

#include "absl/strings/str_join.h"
#include "common/status.h"
#include "common/template/text.h"

namespace catena::tmpl {
namespace {

constexpr int kMaxNesting = 200;

std::string Describe(const Token& token) {
  switch (token.type) {
    case TokenType::kEof:
      return "end of template";
    case TokenType::kBlockEnd:
      return "end of statement block";
    case TokenType::kVariableEnd:
      return "end of print statement";
    case TokenType::kBlockBegin:
      return "begin of statement block";
    case TokenType::kVariableBegin:
      return "begin of print statement";
    case TokenType::kText:
      return "template data";
    case TokenType::kString:
      return "string literal";
    default:
      return text::Cat("'", token.text, "'");
  }
}

std::string QuoteList(std::initializer_list<std::string_view> names) {
  std::vector<std::string> quoted;
  for (std::string_view name : names) quoted.push_back(text::Cat("'", name, "'"));
  return absl::StrJoin(quoted, " or ");
}

}  // namespace

Parser::Parser(std::vector<Token> tokens, std::string_view source, const TemplateOptions& options)
    : tokens_(std::move(tokens)), options_(options), map_(source) {}

const Token& Parser::Peek(size_t ahead) const { return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)]; }

bool Parser::IsOp(std::string_view op) const { return Current().type == TokenType::kOperator && Current().text == op; }

bool Parser::IsName(std::string_view name) const {
  return Current().type == TokenType::kName && Current().text == name;
}

bool Parser::SkipOp(std::string_view op) {
  if (!IsOp(op)) return false;
  Advance();
  return true;
}

bool Parser::SkipName(std::string_view name) {
  if (!IsName(name)) return false;
  Advance();
  return true;
}

absl::Status Parser::Error(const Token& token, std::string_view what) const {
  return LocatedError(options_.name, Pos(token), what);
}

absl::Status Parser::Unexpected(std::string_view expected) const {
  return Error(Current(), text::Cat("expected ", expected, ", got ", Describe(Current())));
}

absl::Status Parser::ExpectOp(std::string_view op) {
  if (SkipOp(op)) return absl::OkStatus();
  return Unexpected(text::Cat("'", op, "'"));
}

absl::StatusOr<std::string> Parser::ExpectName() {
  if (Current().type != TokenType::kName) return Unexpected("a name");
  return Advance().text;
}

absl::Status Parser::ExpectBlockEnd() {
  if (Current().type == TokenType::kBlockEnd) {
    Advance();
    return absl::OkStatus();
  }
  return Unexpected("end of statement block");
}

absl::Status Parser::Enter() {
  if (++depth_ > kMaxNesting) return Error(Current(), "template nests too deeply");
  return absl::OkStatus();
}

absl::StatusOr<Body> Parser::ParseAll() {
  Body body;
  std::string found;
  CATENA_RETURN_IF_ERROR(ParseBody(&body, OpenBlock{}, {}, &found));
  return body;
}

absl::StatusOr<ExprPtr> Parser::ParseWholeExpression() {
  CATENA_ASSIGN_OR_RETURN(ExprPtr expr, ParseTuple(/*with_condexpr=*/true, /*explicit_parens=*/false));
  if (Current().type != TokenType::kEof) return Unexpected("end of expression");
  return expr;
}

absl::Status Parser::ParseBody(Body* body, const OpenBlock& block, std::initializer_list<std::string_view> end_tags,
                               std::string* found) {
  CATENA_RETURN_IF_ERROR(Enter());
  while (true) {
    const Token& token = Advance();
    switch (token.type) {
      case TokenType::kText:
        body->push_back(std::make_unique<TextStmt>(Pos(token), token.text));
        break;
      case TokenType::kVariableBegin: {
        CATENA_ASSIGN_OR_RETURN(ExprPtr expr, ParseTuple(true, false));
        if (Current().type != TokenType::kVariableEnd) return Unexpected("end of print statement");
        Advance();
        body->push_back(std::make_unique<ExprStmt>(StmtKind::kOutput, Pos(token), std::move(expr)));
        break;
      }
      case TokenType::kBlockBegin: {
        if (Current().type == TokenType::kName) {
          for (std::string_view end : end_tags) {
            if (Current().text != end) continue;
            *found = Advance().text;
            Leave();
            return absl::OkStatus();
          }
        }
        if (end_tags.size() > 0 && Current().type == TokenType::kName &&
            (Current().text.starts_with("end") || Current().text == "else" || Current().text == "elif")) {
          const SourcePos open = map_.Locate(block.offset);
          return Error(Current(), text::Cat("unexpected '", Current().text, "': expected ", QuoteList(end_tags),
                                            " to close the '", block.tag, "' block opened at line ", open.line));
        }
        CATENA_ASSIGN_OR_RETURN(StmtPtr stmt, ParseTag(token));
        body->push_back(std::move(stmt));
        break;
      }
      case TokenType::kEof:
        if (end_tags.size() == 0) {
          Leave();
          return absl::OkStatus();
        }
        return LocatedError(options_.name, map_.Locate(block.offset),
                            text::Cat("unclosed '", block.tag, "' block: expected ", QuoteList(end_tags),
                                      " before the end of the template"));
      default:
        return Error(token, text::Cat("unexpected ", Describe(token)));
    }
  }
}

absl::StatusOr<StmtPtr> Parser::ParseTag(const Token& begin) {
  if (Current().type != TokenType::kName) return Unexpected("a tag name");
  const std::string tag = Current().text;
  if (tag == "if") return ParseIf(begin);
  if (tag == "for") return ParseFor(begin);
  if (tag == "set") return ParseSet(begin);
  if (tag == "macro") return ParseMacro(begin);
  if (tag == "call") return ParseCallBlock(begin);
  if (tag == "filter") return ParseFilterBlock(begin);
  if (tag == "with") return ParseWith(begin);
  if (tag == "break") return ParseLoopControl(begin, StmtKind::kBreak);
  if (tag == "continue") return ParseLoopControl(begin, StmtKind::kContinue);
  if (tag == "do") {
    Advance();
    CATENA_ASSIGN_OR_RETURN(ExprPtr expr, ParseTuple(true, false));
    CATENA_RETURN_IF_ERROR(ExpectBlockEnd());
    return std::make_unique<ExprStmt>(StmtKind::kDo, Pos(begin), std::move(expr));
  }
  if (tag.starts_with("end") || tag == "else" || tag == "elif") {
    return Error(Current(), text::Cat("unexpected '", tag, "' tag: no open block expects it"));
  }
  return Error(Current(), text::Cat("unknown tag '", tag, "'"));
}

absl::StatusOr<StmtPtr> Parser::ParseIf(const Token& begin) {
  auto stmt = std::make_unique<IfStmt>(Pos(begin));
  const OpenBlock block{"if", begin.offset};
  Advance();
  while (true) {
    CATENA_ASSIGN_OR_RETURN(ExprPtr cond, ParseTuple(false, false));
    CATENA_RETURN_IF_ERROR(ExpectBlockEnd());
    Body body;
    std::string found;
    CATENA_RETURN_IF_ERROR(ParseBody(&body, block, {"elif", "else", "endif"}, &found));
    stmt->branches.emplace_back(std::move(cond), std::move(body));
    if (found == "elif") continue;
    if (found == "else") {
      CATENA_RETURN_IF_ERROR(ExpectBlockEnd());
      CATENA_RETURN_IF_ERROR(ParseBody(&stmt->otherwise, block, {"endif"}, &found));
    }
    CATENA_RETURN_IF_ERROR(ExpectBlockEnd());
    return stmt;
  }
}

absl::StatusOr<StmtPtr> Parser::ParseFor(const Token& begin) {
  auto stmt = std::make_unique<ForStmt>(Pos(begin));
  const OpenBlock block{"for", begin.offset};
  Advance();
  CATENA_ASSIGN_OR_RETURN(stmt->target, ParseTarget(/*with_tuple=*/true, /*with_namespace=*/false));
  if (!SkipName("in")) return Unexpected("'in'");
  CATENA_ASSIGN_OR_RETURN(stmt->iter, ParseTuple(/*with_condexpr=*/false, false, {"recursive"}));
  if (SkipName("if")) {
    CATENA_ASSIGN_OR_RETURN(stmt->filter, ParseExpr());
  }
  stmt->recursive = SkipName("recursive");
  CATENA_RETURN_IF_ERROR(ExpectBlockEnd());
  std::string found;
  ++loop_depth_;
  absl::Status status = ParseBody(&stmt->body, block, {"endfor", "else"}, &found);
  --loop_depth_;
  CATENA_RETURN_IF_ERROR(status);
  if (found == "else") {
    CATENA_RETURN_IF_ERROR(ExpectBlockEnd());
    CATENA_RETURN_IF_ERROR(ParseBody(&stmt->otherwise, block, {"endfor"}, &found));
  }
  CATENA_RETURN_IF_ERROR(ExpectBlockEnd());
  return stmt;
}

absl::StatusOr<StmtPtr> Parser::ParseSet(const Token& begin) {
  Advance();
  CATENA_ASSIGN_OR_RETURN(Target target, ParseTarget(/*with_tuple=*/true, /*with_namespace=*/true));
  if (SkipOp("=")) {
    auto stmt = std::make_unique<SetStmt>(StmtKind::kSet, Pos(begin));
    stmt->target = std::move(target);
    CATENA_ASSIGN_OR_RETURN(stmt->value, ParseTuple(true, false));
    CATENA_RETURN_IF_ERROR(ExpectBlockEnd());
    return stmt;
  }
  if (target.kind == Target::Kind::kTuple) return Unexpected("'='");
  auto stmt = std::make_unique<SetStmt>(StmtKind::kSetBlock, Pos(begin));
  stmt->target = std::move(target);
  if (IsOp("|")) {
    CATENA_ASSIGN_OR_RETURN(ExprPtr chain, ParseFilter(nullptr, /*start_inline=*/false));
    stmt->filters.push_back(std::move(chain));
  }
  CATENA_RETURN_IF_ERROR(ExpectBlockEnd());
  std::string found;
  CATENA_RETURN_IF_ERROR(ParseBody(&stmt->body, OpenBlock{"set", begin.offset}, {"endset"}, &found));
  CATENA_RETURN_IF_ERROR(ExpectBlockEnd());
  return stmt;
}

absl::Status Parser::ParseParams(std::vector<Param>* params) {
  CATENA_RETURN_IF_ERROR(ExpectOp("("));
  while (!IsOp(")")) {
    if (!params->empty()) CATENA_RETURN_IF_ERROR(ExpectOp(","));
    if (IsOp(")")) break;
    Param param;
    CATENA_ASSIGN_OR_RETURN(param.name, ExpectName());
    if (SkipOp("=")) {
      CATENA_ASSIGN_OR_RETURN(param.default_value, ParseExpr());
    } else if (!params->empty() && params->back().default_value != nullptr) {
      return Error(Current(), "parameter without a default follows a parameter with a default");
    }
    params->push_back(std::move(param));
  }
  Advance();
  return absl::OkStatus();
}

absl::StatusOr<StmtPtr> Parser::ParseMacro(const Token& begin) {
  auto stmt = std::make_unique<MacroStmt>(StmtKind::kMacro, Pos(begin));
  Advance();
  CATENA_ASSIGN_OR_RETURN(stmt->name, ExpectName());
  CATENA_RETURN_IF_ERROR(ParseParams(&stmt->params));
  CATENA_RETURN_IF_ERROR(ExpectBlockEnd());
  std::string found;
  const int saved_loop_depth = loop_depth_;
  loop_depth_ = 0;
  absl::Status status = ParseBody(&stmt->body, OpenBlock{"macro", begin.offset}, {"endmacro"}, &found);
  loop_depth_ = saved_loop_depth;
  CATENA_RETURN_IF_ERROR(status);
  CATENA_RETURN_IF_ERROR(ExpectBlockEnd());
  stmt->catch_varargs = BodyReadsName(stmt->body, "varargs");
  stmt->catch_kwargs = BodyReadsName(stmt->body, "kwargs");
  stmt->uses_caller = BodyReadsName(stmt->body, "caller");
  return stmt;
}

absl::StatusOr<StmtPtr> Parser::ParseCallBlock(const Token& begin) {
  auto stmt = std::make_unique<MacroStmt>(StmtKind::kCallBlock, Pos(begin));
  stmt->name = "caller";
  Advance();
  if (IsOp("(")) CATENA_RETURN_IF_ERROR(ParseParams(&stmt->params));
  CATENA_ASSIGN_OR_RETURN(stmt->call, ParseExpr());
  if (stmt->call->kind != ExprKind::kCall) return Error(begin, "expected a call after 'call'");
  CATENA_RETURN_IF_ERROR(ExpectBlockEnd());
  std::string found;
  CATENA_RETURN_IF_ERROR(ParseBody(&stmt->body, OpenBlock{"call", begin.offset}, {"endcall"}, &found));
  CATENA_RETURN_IF_ERROR(ExpectBlockEnd());
  stmt->catch_varargs = BodyReadsName(stmt->body, "varargs");
  stmt->catch_kwargs = BodyReadsName(stmt->body, "kwargs");
  return stmt;
}

absl::StatusOr<StmtPtr> Parser::ParseFilterBlock(const Token& begin) {
  auto stmt = std::make_unique<FilterBlockStmt>(Pos(begin));
  Advance();
  CATENA_ASSIGN_OR_RETURN(ExprPtr chain, ParseFilter(nullptr, /*start_inline=*/true));
  stmt->filters.push_back(std::move(chain));
  CATENA_RETURN_IF_ERROR(ExpectBlockEnd());
  std::string found;
  CATENA_RETURN_IF_ERROR(ParseBody(&stmt->body, OpenBlock{"filter", begin.offset}, {"endfilter"}, &found));
  CATENA_RETURN_IF_ERROR(ExpectBlockEnd());
  return stmt;
}

absl::StatusOr<StmtPtr> Parser::ParseWith(const Token& begin) {
  auto stmt = std::make_unique<WithStmt>(Pos(begin));
  Advance();
  while (Current().type != TokenType::kBlockEnd) {
    if (!stmt->assignments.empty()) CATENA_RETURN_IF_ERROR(ExpectOp(","));
    CATENA_ASSIGN_OR_RETURN(Target target, ParseTarget(/*with_tuple=*/false, /*with_namespace=*/false));
    CATENA_RETURN_IF_ERROR(ExpectOp("="));
    CATENA_ASSIGN_OR_RETURN(ExprPtr value, ParseExpr());
    stmt->assignments.emplace_back(std::move(target), std::move(value));
  }
  Advance();
  std::string found;
  CATENA_RETURN_IF_ERROR(ParseBody(&stmt->body, OpenBlock{"with", begin.offset}, {"endwith"}, &found));
  CATENA_RETURN_IF_ERROR(ExpectBlockEnd());
  return stmt;
}

absl::StatusOr<StmtPtr> Parser::ParseLoopControl(const Token& begin, StmtKind kind) {
  const Token& name = Advance();
  if (loop_depth_ == 0) return Error(name, text::Cat("'", name.text, "' outside of a loop"));
  CATENA_RETURN_IF_ERROR(ExpectBlockEnd());
  return std::make_unique<SimpleStmt>(kind, Pos(begin));
}

absl::StatusOr<Target> Parser::ParseTargetAtom() {
  Target target;
  target.pos = Pos(Current());
  if (SkipOp("(")) {
    target.kind = Target::Kind::kTuple;
    while (!IsOp(")")) {
      if (!target.items.empty()) CATENA_RETURN_IF_ERROR(ExpectOp(","));
      if (IsOp(")")) break;
      CATENA_ASSIGN_OR_RETURN(Target item, ParseTargetAtom());
      target.items.push_back(std::move(item));
    }
    Advance();
    return target;
  }
  CATENA_ASSIGN_OR_RETURN(target.name, ExpectName());
  static constexpr std::string_view kReserved[] = {"true", "false", "none", "True", "False", "None"};
  for (std::string_view reserved : kReserved) {
    if (target.name == reserved) return Error(tokens_[pos_ - 1], text::Cat("cannot assign to '", reserved, "'"));
  }
  return target;
}

absl::StatusOr<Target> Parser::ParseTarget(bool with_tuple, bool with_namespace) {
  if (with_namespace && Current().type == TokenType::kName && Peek().type == TokenType::kOperator &&
      Peek().text == ".") {
    Target target;
    target.kind = Target::Kind::kAttr;
    target.pos = Pos(Current());
    target.name = Advance().text;
    Advance();
    CATENA_ASSIGN_OR_RETURN(target.attr, ExpectName());
    return target;
  }
  CATENA_ASSIGN_OR_RETURN(Target first, ParseTargetAtom());
  if (!with_tuple || !IsOp(",")) return first;
  Target tuple;
  tuple.kind = Target::Kind::kTuple;
  tuple.pos = first.pos;
  tuple.items.push_back(std::move(first));
  while (SkipOp(",")) {
    if (Current().type != TokenType::kName && !IsOp("(")) break;
    CATENA_ASSIGN_OR_RETURN(Target item, ParseTargetAtom());
    tuple.items.push_back(std::move(item));
  }
  return tuple;
}

absl::StatusOr<TemplateAst> ParseTemplate(std::string_view source, const TemplateOptions& options) {
  CATENA_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(source, options));
  Parser parser(std::move(tokens), source, options);
  CATENA_ASSIGN_OR_RETURN(Body body, parser.ParseAll());
  return TemplateAst{std::move(body)};
}

absl::StatusOr<ExprPtr> ParseExpression(std::string_view source, const TemplateOptions& options) {
  CATENA_ASSIGN_OR_RETURN(std::vector<Token> tokens, TokenizeExpression(source, options));
  Parser parser(std::move(tokens), source, options);
  return parser.ParseWholeExpression();
}

}  // namespace catena::tmpl
