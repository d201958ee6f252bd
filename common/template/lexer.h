// Lexer of the template engine: turns template source into text and tag tokens with jinja2's rules for
// comments, raw blocks and whitespace control ({%- -%}, trim_blocks, lstrip_blocks). Used only by the parser.
// Stateless apart from one call; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/template/options.h"

namespace catena::tmpl {

enum class TokenType {
  kText,           // literal output (raw blocks included), whitespace control already applied
  kVariableBegin,  // {{
  kVariableEnd,    // }}
  kBlockBegin,     // {%
  kBlockEnd,       // %}
  kName,
  kString,  // decoded string literal
  kInteger,
  kFloat,
  kOperator,  // punctuation such as "+", "//", "(", "|"
  kEof,
};

// One token; `offset` is its byte offset in the normalized source.
struct Token {
  TokenType type = TokenType::kEof;
  std::string text;
  int64_t int_value = 0;
  double float_value = 0;
  size_t offset = 0;
};

// Normalizes newlines to "\n" and drops one trailing newline unless `keep_trailing_newline` (like jinja2).
std::string NormalizeSource(std::string_view source, bool keep_trailing_newline);

// Tokenizes normalized source; errors are located ("name:line:col: ...").
absl::StatusOr<std::vector<Token>> Tokenize(std::string_view source, const TemplateOptions& options);

// Tokenizes a bare expression (no tags) into name/literal/operator tokens ending with kEof.
absl::StatusOr<std::vector<Token>> TokenizeExpression(std::string_view source, const TemplateOptions& options);

}  // namespace catena::tmpl
