#include "retrieval/filter_lexer.h"

#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace catena::retrieval {
namespace {

using Token = FilterToken;

bool IsNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameChar(char c) { return IsNameStart(c) || IsDigit(c) || c == '.'; }

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  // All tokens, ending with kEnd.
  absl::StatusOr<std::vector<Token>> Run();

 private:
  absl::Status Error(size_t pos, std::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat(FilterWhere(text_, pos), ": ", std::string(message)));
  }
  absl::StatusOr<Token> Next();
  absl::StatusOr<Token> Number();
  absl::StatusOr<Token> String();
  absl::Status Escape(std::string& out);
  absl::StatusOr<Token> Punct();

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

std::string FilterWhere(std::string_view text, size_t pos) {
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < pos && i < text.size(); ++i) {
    if (text[i] == '\n') ++line, line_start = i + 1;
  }
  return absl::StrCat("filter:", line, ":", pos - line_start + 1);
}

namespace {

absl::StatusOr<std::vector<Token>> Lexer::Run() {
  std::vector<Token> tokens;
  while (true) {
    CATENA_ASSIGN_OR_RETURN(Token token, Next());
    tokens.push_back(std::move(token));
    if (tokens.back().kind == Token::Kind::kEnd) return tokens;
  }
}

absl::StatusOr<Token> Lexer::Next() {
  while (pos_ < text_.size() &&
         (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
    ++pos_;
  }
  if (pos_ >= text_.size()) return Token{Token::Kind::kEnd, "", 0, 0, pos_};
  const char c = text_[pos_];
  if (IsNameStart(c)) {
    Token token{Token::Kind::kName, "", 0, 0, pos_};
    while (pos_ < text_.size() && IsNameChar(text_[pos_])) ++pos_;
    token.text = std::string(text_.substr(token.pos, pos_ - token.pos));
    return token;
  }
  if (IsDigit(c) || (c == '-' && pos_ + 1 < text_.size() && IsDigit(text_[pos_ + 1]))) return Number();
  if (c == '"' || c == '\'') return String();
  return Punct();
}

absl::StatusOr<Token> Lexer::Number() {
  const size_t start = pos_;
  if (text_[pos_] == '-') ++pos_;
  const auto digits = [&] {
    const size_t from = pos_;
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    return pos_ > from;
  };
  digits();
  bool is_float = false, ok = true;
  if (pos_ < text_.size() && text_[pos_] == '.') ++pos_, is_float = true, ok = digits();
  if (ok && pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    ++pos_, is_float = true;
    if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
    ok = digits();
  }
  const bool glued = pos_ < text_.size() && (IsNameChar(text_[pos_]) || text_[pos_] == '-');
  while (pos_ < text_.size() && (IsNameChar(text_[pos_]) || text_[pos_] == '-')) ++pos_;
  const std::string_view literal = text_.substr(start, pos_ - start);
  if (!ok || glued) return Error(start, absl::StrCat("invalid number '", std::string(literal), "'"));
  Token token{is_float ? Token::Kind::kFloat : Token::Kind::kInt, std::string(literal), 0, 0, start};
  const char* end = literal.data() + literal.size();
  const auto result = is_float ? std::from_chars(literal.data(), end, token.float_value)
                               : std::from_chars(literal.data(), end, token.int_value);
  if (result.ec != std::errc() || (is_float && !std::isfinite(token.float_value))) {
    return Error(start, absl::StrCat("number '", std::string(literal), "' is out of range"));
  }
  return token;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

absl::Status Lexer::Escape(std::string& out) {
  const size_t start = pos_;  // At the backslash.
  if (pos_ + 1 >= text_.size()) return Error(start, "unterminated escape at end of input");
  const char c = text_[pos_ + 1];
  pos_ += 2;
  switch (c) {
    case 'n':
      out.push_back('\n');
      return absl::OkStatus();
    case 't':
      out.push_back('\t');
      return absl::OkStatus();
    case 'r':
      out.push_back('\r');
      return absl::OkStatus();
    case '\\':
    case '"':
    case '\'':
      out.push_back(c);
      return absl::OkStatus();
    case 'u':
      break;
    default:
      return Error(start, absl::StrCat("unknown escape '\\", std::string(1, c), "' in string"));
  }
  uint32_t cp = 0;
  for (int i = 0; i < 4; ++i, ++pos_) {
    const char h = pos_ < text_.size() ? text_[pos_] : '\0';
    const int digit = IsDigit(h)               ? h - '0'
                      : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                      : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                               : -1;
    if (digit < 0) return Error(start, "'\\u' must be followed by 4 hex digits");
    cp = cp * 16 + static_cast<uint32_t>(digit);
  }
  if (cp >= 0xD800 && cp <= 0xDFFF) return Error(start, "'\\u' escape is a surrogate; write the character itself");
  AppendUtf8(out, cp);
  return absl::OkStatus();
}

absl::StatusOr<Token> Lexer::String() {
  const size_t start = pos_;
  const char quote = text_[pos_++];
  Token token{Token::Kind::kString, "", 0, 0, start};
  while (pos_ < text_.size() && text_[pos_] != quote) {
    if (text_[pos_] == '\\') {
      CATENA_RETURN_IF_ERROR(Escape(token.text));
    } else {
      token.text.push_back(text_[pos_++]);
    }
  }
  if (pos_ >= text_.size()) return Error(start, "unterminated string");
  ++pos_;
  return token;
}

absl::StatusOr<Token> Lexer::Punct() {
  static constexpr std::string_view kPuncts[] = {"==", "!=", "<=", ">=", "<", ">", "(", ")", "[", "]", ","};
  const std::string_view rest = text_.substr(pos_);
  for (std::string_view p : kPuncts) {
    if (rest.substr(0, p.size()) == p) {
      Token token{Token::Kind::kPunct, std::string(p), 0, 0, pos_};
      pos_ += p.size();
      return token;
    }
  }
  const unsigned char c = static_cast<unsigned char>(rest[0]);
  if (c == '=') return Error(pos_, "unexpected '=' (use '==' to compare)");
  if (c == '!') return Error(pos_, "unexpected '!' (use 'not' or '!=')");
  if (c < 0x20 || c >= 0x7f) return Error(pos_, absl::StrCat("unexpected byte 0x", absl::Hex(c, absl::kZeroPad2)));
  return Error(pos_, absl::StrCat("unexpected character '", std::string(1, static_cast<char>(c)), "'"));
}

}  // namespace

absl::StatusOr<std::vector<FilterToken>> TokenizeFilter(std::string_view text) { return Lexer(text).Run(); }

}  // namespace catena::retrieval
