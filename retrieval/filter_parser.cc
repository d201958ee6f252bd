// Recursive-descent parser and type checker of the filter language (grammar in docs/filters.md). Recursion is
// bounded by kMaxFilterDepth; `and` / `or` chains are parsed iteratively, so no input can exhaust the stack.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "retrieval/filter_lexer.h"
#include "retrieval/filter_node.h"

namespace catena::retrieval {
namespace {

using Token = FilterToken;
using Kind = FilterToken::Kind;

bool IsReserved(std::string_view name) {
  return name == "and" || name == "or" || name == "not" || name == "in" || name == "true" || name == "false";
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string Describe(const Token& token) {
  switch (token.kind) {
    case Kind::kEnd:
      return "end of input";
    case Kind::kString:
      return absl::StrCat("string \"", token.text, "\"");
    case Kind::kInt:
    case Kind::kFloat:
      return absl::StrCat("number ", token.text);
    default:
      return absl::StrCat("'", token.text, "'");
  }
}

std::string DescribeValue(const FilterValue& value, const Token& token) {
  switch (value.kind) {
    case FilterValue::Kind::kString:
      return absl::StrCat("string \"", value.string_value, "\"");
    case FilterValue::Kind::kInt:
      return absl::StrCat("int ", token.text);
    case FilterValue::Kind::kFloat:
      return absl::StrCat("float ", token.text);
    case FilterValue::Kind::kBool:
      return absl::StrCat("bool ", token.text);
  }
  return "value";
}

bool IsNumeric(const FilterValue& value) {
  return value.kind == FilterValue::Kind::kInt || value.kind == FilterValue::Kind::kFloat;
}

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens, const MetadataSchema& schema)
      : text_(text), tokens_(std::move(tokens)), schema_(schema) {}

  absl::StatusOr<ParsedFilter> Run();

 private:
  const Token& Peek(size_t ahead = 0) const { return tokens_[std::min(next_ + ahead, tokens_.size() - 1)]; }
  bool IsName(const Token& token, std::string_view name) const {
    return token.kind == Kind::kName && token.text == name;
  }
  bool IsPunct(const Token& token, std::string_view punct) const {
    return token.kind == Kind::kPunct && token.text == punct;
  }
  absl::Status Error(size_t pos, std::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat(FilterWhere(text_, pos), ": ", std::string(message)));
  }

  absl::StatusOr<FilterNode> ParseChain(FilterOp op, int depth);
  absl::StatusOr<FilterNode> ParseUnary(int depth);
  absl::StatusOr<FilterNode> ParsePrimary(int depth);
  absl::StatusOr<FilterNode> ParseHas();
  absl::StatusOr<FilterNode> ParsePredicate();
  absl::Status ParseField(FilterNode& node);
  absl::StatusOr<FilterValue> ParseValue(const Token& after);
  absl::Status ParseList(FilterNode& node, const Token& op_token);
  absl::Status CheckType(const FilterNode& node, const Token& op_token, FilterValue& value, const Token& token);
  template <typename Mismatch>
  absl::Status ConvertTimestamp(FilterValue& value, const Token& token, const Mismatch& mismatch) const;

  std::string_view text_;
  std::vector<Token> tokens_;
  const MetadataSchema& schema_;
  size_t next_ = 0;
  std::vector<std::string> fields_;
};

absl::StatusOr<ParsedFilter> Parser::Run() {
  if (Peek().kind == Kind::kEnd) return Error(Peek().pos, "expected a condition but found end of input");
  CATENA_ASSIGN_OR_RETURN(FilterNode root, ParseChain(FilterOp::kOr, 0));
  if (Peek().kind != Kind::kEnd) {
    return Error(Peek().pos, absl::StrCat("expected 'and', 'or' or end of input but found ", Describe(Peek())));
  }
  return ParsedFilter{std::make_unique<FilterNode>(std::move(root)), std::move(fields_)};
}

// or-chain of and-chains of unary terms; a chain of one is returned as is.
absl::StatusOr<FilterNode> Parser::ParseChain(FilterOp op, int depth) {
  const std::string_view word = op == FilterOp::kOr ? "or" : "and";
  FilterNode chain;
  chain.op = op;
  do {
    if (!chain.children.empty()) ++next_;
    auto child = op == FilterOp::kOr ? ParseChain(FilterOp::kAnd, depth) : ParseUnary(depth);
    if (!child.ok()) return child.status();
    chain.children.push_back(*std::move(child));
  } while (IsName(Peek(), word));
  if (chain.children.size() == 1) return std::move(chain.children.front());
  return chain;
}

absl::StatusOr<FilterNode> Parser::ParseUnary(int depth) {
  if (depth >= kMaxFilterDepth) {
    return Error(Peek().pos, absl::StrCat("expression nests deeper than ", kMaxFilterDepth, " levels"));
  }
  if (!IsName(Peek(), "not")) return ParsePrimary(depth);
  ++next_;
  FilterNode node;
  node.op = FilterOp::kNot;
  CATENA_ASSIGN_OR_RETURN(FilterNode child, ParseUnary(depth + 1));
  node.children.push_back(std::move(child));
  return node;
}

absl::StatusOr<FilterNode> Parser::ParsePrimary(int depth) {
  const Token& token = Peek();
  if (IsPunct(token, "(")) {
    ++next_;
    CATENA_ASSIGN_OR_RETURN(FilterNode inner, ParseChain(FilterOp::kOr, depth + 1));
    if (!IsPunct(Peek(), ")")) {
      return Error(Peek().pos, absl::StrCat("expected ')' to close the '(' at ", FilterWhere(text_, token.pos),
                                            " but found ", Describe(Peek())));
    }
    ++next_;
    return inner;
  }
  if (IsName(token, "has") && IsPunct(Peek(1), "(")) return ParseHas();
  if (token.kind == Kind::kName && !IsReserved(token.text)) return ParsePredicate();
  return Error(token.pos, absl::StrCat("expected a condition but found ", Describe(token)));
}

absl::StatusOr<FilterNode> Parser::ParseHas() {
  next_ += 2;  // has (
  FilterNode node;
  node.op = FilterOp::kHas;
  CATENA_RETURN_IF_ERROR(ParseField(node));
  if (!IsPunct(Peek(), ")")) {
    return Error(Peek().pos, absl::StrCat("expected ')' after the field name in has() but found ", Describe(Peek())));
  }
  ++next_;
  return node;
}

// Reads a field name into `node.field`, checking it against the schema.
absl::Status Parser::ParseField(FilterNode& node) {
  const Token& token = Peek();
  if (token.kind != Kind::kName || IsReserved(token.text)) {
    return Error(token.pos, absl::StrCat("expected a field name but found ", Describe(token)));
  }
  if (!IsValidMetadataKey(token.text)) {
    return Error(token.pos, absl::StrCat("field name '", token.text.substr(0, 20), "...' is longer than ",
                                         kMaxMetadataKeyLength, " bytes"));
  }
  if (!schema_.empty() && schema_.Find(token.text) == nullptr) {
    std::string suggestion;
    size_t best = 3;
    for (const FieldSpec& spec : schema_.fields()) {
      const size_t distance = EditDistance(token.text, spec.name);
      if (distance < best) best = distance, suggestion = spec.name;
    }
    return Error(token.pos,
                 absl::StrCat("unknown field '", token.text, "'",
                              suggestion.empty() ? "" : absl::StrCat(" (did you mean '", suggestion, "'?)")));
  }
  node.field = token.text;
  if (std::find(fields_.begin(), fields_.end(), node.field) == fields_.end()) fields_.push_back(node.field);
  ++next_;
  return absl::OkStatus();
}

absl::StatusOr<FilterNode> Parser::ParsePredicate() {
  FilterNode node;
  CATENA_RETURN_IF_ERROR(ParseField(node));
  const Token op_token = Peek();
  static constexpr std::pair<std::string_view, FilterOp> kComparisons[] = {
      {"==", FilterOp::kEq}, {"!=", FilterOp::kNe}, {"<", FilterOp::kLt},
      {"<=", FilterOp::kLe}, {">", FilterOp::kGt},  {">=", FilterOp::kGe}};
  for (const auto& [punct, op] : kComparisons) {
    if (!IsPunct(op_token, punct)) continue;
    node.op = op;
    ++next_;
    const Token value_token = Peek();
    CATENA_ASSIGN_OR_RETURN(node.value, ParseValue(op_token));
    CATENA_RETURN_IF_ERROR(CheckType(node, op_token, node.value, value_token));
    return node;
  }
  if (IsName(op_token, "contains")) {
    node.op = FilterOp::kContains;
    ++next_;
    const Token value_token = Peek();
    CATENA_ASSIGN_OR_RETURN(node.value, ParseValue(op_token));
    CATENA_RETURN_IF_ERROR(CheckType(node, op_token, node.value, value_token));
    return node;
  }
  if (IsName(op_token, "in") || (IsName(op_token, "not") && IsName(Peek(1), "in"))) {
    node.op = IsName(op_token, "in") ? FilterOp::kIn : FilterOp::kNotIn;
    next_ += node.op == FilterOp::kIn ? 1 : 2;
    CATENA_RETURN_IF_ERROR(ParseList(node, op_token));
    return node;
  }
  return Error(op_token.pos, absl::StrCat("expected an operator (==, !=, <, <=, >, >=, in, not in, contains) after '",
                                          node.field, "' but found ", Describe(op_token)));
}

// Timestamp literals: RFC 3339 strings or unix seconds (milliseconds from kTimestampMillisThreshold on), all
// turned into int unix milliseconds.
template <typename Mismatch>
absl::Status Parser::ConvertTimestamp(FilterValue& value, const Token& token, const Mismatch& mismatch) const {
  if (value.kind == FilterValue::Kind::kString) {
    absl::StatusOr<int64_t> millis = ParseRfc3339Millis(value.string_value);
    if (!millis.ok()) return Error(token.pos, std::string(millis.status().message()));
    value = FilterValue{FilterValue::Kind::kInt, *millis};
    return absl::OkStatus();
  }
  if (!IsNumeric(value)) return mismatch();
  const double seconds =
      value.kind == FilterValue::Kind::kInt ? static_cast<double>(value.int_value) : value.float_value;
  if (std::fabs(seconds) >= kTimestampMillisThreshold && std::fabs(seconds) < 9.2e18) {
    value = FilterValue{FilterValue::Kind::kInt,
                        value.kind == FilterValue::Kind::kInt ? value.int_value : std::llround(seconds)};
    return absl::OkStatus();
  }
  if (!(std::fabs(seconds) < 9.2e15)) return Error(token.pos, "timestamp (unix seconds) is out of range");
  const int64_t millis = value.kind == FilterValue::Kind::kInt ? value.int_value * 1000
                                                               : static_cast<int64_t>(std::llround(seconds * 1000));
  value = FilterValue{FilterValue::Kind::kInt, millis};
  return absl::OkStatus();
}

absl::StatusOr<FilterValue> Parser::ParseValue(const Token& after) {
  const Token& token = Peek();
  FilterValue value;
  if (token.kind == Kind::kString) {
    value.kind = FilterValue::Kind::kString;
    value.string_value = token.text;
  } else if (token.kind == Kind::kInt) {
    value.kind = FilterValue::Kind::kInt;
    value.int_value = token.int_value;
  } else if (token.kind == Kind::kFloat) {
    value.kind = FilterValue::Kind::kFloat;
    value.float_value = token.float_value;
  } else if (IsName(token, "true") || IsName(token, "false")) {
    value.kind = FilterValue::Kind::kBool;
    value.bool_value = token.text == "true";
  } else {
    return Error(token.pos, absl::StrCat("expected a value after '", after.text, "' but found ", Describe(token)));
  }
  ++next_;
  return value;
}

// '[' value (',' value)* ']' or '[' ']'.
absl::Status Parser::ParseList(FilterNode& node, const Token& op_token) {
  if (!IsPunct(Peek(), "[")) {
    return Error(Peek().pos,
                 absl::StrCat("expected a list like [\"a\", \"b\"] after '", node.op == FilterOp::kIn ? "in" : "not in",
                              "' but found ", Describe(Peek())));
  }
  ++next_;
  if (IsPunct(Peek(), "]")) return ++next_, absl::OkStatus();
  while (true) {
    const Token& separator = tokens_[next_ - 1];
    const Token value_token = Peek();
    CATENA_ASSIGN_OR_RETURN(FilterValue value, ParseValue(separator));
    CATENA_RETURN_IF_ERROR(CheckType(node, op_token, value, value_token));
    node.list.push_back(std::move(value));
    if (IsPunct(Peek(), "]")) return ++next_, absl::OkStatus();
    if (!IsPunct(Peek(), ",")) {
      return Error(Peek().pos, absl::StrCat("expected ',' or ']' in the list but found ", Describe(Peek())));
    }
    ++next_;
  }
}

// Checks `value` against the declared type of `node.field`; converts timestamp literals to unix milliseconds.
absl::Status Parser::CheckType(const FilterNode& node, const Token& op_token, FilterValue& value, const Token& token) {
  const bool ordering =
      node.op == FilterOp::kLt || node.op == FilterOp::kLe || node.op == FilterOp::kGt || node.op == FilterOp::kGe;
  if (ordering && value.kind == FilterValue::Kind::kBool) {
    return Error(op_token.pos, absl::StrCat("'", op_token.text, "' cannot compare bool values"));
  }
  const FieldSpec* spec = schema_.Find(node.field);
  if (spec == nullptr) return absl::OkStatus();
  const std::string type(FieldTypeName(spec->type));
  const auto mismatch = [&] {
    return Error(token.pos, absl::StrCat("field '", node.field, "' is ", type, " but is compared with ",
                                         DescribeValue(value, token)));
  };
  const bool contains = node.op == FilterOp::kContains;
  if (contains && spec->type != FieldType::kString && spec->type != FieldType::kStringList) {
    return Error(op_token.pos,
                 absl::StrCat("'contains' needs a string or string_list field but '", node.field, "' is ", type));
  }
  switch (spec->type) {
    case FieldType::kString:
      return value.kind == FilterValue::Kind::kString ? absl::OkStatus() : mismatch();
    case FieldType::kInt:
    case FieldType::kFloat:
      return IsNumeric(value) ? absl::OkStatus() : mismatch();
    case FieldType::kBool:
      return value.kind == FilterValue::Kind::kBool ? absl::OkStatus() : mismatch();
    case FieldType::kStringList:
      if (!contains) {
        return Error(op_token.pos, absl::StrCat("field '", node.field, "' is string_list; use 'contains'"));
      }
      return value.kind == FilterValue::Kind::kString ? absl::OkStatus() : mismatch();
    case FieldType::kTimestamp:
      break;
  }
  return ConvertTimestamp(value, token, mismatch);
}

}  // namespace

absl::StatusOr<ParsedFilter> ParseFilterExpression(std::string_view expression, const MetadataSchema& schema) {
  if (expression.size() > kMaxFilterLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter: expression is ", expression.size(), " bytes; the limit is ", kMaxFilterLength));
  }
  CATENA_ASSIGN_OR_RETURN(std::vector<FilterToken> tokens, TokenizeFilter(expression));
  return Parser(expression, std::move(tokens), schema).Run();
}

}  // namespace catena::retrieval
