// Parser of the template engine: expressions, following jinja2's grammar and precedence (see parser.h).
#include "common/status.h"
#include "common/template/builtins.h"
#include "common/template/parser.h"
#include "common/template/text.h"

namespace catena::tmpl {
namespace {

bool IsCompareOp(const Token& t) {
  if (t.type != TokenType::kOperator) return false;
  return t.text == "==" || t.text == "!=" || t.text == "<" || t.text == "<=" || t.text == ">" || t.text == ">=";
}

ExprPtr MakeBinary(ExprKind kind, SourcePos pos, std::string op, ExprPtr lhs, ExprPtr rhs) {
  return std::make_unique<BinaryExpr>(kind, pos, std::move(op), std::move(lhs), std::move(rhs));
}

}  // namespace

absl::StatusOr<ExprPtr> Parser::ParseTuple(bool with_condexpr, bool explicit_parens,
                                           std::initializer_list<std::string_view> end_names) {
  const SourcePos pos = Pos(Current());
  auto is_end = [&] {
    const Token& t = Current();
    if (t.type == TokenType::kVariableEnd || t.type == TokenType::kBlockEnd || t.type == TokenType::kEof) return true;
    if (t.type == TokenType::kOperator && t.text == ")") return true;
    for (std::string_view name : end_names) {
      if (t.type == TokenType::kName && t.text == name) return true;
    }
    return false;
  };
  std::vector<ExprPtr> items;
  bool is_tuple = false;
  while (true) {
    if (!items.empty()) CATENA_RETURN_IF_ERROR(ExpectOp(","));
    if (is_end()) break;
    CATENA_ASSIGN_OR_RETURN(ExprPtr item, ParseExpr(with_condexpr));
    items.push_back(std::move(item));
    if (!IsOp(",")) break;
    is_tuple = true;
  }
  if (!is_tuple) {
    if (!items.empty()) return std::move(items.front());
    if (!explicit_parens) return Unexpected("an expression");
  }
  auto tuple = std::make_unique<SequenceExpr>(ExprKind::kTuple, pos);
  tuple->items = std::move(items);
  return tuple;
}

absl::StatusOr<ExprPtr> Parser::ParseExpr(bool with_condexpr) {
  CATENA_RETURN_IF_ERROR(Enter());
  if (!with_condexpr) {
    auto result = ParseOr();
    Leave();
    return result;
  }
  CATENA_ASSIGN_OR_RETURN(ExprPtr expr, ParseOr());
  while (IsName("if")) {
    auto cond = std::make_unique<CondExpr>(Pos(Advance()));
    CATENA_ASSIGN_OR_RETURN(cond->cond, ParseOr());
    if (SkipName("else")) {
      CATENA_ASSIGN_OR_RETURN(cond->otherwise, ParseExpr(true));
    }
    cond->then = std::move(expr);
    expr = std::move(cond);
  }
  Leave();
  return expr;
}

absl::StatusOr<ExprPtr> Parser::ParseOr() {
  CATENA_ASSIGN_OR_RETURN(ExprPtr lhs, ParseAnd());
  ChainDepth chain(this);
  while (IsName("or")) {
    CATENA_RETURN_IF_ERROR(chain.Add());
    const SourcePos pos = Pos(Advance());
    CATENA_ASSIGN_OR_RETURN(ExprPtr rhs, ParseAnd());
    lhs = MakeBinary(ExprKind::kOr, pos, "or", std::move(lhs), std::move(rhs));
  }
  return lhs;
}

absl::StatusOr<ExprPtr> Parser::ParseAnd() {
  CATENA_ASSIGN_OR_RETURN(ExprPtr lhs, ParseNot());
  ChainDepth chain(this);
  while (IsName("and")) {
    CATENA_RETURN_IF_ERROR(chain.Add());
    const SourcePos pos = Pos(Advance());
    CATENA_ASSIGN_OR_RETURN(ExprPtr rhs, ParseNot());
    lhs = MakeBinary(ExprKind::kAnd, pos, "and", std::move(lhs), std::move(rhs));
  }
  return lhs;
}

absl::StatusOr<ExprPtr> Parser::ParseNot() {
  if (!IsName("not")) return ParseCompare();
  const SourcePos pos = Pos(Advance());
  CATENA_RETURN_IF_ERROR(Enter());
  CATENA_ASSIGN_OR_RETURN(ExprPtr operand, ParseNot());
  Leave();
  return std::make_unique<UnaryExpr>(pos, "not", std::move(operand));
}

absl::StatusOr<ExprPtr> Parser::ParseCompare() {
  const SourcePos pos = Pos(Current());
  CATENA_ASSIGN_OR_RETURN(ExprPtr first, ParseMath1());
  std::unique_ptr<CompareExpr> compare;
  while (true) {
    std::string op;
    if (IsCompareOp(Current())) {
      op = Advance().text;
    } else if (SkipName("in")) {
      op = "in";
    } else if (IsName("not") && Peek().type == TokenType::kName && Peek().text == "in") {
      Advance();
      Advance();
      op = "notin";
    } else {
      break;
    }
    if (compare == nullptr) compare = std::make_unique<CompareExpr>(pos, std::move(first));
    CATENA_ASSIGN_OR_RETURN(ExprPtr rhs, ParseMath1());
    compare->rest.emplace_back(std::move(op), std::move(rhs));
  }
  if (compare == nullptr) return first;
  return compare;
}

absl::StatusOr<ExprPtr> Parser::ParseMath1() {
  CATENA_ASSIGN_OR_RETURN(ExprPtr lhs, ParseConcat());
  ChainDepth chain(this);
  while (IsOp("+") || IsOp("-")) {
    CATENA_RETURN_IF_ERROR(chain.Add());
    const Token& op = Advance();
    CATENA_ASSIGN_OR_RETURN(ExprPtr rhs, ParseConcat());
    lhs = MakeBinary(ExprKind::kBinary, Pos(op), op.text, std::move(lhs), std::move(rhs));
  }
  return lhs;
}

absl::StatusOr<ExprPtr> Parser::ParseConcat() {
  CATENA_ASSIGN_OR_RETURN(ExprPtr lhs, ParseMath2());
  ChainDepth chain(this);
  while (IsOp("~")) {
    CATENA_RETURN_IF_ERROR(chain.Add());
    const SourcePos pos = Pos(Advance());
    CATENA_ASSIGN_OR_RETURN(ExprPtr rhs, ParseMath2());
    lhs = MakeBinary(ExprKind::kBinary, pos, "~", std::move(lhs), std::move(rhs));
  }
  return lhs;
}

absl::StatusOr<ExprPtr> Parser::ParseMath2() {
  CATENA_ASSIGN_OR_RETURN(ExprPtr lhs, ParsePow());
  ChainDepth chain(this);
  while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%")) {
    CATENA_RETURN_IF_ERROR(chain.Add());
    const Token& op = Advance();
    CATENA_ASSIGN_OR_RETURN(ExprPtr rhs, ParsePow());
    lhs = MakeBinary(ExprKind::kBinary, Pos(op), op.text, std::move(lhs), std::move(rhs));
  }
  return lhs;
}

absl::StatusOr<ExprPtr> Parser::ParsePow() {
  CATENA_ASSIGN_OR_RETURN(ExprPtr lhs, ParseUnary(true));
  ChainDepth chain(this);
  while (IsOp("**")) {
    CATENA_RETURN_IF_ERROR(chain.Add());
    const SourcePos pos = Pos(Advance());
    CATENA_ASSIGN_OR_RETURN(ExprPtr rhs, ParseUnary(true));
    lhs = MakeBinary(ExprKind::kBinary, pos, "**", std::move(lhs), std::move(rhs));
  }
  return lhs;
}

absl::StatusOr<ExprPtr> Parser::ParseUnary(bool with_filter) {
  CATENA_RETURN_IF_ERROR(Enter());
  ExprPtr node;
  if (IsOp("-") || IsOp("+")) {
    const Token& op = Advance();
    CATENA_ASSIGN_OR_RETURN(ExprPtr operand, ParseUnary(false));
    node = std::make_unique<UnaryExpr>(Pos(op), op.text, std::move(operand));
  } else {
    CATENA_ASSIGN_OR_RETURN(node, ParsePrimary());
  }
  CATENA_ASSIGN_OR_RETURN(node, ParsePostfix(std::move(node)));
  if (with_filter) {
    CATENA_ASSIGN_OR_RETURN(node, ParseFilterExpr(std::move(node)));
  }
  Leave();
  return node;
}

absl::StatusOr<ExprPtr> Parser::ParsePrimary() {
  const Token& token = Current();
  const SourcePos pos = Pos(token);
  switch (token.type) {
    case TokenType::kName: {
      Advance();
      const std::string& name = token.text;
      if (name == "true" || name == "True") return std::make_unique<LiteralExpr>(pos, Value(true));
      if (name == "false" || name == "False") return std::make_unique<LiteralExpr>(pos, Value(false));
      if (name == "none" || name == "None") return std::make_unique<LiteralExpr>(pos, Value::None());
      return std::make_unique<NameExpr>(pos, name);
    }
    case TokenType::kString: {
      std::string text;
      while (Current().type == TokenType::kString) text += Advance().text;
      return std::make_unique<LiteralExpr>(pos, Value(std::move(text)));
    }
    case TokenType::kInteger:
      Advance();
      return std::make_unique<LiteralExpr>(pos, Value(token.int_value));
    case TokenType::kFloat:
      Advance();
      return std::make_unique<LiteralExpr>(pos, Value(token.float_value));
    default:
      break;
  }
  if (SkipOp("(")) {
    CATENA_ASSIGN_OR_RETURN(ExprPtr inner, ParseTuple(true, /*explicit_parens=*/true));
    CATENA_RETURN_IF_ERROR(ExpectOp(")"));
    return inner;
  }
  if (IsOp("[")) return ParseList();
  if (IsOp("{")) return ParseDict();
  return Unexpected("an expression");
}

absl::StatusOr<ExprPtr> Parser::ParseList() {
  auto list = std::make_unique<SequenceExpr>(ExprKind::kList, Pos(Advance()));
  while (!IsOp("]")) {
    if (!list->items.empty()) CATENA_RETURN_IF_ERROR(ExpectOp(","));
    if (IsOp("]")) break;
    CATENA_ASSIGN_OR_RETURN(ExprPtr item, ParseExpr());
    list->items.push_back(std::move(item));
  }
  Advance();
  return list;
}

absl::StatusOr<ExprPtr> Parser::ParseDict() {
  auto dict = std::make_unique<DictExpr>(Pos(Advance()));
  while (!IsOp("}")) {
    if (!dict->items.empty()) CATENA_RETURN_IF_ERROR(ExpectOp(","));
    if (IsOp("}")) break;
    CATENA_ASSIGN_OR_RETURN(ExprPtr key, ParseExpr());
    CATENA_RETURN_IF_ERROR(ExpectOp(":"));
    CATENA_ASSIGN_OR_RETURN(ExprPtr value, ParseExpr());
    dict->items.emplace_back(std::move(key), std::move(value));
  }
  Advance();
  return dict;
}

absl::StatusOr<ExprPtr> Parser::ParsePostfix(ExprPtr node) {
  ChainDepth chain(this);
  while (true) {
    CATENA_RETURN_IF_ERROR(chain.Add());
    if (IsOp(".") || IsOp("[")) {
      CATENA_ASSIGN_OR_RETURN(node, ParseSubscript(std::move(node)));
    } else if (IsOp("(")) {
      auto call = std::make_unique<CallExpr>(node->pos, std::move(node));
      CATENA_RETURN_IF_ERROR(ParseCallArgs(&call->args));
      node = std::move(call);
    } else {
      return node;
    }
  }
}

absl::StatusOr<ExprPtr> Parser::ParseFilterExpr(ExprPtr node) {
  ChainDepth chain(this);
  while (true) {
    CATENA_RETURN_IF_ERROR(chain.Add());
    if (IsOp("|")) {
      CATENA_ASSIGN_OR_RETURN(node, ParseFilter(std::move(node), false));
    } else if (IsName("is")) {
      CATENA_ASSIGN_OR_RETURN(node, ParseTest(std::move(node)));
    } else if (IsOp("(")) {
      auto call = std::make_unique<CallExpr>(node->pos, std::move(node));
      CATENA_RETURN_IF_ERROR(ParseCallArgs(&call->args));
      node = std::move(call);
    } else {
      return node;
    }
  }
}

absl::StatusOr<ExprPtr> Parser::ParseSubscript(ExprPtr node) {
  const Token& op = Advance();
  const SourcePos pos = node->pos;
  if (op.text == ".") {
    const Token& attr = Advance();
    if (attr.type == TokenType::kName) return std::make_unique<GetAttrExpr>(pos, std::move(node), attr.text);
    if (attr.type != TokenType::kInteger) return Error(attr, "expected a name or number after '.'");
    auto index = std::make_unique<LiteralExpr>(Pos(attr), Value(attr.int_value));
    return std::make_unique<GetItemExpr>(pos, std::move(node), std::move(index));
  }
  return ParseSliceOrIndex(std::move(node), pos);
}

// After '[': an index `a[i]`, a tuple index `a[i, j]` or a slice `a[start:stop:step]`.
absl::StatusOr<ExprPtr> Parser::ParseSliceOrIndex(ExprPtr node, SourcePos pos) {
  ExprPtr parts[3];
  int colons = 0;
  while (!IsOp("]")) {
    if (SkipOp(":")) {
      if (++colons > 2) return Error(Current(), "too many ':' in slice");
      continue;
    }
    if (parts[colons] != nullptr) return Unexpected("']'");
    CATENA_ASSIGN_OR_RETURN(parts[colons], ParseTuple(true, false));
  }
  Advance();
  if (colons == 0) {
    if (parts[0] == nullptr) parts[0] = std::make_unique<SequenceExpr>(ExprKind::kTuple, pos);  // a[] is a[()]
    return std::make_unique<GetItemExpr>(pos, std::move(node), std::move(parts[0]));
  }
  auto slice = std::make_unique<SliceExpr>(pos, std::move(node));
  slice->start = std::move(parts[0]);
  slice->stop = std::move(parts[1]);
  slice->step = std::move(parts[2]);
  return slice;
}

absl::StatusOr<std::string> Parser::ParseDottedName() {
  CATENA_ASSIGN_OR_RETURN(std::string name, ExpectName());
  while (IsOp(".")) {
    Advance();
    CATENA_ASSIGN_OR_RETURN(std::string part, ExpectName());
    text::Append(&name, ".", part);
  }
  return name;
}

absl::StatusOr<ExprPtr> Parser::ParseFilter(ExprPtr node, bool start_inline) {
  ChainDepth chain(this);
  while (IsOp("|") || start_inline) {
    CATENA_RETURN_IF_ERROR(chain.Add());
    if (!start_inline) Advance();
    start_inline = false;
    const Token& name_token = Current();
    CATENA_ASSIGN_OR_RETURN(std::string name, ParseDottedName());
    if (FindFilter(name) == nullptr) return Error(name_token, text::Cat("unknown filter '", name, "'"));
    auto filter = std::make_unique<FilterExpr>(ExprKind::kFilter, Pos(name_token), std::move(node), name);
    if (IsOp("(")) CATENA_RETURN_IF_ERROR(ParseCallArgs(&filter->args));
    node = std::move(filter);
  }
  return node;
}

absl::StatusOr<ExprPtr> Parser::ParseTest(ExprPtr node) {
  const SourcePos is_pos = Pos(Advance());
  const bool negated = SkipName("not");
  const Token& name_token = Current();
  CATENA_ASSIGN_OR_RETURN(std::string name, ParseDottedName());
  if (FindTest(name) == nullptr) return Error(name_token, text::Cat("unknown test '", name, "'"));
  auto test = std::make_unique<FilterExpr>(ExprKind::kTest, Pos(name_token), std::move(node), name);
  const Token& t = Current();
  const bool arg_start = t.type == TokenType::kName || t.type == TokenType::kString || t.type == TokenType::kInteger ||
                         t.type == TokenType::kFloat ||
                         (t.type == TokenType::kOperator && (t.text == "(" || t.text == "[" || t.text == "{"));
  if (IsOp("(")) {
    CATENA_RETURN_IF_ERROR(ParseCallArgs(&test->args));
  } else if (arg_start && !IsName("else") && !IsName("or") && !IsName("and")) {
    if (IsName("is")) return Error(t, "tests cannot be chained with 'is'");
    CATENA_ASSIGN_OR_RETURN(ExprPtr arg, ParsePrimary());
    CATENA_ASSIGN_OR_RETURN(arg, ParsePostfix(std::move(arg)));
    test->args.positional.push_back(std::move(arg));
  }
  if (!negated) return test;
  return std::make_unique<UnaryExpr>(is_pos, "not", std::move(test));
}

absl::Status Parser::ParseCallArgs(ArgExprs* args) {
  CATENA_RETURN_IF_ERROR(ExpectOp("("));
  bool need_comma = false;
  while (!IsOp(")")) {
    if (need_comma) {
      CATENA_RETURN_IF_ERROR(ExpectOp(","));
      if (IsOp(")")) break;
    }
    if (Current().type == TokenType::kName && Peek().type == TokenType::kOperator && Peek().text == "=") {
      std::string key = Advance().text;
      Advance();
      CATENA_ASSIGN_OR_RETURN(ExprPtr value, ParseExpr());
      args->keyword.emplace_back(std::move(key), std::move(value));
    } else {
      if (!args->keyword.empty()) return Error(Current(), "positional argument follows keyword argument");
      CATENA_ASSIGN_OR_RETURN(ExprPtr value, ParseExpr());
      args->positional.push_back(std::move(value));
    }
    need_comma = true;
  }
  Advance();
  return absl::OkStatus();
}

}  // namespace catena::tmpl
