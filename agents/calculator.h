// The calculator tool's evaluator: arithmetic expressions over IEEE doubles with + - * / % ^ (right-associative,
// also **), unary minus, parentheses, the functions sqrt abs round floor ceil min max pow ln log exp and the
// constants pi and e. No variables, no assignments, nothing but numbers. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace catena::agents {

struct CalculatorOptions {
  size_t max_length = 1000;  // characters of the expression
  int max_depth = 64;        // nesting of parentheses, function calls, signs and powers
};

// The value of `expression`. INVALID_ARGUMENT naming the 1-based character position for syntax errors, unknown
// names, wrong argument counts, division by zero, domain errors (sqrt(-1), ln(0)), overflow to infinity and
// limits. Every operation is one IEEE double operation, so 0.1 + 0.2 is 0.30000000000000004.
absl::StatusOr<double> EvaluateExpression(std::string_view expression, const CalculatorOptions& options = {});

// Shortest text that reads back as `value` ("42", "0.5", "1e+21", "-0").
std::string FormatNumber(double value);

}  // namespace catena::agents
