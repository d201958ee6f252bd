#include "agents/calculator.h"

#include <charconv>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace catena::agents {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

// Recursive-descent parser that evaluates while it parses:
//   expr  := term (('+' | '-') term)*
//   term  := unary (('*' | '/' | '%') unary)*
//   unary := ('-' | '+') unary | power
//   power := primary (('^' | '**') unary)?
//   primary := number | name | name '(' expr (',' expr)* ')' | '(' expr ')'
class Evaluator {
 public:
  Evaluator(std::string_view text, const CalculatorOptions& options) : text_(text), options_(options) {}

  absl::StatusOr<double> Run() {
    CATENA_ASSIGN_OR_RETURN(double value, Expr());
    SkipSpace();
    if (pos_ < text_.size()) return Error(pos_, absl::StrCat("unexpected '", Char(pos_), "'"));
    return value;
  }

 private:
  absl::Status Error(size_t at, std::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(std::string(what), " at position ", at + 1));
  }
  std::string Char(size_t at) const { return std::string(1, text_[at]); }
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n')) ++pos_;
  }
  bool Accept(std::string_view token) {
    SkipSpace();
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  absl::Status Enter(size_t at) {
    if (++depth_ > options_.max_depth) {
      return Error(at, absl::StrCat("expression nests deeper than ", options_.max_depth, " levels"));
    }
    return absl::OkStatus();
  }
  // Finite results only: infinities become overflow errors, NaN a domain error, both at `at`.
  absl::StatusOr<double> Checked(double value, size_t at, std::string_view what) const {
    if (std::isnan(value)) return Error(at, absl::StrCat(std::string(what), " is not a number (NaN)"));
    if (std::isinf(value)) return Error(at, absl::StrCat(std::string(what), " overflows to infinity"));
    return value;
  }

  absl::StatusOr<double> Expr();
  absl::StatusOr<double> Term();
  absl::StatusOr<double> Unary();
  absl::StatusOr<double> Power();
  absl::StatusOr<double> Primary();
  absl::StatusOr<double> Number();
  absl::StatusOr<double> Name();
  absl::StatusOr<std::vector<double>> Arguments(std::string_view name);
  absl::StatusOr<double> Call(std::string_view name, size_t at, const std::vector<double>& args);

  std::string_view text_;
  const CalculatorOptions& options_;
  size_t pos_ = 0;
  int depth_ = 0;
};

absl::StatusOr<double> Evaluator::Expr() {
  CATENA_ASSIGN_OR_RETURN(double value, Term());
  while (true) {
    SkipSpace();
    const size_t at = pos_;
    if (Accept("+")) {
      CATENA_ASSIGN_OR_RETURN(double rhs, Term());
      CATENA_ASSIGN_OR_RETURN(value, Checked(value + rhs, at, "the sum"));
    } else if (Accept("-")) {
      CATENA_ASSIGN_OR_RETURN(double rhs, Term());
      CATENA_ASSIGN_OR_RETURN(value, Checked(value - rhs, at, "the difference"));
    } else {
      return value;
    }
  }
}

absl::StatusOr<double> Evaluator::Term() {
  CATENA_ASSIGN_OR_RETURN(double value, Unary());
  while (true) {
    SkipSpace();
    const size_t at = pos_;
    const char op = pos_ < text_.size() ? text_[pos_] : '\0';
    if (op != '*' && op != '/' && op != '%') return value;
    ++pos_;
    CATENA_ASSIGN_OR_RETURN(double rhs, Unary());
    if (op == '*') {
      CATENA_ASSIGN_OR_RETURN(value, Checked(value * rhs, at, "the product"));
      continue;
    }
    if (rhs == 0) return Error(at, op == '/' ? "division by zero" : "modulo by zero");
    CATENA_ASSIGN_OR_RETURN(value, Checked(op == '/' ? value / rhs : std::fmod(value, rhs), at,
                                           op == '/' ? "the quotient" : "the remainder"));
  }
}

absl::StatusOr<double> Evaluator::Unary() {
  SkipSpace();
  const size_t at = pos_;
  const bool negate = Accept("-");
  if (!negate && !Accept("+")) return Power();
  CATENA_RETURN_IF_ERROR(Enter(at));
  CATENA_ASSIGN_OR_RETURN(double value, Unary());
  --depth_;
  return negate ? -value : value;
}

absl::StatusOr<double> Evaluator::Power() {
  CATENA_ASSIGN_OR_RETURN(double base, Primary());
  SkipSpace();
  const size_t at = pos_;
  if (!Accept("^") && !Accept("**")) return base;
  CATENA_RETURN_IF_ERROR(Enter(at));
  CATENA_ASSIGN_OR_RETURN(double exponent, Unary());
  --depth_;
  if (base == 0 && exponent < 0) return Error(at, "division by zero (0 raised to a negative power)");
  return Checked(std::pow(base, exponent), at, "the power");
}

absl::StatusOr<double> Evaluator::Primary() {
  SkipSpace();
  if (pos_ >= text_.size()) return Error(pos_, "expected a number, a name or '(' but the expression ended");
  const char c = text_[pos_];
  if (IsDigit(c) || c == '.') return Number();
  if (IsAlpha(c)) return Name();
  if (c != '(') return Error(pos_, absl::StrCat("expected a number, a name or '(' but found '", Char(pos_), "'"));
  const size_t open = pos_++;
  CATENA_RETURN_IF_ERROR(Enter(open));
  CATENA_ASSIGN_OR_RETURN(double value, Expr());
  --depth_;
  if (!Accept(")")) {
    SkipSpace();
    return absl::InvalidArgumentError(
        absl::StrCat("expected ')' at position ", pos_ + 1, " to close the '(' at position ", open + 1));
  }
  return value;
}

absl::StatusOr<double> Evaluator::Number() {
  const size_t start = pos_;
  while (pos_ < text_.size() && (IsDigit(text_[pos_]) || text_[pos_] == '.')) ++pos_;
  if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    size_t exp = pos_ + 1;
    if (exp < text_.size() && (text_[exp] == '+' || text_[exp] == '-')) ++exp;
    if (exp < text_.size() && IsDigit(text_[exp])) {
      pos_ = exp;
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
  }
  const std::string_view literal = text_.substr(start, pos_ - start);
  double value = 0;
  auto [end, error] = std::from_chars(literal.data(), literal.data() + literal.size(), value);
  if (error == std::errc::result_out_of_range) {
    return Error(start, absl::StrCat("number '", std::string(literal), "' is out of range"));
  }
  if (error != std::errc() || end != literal.data() + literal.size()) {
    return Error(start, absl::StrCat("malformed number '", std::string(literal), "'"));
  }
  return value;
}

absl::StatusOr<double> Evaluator::Name() {
  const size_t start = pos_;
  while (pos_ < text_.size() && (IsAlpha(text_[pos_]) || IsDigit(text_[pos_]))) ++pos_;
  const std::string_view name = text_.substr(start, pos_ - start);
  SkipSpace();
  if (pos_ < text_.size() && text_[pos_] == '(') {
    CATENA_RETURN_IF_ERROR(Enter(start));
    CATENA_ASSIGN_OR_RETURN(std::vector<double> args, Arguments(name));
    --depth_;
    return Call(name, start, args);
  }
  if (name == "pi") return M_PI;
  if (name == "e") return M_E;
  return Error(start, absl::StrCat("unknown name '", std::string(name),
                                   "' (constants: pi, e; functions: sqrt abs round floor ceil min max pow ln log exp)"));
}

absl::StatusOr<std::vector<double>> Evaluator::Arguments(std::string_view name) {
  const size_t open = pos_++;
  std::vector<double> args;
  if (Accept(")")) return args;
  while (true) {
    CATENA_ASSIGN_OR_RETURN(double value, Expr());
    args.push_back(value);
    if (Accept(")")) return args;
    if (!Accept(",")) {
      SkipSpace();
      return absl::InvalidArgumentError(absl::StrCat("expected ',' or ')' at position ", pos_ + 1, " in the call of ",
                                                     std::string(name), " opened at position ", open + 1));
    }
  }
}

absl::Status ArityError(std::string_view name, size_t at, std::string_view expected, size_t got) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(name), " takes ", std::string(expected), ", got ", got,
                                                 " at position ", at + 1));
}

absl::Status ArityCheck(std::string_view name, size_t at, size_t min, size_t max, size_t got) {
  if (got >= min && got <= max) return absl::OkStatus();
  std::string expected = min == max ? absl::StrCat(min, min == 1 ? " argument" : " arguments")
                         : max == SIZE_MAX ? absl::StrCat("at least ", min, min == 1 ? " argument" : " arguments")
                                           : absl::StrCat(min, " or ", max, " arguments");
  return ArityError(name, at, expected, got);
}

double RoundTo(double value, double digits) {
  if (digits == 0) return std::round(value);
  const double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

absl::StatusOr<double> Evaluator::Call(std::string_view name, size_t at, const std::vector<double>& args) {
  const size_t n = args.size();
  auto one = [&]() { return ArityCheck(name, at, 1, 1, n); };
  auto domain = [&](std::string_view what) { return Error(at, absl::StrCat(std::string(name), " of ", std::string(what))); };
  double result = 0;
  if (name == "sqrt") {
    CATENA_RETURN_IF_ERROR(one());
    if (args[0] < 0) return domain("a negative number");
    result = std::sqrt(args[0]);
  } else if (name == "abs" || name == "floor" || name == "ceil" || name == "exp") {
    CATENA_RETURN_IF_ERROR(one());
    result = name == "abs" ? std::fabs(args[0]) : name == "floor" ? std::floor(args[0])
             : name == "ceil" ? std::ceil(args[0]) : std::exp(args[0]);
  } else if (name == "ln" || name == "log") {
    CATENA_RETURN_IF_ERROR(ArityCheck(name, at, 1, name == "ln" ? 1 : 2, n));
    if (args[0] <= 0) return domain("a number that is not positive");
    if (n == 2 && (args[1] <= 0 || args[1] == 1)) return Error(at, "log base must be positive and not 1");
    result = name == "ln" ? std::log(args[0]) : n == 2 ? std::log(args[0]) / std::log(args[1]) : std::log10(args[0]);
  } else if (name == "round") {
    CATENA_RETURN_IF_ERROR(ArityCheck(name, at, 1, 2, n));
    if (n == 2 && (args[1] != std::trunc(args[1]) || std::fabs(args[1]) > 15)) {
      return Error(at, "round's digits must be a whole number from -15 to 15");
    }
    result = RoundTo(args[0], n == 2 ? args[1] : 0);
  } else if (name == "min" || name == "max") {
    CATENA_RETURN_IF_ERROR(ArityCheck(name, at, 1, SIZE_MAX, n));
    result = args[0];
    for (double v : args) result = name == "min" ? std::min(result, v) : std::max(result, v);
  } else if (name == "pow") {
    CATENA_RETURN_IF_ERROR(ArityCheck(name, at, 2, 2, n));
    if (args[0] == 0 && args[1] < 0) return Error(at, "division by zero (0 raised to a negative power)");
    result = std::pow(args[0], args[1]);
  } else {
    return Error(at, absl::StrCat("unknown function '", std::string(name),
                                  "' (functions: sqrt abs round floor ceil min max pow ln log exp)"));
  }
  return Checked(result, at, absl::StrCat("the result of ", std::string(name)));
}

}  // namespace

absl::StatusOr<double> EvaluateExpression(std::string_view expression, const CalculatorOptions& options) {
  if (expression.size() > options.max_length) {
    return absl::InvalidArgumentError(absl::StrCat("expression is ", expression.size(),
                                                   " characters long; the limit is ", options.max_length));
  }
  if (expression.find_first_not_of(" \t\n") == std::string_view::npos) {
    return absl::InvalidArgumentError("expression is empty");
  }
  return Evaluator(expression, options).Run();
}

std::string FormatNumber(double value) {
  char buffer[64];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (error != std::errc()) return absl::StrCat(value);
  return std::string(buffer, end);
}

}  // namespace catena::agents
