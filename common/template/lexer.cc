// Lexer of the template engine, following jinja2's lexer rules (see lexer.h).
#include "common/template/lexer.h"

#include <charconv>
#include <cstdlib>

#include "common/status.h"
#include "common/template/source.h"
#include "common/template/text.h"

namespace catena::tmpl {
namespace {

constexpr std::string_view kOperators[] = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "[",
                                           "]",  "(",  ")",  "{",  "}",  ".",  ":", ",", "|", "=", "<", ">", ";"};

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameChar(char c) { return IsNameStart(c) || IsDigit(c); }
bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Lexer {
 public:
  Lexer(std::string_view source, const TemplateOptions& options) : src_(source), options_(options), map_(source) {}

  absl::StatusOr<std::vector<Token>> Run();
  absl::StatusOr<std::vector<Token>> RunExpression();

 private:
  absl::Status Error(size_t offset, std::string_view what) const {
    return LocatedError(options_.name, map_.Locate(offset), what);
  }
  void Emit(TokenType type, std::string text, size_t offset) {
    Token token;
    token.type = type;
    token.text = std::move(text);
    token.offset = offset;
    tokens_.push_back(std::move(token));
  }
  void EmitText(std::string_view text, size_t offset) {
    if (!text.empty()) Emit(TokenType::kText, std::string(text), offset);
  }
  std::string_view ApplyLeftControl(std::string_view text, char sign, bool lstrip_applies) const;
  void SkipAfterTag(char sign, bool is_block);
  bool MatchRawBegin(size_t open, char sign, size_t* body) const;
  bool FindRawEnd(size_t from, size_t* tag, char* sign, size_t* after) const;
  absl::Status LexComment(size_t open, char sign);
  absl::Status LexRaw(size_t body);
  absl::Status LexTag(size_t open, bool is_block);
  bool TryTagEnd(bool is_block);
  absl::Status LexToken(std::vector<char>* stack);
  absl::Status LexNumber();
  absl::Status EmitNumber(size_t start, bool is_float);
  absl::Status LexString();
  absl::Status DecodeEscape(size_t start, std::string* value);
  absl::Status LexOperator(std::vector<char>* stack);

  std::string_view src_;
  const TemplateOptions& options_;
  SourceMap map_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  bool line_starting_ = true;
};

absl::StatusOr<std::vector<Token>> Lexer::Run() {
  while (pos_ < src_.size()) {
    size_t open = pos_;
    while ((open = src_.find('{', open)) != std::string_view::npos) {
      if (open + 1 < src_.size() && (src_[open + 1] == '{' || src_[open + 1] == '%' || src_[open + 1] == '#')) {
        break;
      }
      ++open;
    }
    if (open == std::string_view::npos) {
      EmitText(src_.substr(pos_), pos_);
      break;
    }
    const char kind = src_[open + 1];
    const char sign = (open + 2 < src_.size() && (src_[open + 2] == '-' || src_[open + 2] == '+')) ? src_[open + 2] : 0;
    size_t raw_body = 0;
    const bool raw = kind == '%' && MatchRawBegin(open, sign, &raw_body);
    EmitText(ApplyLeftControl(src_.substr(pos_, open - pos_), sign, kind != '{'), pos_);
    if (kind == '#') {
      CATENA_RETURN_IF_ERROR(LexComment(open, sign));
    } else if (raw) {
      CATENA_RETURN_IF_ERROR(LexRaw(raw_body));
    } else {
      CATENA_RETURN_IF_ERROR(LexTag(open, kind == '%'));
    }
  }
  Emit(TokenType::kEof, "", src_.size());
  return std::move(tokens_);
}

absl::StatusOr<std::vector<Token>> Lexer::RunExpression() {
  std::vector<char> stack;
  while (true) {
    while (pos_ < src_.size() && IsBlank(src_[pos_])) ++pos_;
    if (pos_ >= src_.size()) break;
    CATENA_RETURN_IF_ERROR(LexToken(&stack));
  }
  Emit(TokenType::kEof, "", src_.size());
  return std::move(tokens_);
}

// jinja2's OptionalLStrip: "-" strips all whitespace before the tag; lstrip_blocks strips spaces and tabs
// between the start of the line and a block/comment tag.
std::string_view Lexer::ApplyLeftControl(std::string_view text, char sign, bool lstrip_applies) const {
  if (sign == '-') {
    size_t end = text.size();
    while (end > 0 && text::IsSpace(text[end - 1])) --end;
    return text.substr(0, end);
  }
  if (sign == '+' || !options_.lstrip_blocks || !lstrip_applies) return text;
  const size_t newline = text.rfind('\n');
  const size_t line_start = newline == std::string_view::npos ? 0 : newline + 1;
  if (line_start == 0 && !line_starting_) return text;
  for (size_t i = line_start; i < text.size(); ++i) {
    if (!text::IsSpace(text[i])) return text;
  }
  return text.substr(0, line_start);
}

// Consumes what follows a tag's end marker: "-" eats all whitespace, trim_blocks one newline (blocks only).
void Lexer::SkipAfterTag(char sign, bool trim_newline) {
  const size_t start = pos_;
  if (sign == '-') {
    while (pos_ < src_.size() && text::IsSpace(src_[pos_])) ++pos_;
  } else if (sign == 0 && trim_newline && options_.trim_blocks && pos_ < src_.size() && src_[pos_] == '\n') {
    ++pos_;
  }
  line_starting_ = pos_ > start && src_[pos_ - 1] == '\n';
}

bool Lexer::MatchRawBegin(size_t open, char sign, size_t* body) const {
  size_t p = open + 2 + (sign != 0 ? 1 : 0);
  while (p < src_.size() && IsBlank(src_[p])) ++p;
  if (src_.substr(p, 3) != "raw") return false;
  p += 3;
  while (p < src_.size() && IsBlank(src_[p])) ++p;
  if (src_.substr(p, 3) == "-%}") {
    p += 3;
    while (p < src_.size() && text::IsSpace(src_[p])) ++p;
  } else if (src_.substr(p, 2) == "%}") {
    p += 2;
  } else {
    return false;
  }
  *body = p;
  return true;
}

bool Lexer::FindRawEnd(size_t from, size_t* tag, char* sign, size_t* after) const {
  for (size_t open = src_.find("{%", from); open != std::string_view::npos; open = src_.find("{%", open + 1)) {
    size_t p = open + 2;
    *sign = (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) ? src_[p] : 0;
    if (*sign != 0) ++p;
    while (p < src_.size() && IsBlank(src_[p])) ++p;
    if (src_.substr(p, 6) != "endraw") continue;
    p += 6;
    while (p < src_.size() && IsBlank(src_[p])) ++p;
    if (src_.substr(p, 2) == "%}" || src_.substr(p, 3) == "-%}" || src_.substr(p, 3) == "+%}") {
      *tag = open;
      *after = p;
      return true;
    }
  }
  return false;
}

absl::Status Lexer::LexComment(size_t open, char sign) {
  const size_t close = src_.find("#}", open + 2 + (sign != 0 ? 1 : 0));
  if (close == std::string_view::npos) return Error(open, "unclosed comment: missing '#}'");
  const size_t body = open + 2 + (sign != 0 ? 1 : 0);
  const char end_sign = (close > body && (src_[close - 1] == '-' || src_[close - 1] == '+')) ? src_[close - 1] : 0;
  pos_ = close + 2;
  SkipAfterTag(end_sign, /*trim_newline=*/true);
  return absl::OkStatus();
}

absl::Status Lexer::LexRaw(size_t body) {
  size_t tag = 0;
  size_t after = 0;
  char sign = 0;
  if (!FindRawEnd(body, &tag, &sign, &after)) return Error(pos_, "unclosed 'raw' block: missing 'endraw'");
  line_starting_ = body > 0 && src_[body - 1] == '\n';
  EmitText(ApplyLeftControl(src_.substr(body, tag - body), sign, true), body);
  char end_sign = 0;
  if (src_[after] != '%') end_sign = src_[after++];
  pos_ = after + 2;
  SkipAfterTag(end_sign, /*trim_newline=*/true);
  return absl::OkStatus();
}

absl::Status Lexer::LexTag(size_t open, bool is_block) {
  Emit(is_block ? TokenType::kBlockBegin : TokenType::kVariableBegin, is_block ? "{%" : "{{", open);
  pos_ = open + 2;
  if (pos_ < src_.size() && (src_[pos_] == '-' || src_[pos_] == '+')) ++pos_;
  std::vector<char> stack;
  while (true) {
    while (pos_ < src_.size() && IsBlank(src_[pos_])) ++pos_;
    if (pos_ >= src_.size()) {
      return Error(open, is_block ? "unclosed block tag: missing '%}'" : "unclosed variable tag: missing '}}'");
    }
    if (stack.empty() && TryTagEnd(is_block)) return absl::OkStatus();
    CATENA_RETURN_IF_ERROR(LexToken(&stack));
  }
}

bool Lexer::TryTagEnd(bool is_block) {
  const std::string_view end = is_block ? "%}" : "}}";
  char sign = 0;
  size_t p = pos_;
  if ((src_[p] == '-' || (is_block && src_[p] == '+')) && src_.substr(p + 1, 2) == end) sign = src_[p++];
  if (src_.substr(p, 2) != end) return false;
  Emit(is_block ? TokenType::kBlockEnd : TokenType::kVariableEnd, std::string(end), pos_);
  pos_ = p + 2;
  SkipAfterTag(sign, /*trim_newline=*/is_block);
  return true;
}

absl::Status Lexer::LexToken(std::vector<char>* stack) {
  const char c = src_[pos_];
  if (IsDigit(c)) return LexNumber();
  if (c == '\'' || c == '"') return LexString();
  if (IsNameStart(c)) {
    const size_t start = pos_;
    while (pos_ < src_.size() && IsNameChar(src_[pos_])) ++pos_;
    Emit(TokenType::kName, std::string(src_.substr(start, pos_ - start)), start);
    return absl::OkStatus();
  }
  return LexOperator(stack);
}

absl::Status Lexer::LexNumber() {
  const size_t start = pos_;
  auto digits = [this] {
    while (pos_ < src_.size() &&
           (IsDigit(src_[pos_]) || (src_[pos_] == '_' && pos_ + 1 < src_.size() && IsDigit(src_[pos_ + 1])))) {
      ++pos_;
    }
  };
  if (src_[pos_] == '0' && pos_ + 1 < src_.size() && (src_[pos_ + 1] == 'x' || src_[pos_ + 1] == 'X')) {
    pos_ += 2;
    while (pos_ < src_.size() && (HexValue(src_[pos_]) >= 0 || src_[pos_] == '_')) ++pos_;
  } else {
    digits();
  }
  bool is_float = false;
  const bool after_dot = start > 0 && src_[start - 1] == '.';
  if (!after_dot && pos_ + 1 < src_.size() && src_[pos_] == '.' && IsDigit(src_[pos_ + 1])) {
    ++pos_;
    digits();
    is_float = true;
  }
  if (!after_dot && pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
    size_t p = pos_ + 1;
    if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
    if (p < src_.size() && IsDigit(src_[p])) {
      pos_ = p;
      digits();
      is_float = true;
    }
  }
  return EmitNumber(start, is_float);
}

// Emits the number literal src_[start, pos_) (underscores allowed between digits).
absl::Status Lexer::EmitNumber(size_t start, bool is_float) {
  std::string literal;
  for (char ch : src_.substr(start, pos_ - start)) {
    if (ch != '_') literal.push_back(ch);
  }
  Token token;
  token.offset = start;
  token.text = literal;
  if (is_float) {
    token.type = TokenType::kFloat;
    token.float_value = std::strtod(literal.c_str(), nullptr);
  } else {
    token.type = TokenType::kInteger;
    const bool hex = literal.size() > 2 && (literal[1] == 'x' || literal[1] == 'X');
    const char* first = literal.data() + (hex ? 2 : 0);
    auto [ptr, ec] = std::from_chars(first, literal.data() + literal.size(), token.int_value, hex ? 16 : 10);
    if (ec != std::errc() || ptr != literal.data() + literal.size()) {
      return Error(start, text::Cat("integer literal '", literal, "' is out of range"));
    }
  }
  tokens_.push_back(std::move(token));
  return absl::OkStatus();
}

// Decodes Python string escapes (\n \t \xhh \uXXXX \UXXXXXXXX octal ...); unknown escapes stay verbatim.
absl::Status Lexer::LexString() {
  const size_t start = pos_;
  const char quote = src_[pos_++];
  std::string value;
  while (pos_ < src_.size() && src_[pos_] != quote) {
    const char c = src_[pos_++];
    if (c != '\\') {
      value.push_back(c);
    } else if (pos_ < src_.size()) {
      CATENA_RETURN_IF_ERROR(DecodeEscape(start, &value));
    }
  }
  if (pos_ >= src_.size()) return Error(start, "unterminated string literal");
  ++pos_;
  Emit(TokenType::kString, std::move(value), start);
  return absl::OkStatus();
}

// Decodes the escape after a backslash at src_[pos_ - 1] of the string literal starting at `start`.
absl::Status Lexer::DecodeEscape(size_t start, std::string* value) {
  const char e = src_[pos_++];
  int hex_len = 0;
  switch (e) {
    case 'n':
      value->push_back('\n');
      return absl::OkStatus();
    case 't':
      value->push_back('\t');
      return absl::OkStatus();
    case 'r':
      value->push_back('\r');
      return absl::OkStatus();
    case 'a':
      value->push_back('\a');
      return absl::OkStatus();
    case 'b':
      value->push_back('\b');
      return absl::OkStatus();
    case 'f':
      value->push_back('\f');
      return absl::OkStatus();
    case 'v':
      value->push_back('\v');
      return absl::OkStatus();
    case '\\':
    case '\'':
    case '"':
      value->push_back(e);
      return absl::OkStatus();
    case '\n':
      return absl::OkStatus();
    case 'x':
      hex_len = 2;
      break;
    case 'u':
      hex_len = 4;
      break;
    case 'U':
      hex_len = 8;
      break;
    default:
      if (e < '0' || e > '7') {
        value->push_back('\\');
        value->push_back(e);
        return absl::OkStatus();
      }
      uint32_t cp = static_cast<uint32_t>(e - '0');
      for (int i = 0; i < 2 && pos_ < src_.size() && src_[pos_] >= '0' && src_[pos_] <= '7'; ++i) {
        cp = cp * 8 + static_cast<uint32_t>(src_[pos_++] - '0');
      }
      text::AppendUtf8(cp, value);
      return absl::OkStatus();
  }
  uint32_t cp = 0;
  for (int i = 0; i < hex_len; ++i) {
    if (pos_ >= src_.size() || HexValue(src_[pos_]) < 0) return Error(pos_, "truncated \\x/\\u escape");
    cp = cp * 16 + static_cast<uint32_t>(HexValue(src_[pos_++]));
  }
  if (cp > 0x10FFFF) return Error(start, "illegal Unicode escape in string literal");
  text::AppendUtf8(cp, value);
  return absl::OkStatus();
}

absl::Status Lexer::LexOperator(std::vector<char>* stack) {
  for (std::string_view op : kOperators) {
    if (src_.substr(pos_, op.size()) != op) continue;
    const char c = op[0];
    if (op.size() == 1 && (c == '(' || c == '[' || c == '{')) {
      stack->push_back(c == '(' ? ')' : (c == '[' ? ']' : '}'));
    } else if (op.size() == 1 && (c == ')' || c == ']' || c == '}')) {
      if (stack->empty()) return Error(pos_, text::Cat("unexpected '", op, "'"));
      if (stack->back() != c) {
        return Error(pos_, text::Cat("unexpected '", op, "', expected '", std::string(1, stack->back()), "'"));
      }
      stack->pop_back();
    }
    Emit(TokenType::kOperator, std::string(op), pos_);
    pos_ += op.size();
    return absl::OkStatus();
  }
  return Error(pos_, text::Cat("unexpected character '", std::string(1, src_[pos_]), "'"));
}

}  // namespace

std::string NormalizeSource(std::string_view source, bool keep_trailing_newline) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out.push_back(source[i]);
    }
  }
  if (!keep_trailing_newline && !out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

absl::StatusOr<std::vector<Token>> Tokenize(std::string_view source, const TemplateOptions& options) {
  return Lexer(source, options).Run();
}

absl::StatusOr<std::vector<Token>> TokenizeExpression(std::string_view source, const TemplateOptions& options) {
  return Lexer(source, options).RunExpression();
}

}  // namespace catena::tmpl
