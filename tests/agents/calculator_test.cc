// The calculator's evaluator: IEEE double results, precedence and associativity, functions, and errors that name
// the position of what went wrong.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "agents/calculator.h"

namespace catena::agents {
namespace {

double Eval(const std::string& expression) {
  auto value = EvaluateExpression(expression);
  INFO(expression << " -> " << value.status());
  REQUIRE(value.ok());
  return *value;
}

std::string ErrorOf(const std::string& expression, const CalculatorOptions& options = {}) {
  auto value = EvaluateExpression(expression, options);
  INFO(expression);
  REQUIRE(!value.ok());
  CHECK(value.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(value.status().message());
}

TEST_CASE("calculator results are exactly what IEEE double arithmetic gives", "[unit]") {
  CHECK(Eval("0.1 + 0.2") == 0.30000000000000004);
  CHECK(FormatNumber(Eval("0.1 + 0.2")) == "0.30000000000000004");
  CHECK(Eval("1 / 3") == 0.3333333333333333);
  CHECK(Eval("10 / 4") == 2.5);
  CHECK(Eval("1.5e3 + 2E-1") == 1500.2);
  CHECK(Eval(".5 * 4") == 2);
  CHECK(FormatNumber(Eval("6 * 7")) == "42");
  CHECK(FormatNumber(Eval("1e21 * 1")) == "1e+21");
}

TEST_CASE("calculator follows precedence: power binds tightest and right to left, unary minus below it", "[unit]") {
  CHECK(Eval("2 + 3 * 4") == 14);
  CHECK(Eval("(2 + 3) * 4") == 20);
  CHECK(Eval("2 ^ 3 ^ 2") == 512);
  CHECK(Eval("2 ** 3 ** 2") == 512);
  CHECK(Eval("-2 ^ 2") == -4);
  CHECK(Eval("(-2) ^ 2") == 4);
  CHECK(Eval("2 ^ -1") == 0.5);
  CHECK(Eval("10 - 4 - 3") == 3);
  CHECK(Eval("64 / 4 / 2") == 8);
  CHECK(Eval("7 % 3") == 1);
  CHECK(Eval("-7 % 3") == -1);  // fmod keeps the dividend's sign
  CHECK(Eval("--3") == 3);
  CHECK(Eval("2 - -3") == 5);
  CHECK(Eval("+4") == 4);
}

TEST_CASE("calculator functions and constants match the C library", "[unit]") {
  CHECK(Eval("sqrt(2)") == 1.4142135623730951);
  CHECK(Eval("abs(-3.5)") == 3.5);
  CHECK(Eval("round(2.5)") == 3);  // halves round away from zero
  CHECK(Eval("round(-2.5)") == -3);
  CHECK(Eval("round(3.14159, 2)") == 3.14);
  CHECK(Eval("floor(-1.5)") == -2);
  CHECK(Eval("ceil(1.2)") == 2);
  CHECK(Eval("min(3, 1, 2)") == 1);
  CHECK(Eval("max(3, 1, 2)") == 3);
  CHECK(Eval("pow(2, 10)") == 1024);
  CHECK(Eval("ln(e)") == 1);
  CHECK(Eval("log(1000)") == 3);
  CHECK(Eval("log(8, 2)") == 3);
  CHECK(Eval("exp(0)") == 1);
  CHECK(Eval("2 * pi") == 6.283185307179586);
  CHECK(Eval("max(1, sqrt(16)) + min(2 ^ 2, 10)") == 8);
}

TEST_CASE("calculator errors name what went wrong and its position", "[unit]") {
  CHECK(ErrorOf("1 / 0") == "division by zero at position 3");
  CHECK(ErrorOf("5 % (2 - 2)") == "modulo by zero at position 3");
  CHECK(ErrorOf("0 ^ -1") == "division by zero (0 raised to a negative power) at position 3");
  CHECK(ErrorOf("1e308 * 10") == "the product overflows to infinity at position 7");
  CHECK(ErrorOf("exp(1000)") == "the result of exp overflows to infinity at position 1");
  CHECK(ErrorOf("1 + sqrt(-1)") == "sqrt of a negative number at position 5");
  CHECK(ErrorOf("ln(0)") == "ln of a number that is not positive at position 1");
  CHECK(ErrorOf("2 +") == "expected a number, a name or '(' but the expression ended at position 4");
  CHECK(ErrorOf("2 + * 3") == "expected a number, a name or '(' but found '*' at position 5");
  CHECK(ErrorOf("(1 + 2") == "expected ')' at position 7 to close the '(' at position 1");
  CHECK(ErrorOf("1 + 2)") == "unexpected ')' at position 6");
  CHECK(ErrorOf("1.2.3 + 1") == "malformed number '1.2.3' at position 1");
  CHECK(ErrorOf("1e999") == "number '1e999' is out of range at position 1");
  CHECK_THAT(ErrorOf("x + 1"), Catch::StartsWith("unknown name 'x' (constants: pi, e;"));
  CHECK_THAT(ErrorOf("system(1)"), Catch::StartsWith("unknown function 'system'"));
  CHECK(ErrorOf("sqrt(1, 2)") == "sqrt takes 1 argument, got 2 at position 1");
  CHECK(ErrorOf("pow(2)") == "pow takes 2 arguments, got 1 at position 1");
  CHECK(ErrorOf("min()") == "min takes at least 1 argument, got 0 at position 1");
  CHECK(ErrorOf("max(1 2)") == "expected ',' or ')' at position 7 in the call of max opened at position 4");
  CHECK(ErrorOf("2e") == "unexpected 'e' at position 2");
  CHECK(ErrorOf("   ") == "expression is empty");
  CHECK(ErrorOf("1 = 1") == "unexpected '=' at position 3");
}

TEST_CASE("calculator refuses expressions that are too long or nest too deeply", "[unit]") {
  CHECK(ErrorOf(std::string(1001, '1')) == "expression is 1001 characters long; the limit is 1000");
  const std::string deep = std::string(65, '(') + "1" + std::string(65, ')');
  CHECK(ErrorOf(deep) == "expression nests deeper than 64 levels at position 65");
  CHECK(Eval(std::string(60, '(') + "1" + std::string(60, ')')) == 1);
  CHECK_THAT(ErrorOf(std::string(100, '-') + "1"), Catch::Contains("nests deeper than 64 levels"));
  CHECK_THAT(ErrorOf("2^2^2^2^2", {.max_depth = 2}), Catch::Contains("nests deeper than 2 levels at position 6"));
  CHECK_THAT(ErrorOf("1+1", {.max_length = 2}), Catch::Contains("the limit is 2"));
}

}  // namespace
}  // namespace catena::agents
