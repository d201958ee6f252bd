#include "retrieval/filter.h"

#include <limits>
#include <optional>

#include "common/status.h"
#include "retrieval/filter_node.h"

namespace catena::retrieval {
namespace {

using Json = nlohmann::json;

// A JSON or literal number: exact int64 when possible, else double.
struct Number {
  bool is_int = true;
  int64_t i = 0;
  double d = 0;
};

std::optional<Number> JsonNumber(const Json& value) {
  if (value.is_number_unsigned()) {
    const uint64_t u = value.get<uint64_t>();
    if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Number{true, static_cast<int64_t>(u), 0};
    }
    return Number{false, 0, static_cast<double>(u)};
  }
  if (value.is_number_integer()) return Number{true, value.get<int64_t>(), 0};
  if (value.is_number_float()) return Number{false, 0, value.get<double>()};
  return std::nullopt;
}

// -1, 0, 1; nullopt when unordered (NaN).
std::optional<int> CompareNumbers(const Number& a, const Number& b) {
  if (a.is_int && b.is_int) return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
  const double x = a.is_int ? static_cast<double>(a.i) : a.d;
  const double y = b.is_int ? static_cast<double>(b.i) : b.d;
  if (x < y) return -1;
  if (x > y) return 1;
  if (x == y) return 0;
  return std::nullopt;
}

// Orders `value` against `literal`; nullopt when the types are not comparable.
std::optional<int> Order(const Json& value, const FilterValue& literal) {
  switch (literal.kind) {
    case FilterValue::Kind::kInt:
    case FilterValue::Kind::kFloat: {
      const std::optional<Number> number = JsonNumber(value);
      if (!number) return std::nullopt;
      const bool is_int = literal.kind == FilterValue::Kind::kInt;
      return CompareNumbers(*number, Number{is_int, literal.int_value, literal.float_value});
    }
    case FilterValue::Kind::kString: {
      if (!value.is_string()) return std::nullopt;
      const int c = value.get_ref<const std::string&>().compare(literal.string_value);
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case FilterValue::Kind::kBool:
      if (!value.is_boolean()) return std::nullopt;
      return static_cast<int>(value.get<bool>()) - static_cast<int>(literal.bool_value);
  }
  return std::nullopt;
}

bool Equal(const Json& value, const FilterValue& literal) { return Order(value, literal) == 0; }

bool InList(const Json& value, const std::vector<FilterValue>& list) {
  for (const FilterValue& literal : list) {
    if (Equal(value, literal)) return true;
  }
  return false;
}

bool Contains(const Json& value, const FilterValue& literal) {
  if (value.is_array()) {
    for (const Json& element : value) {
      if (Equal(element, literal)) return true;
    }
    return false;
  }
  return value.is_string() && literal.kind == FilterValue::Kind::kString &&
         value.get_ref<const std::string&>().find(literal.string_value) != std::string::npos;
}

bool Compare(FilterOp op, const Json& value, const FilterNode& node) {
  if (op == FilterOp::kNe) return !Equal(value, node.value);
  const std::optional<int> order = Order(value, node.value);
  if (!order) return false;
  switch (op) {
    case FilterOp::kEq:
      return *order == 0;
    case FilterOp::kLt:
      return *order < 0;
    case FilterOp::kLe:
      return *order <= 0;
    case FilterOp::kGt:
      return *order > 0;
    case FilterOp::kGe:
      return *order >= 0;
    default:
      return false;
  }
}

bool Evaluate(const FilterNode& node, const Json& metadata);

bool EvaluateField(const FilterNode& node, const Json& metadata) {
  const auto it = metadata.find(node.field);
  if (it == metadata.end() || it->is_null()) return false;  // Missing: only `not` can make it true.
  switch (node.op) {
    case FilterOp::kHas:
      return true;
    case FilterOp::kIn:
      return InList(*it, node.list);
    case FilterOp::kNotIn:
      return !InList(*it, node.list);
    case FilterOp::kContains:
      return Contains(*it, node.value);
    default:
      return Compare(node.op, *it, node);
  }
}

bool Evaluate(const FilterNode& node, const Json& metadata) {
  switch (node.op) {
    case FilterOp::kAnd:
      for (const FilterNode& child : node.children) {
        if (!Evaluate(child, metadata)) return false;
      }
      return true;
    case FilterOp::kOr:
      for (const FilterNode& child : node.children) {
        if (Evaluate(child, metadata)) return true;
      }
      return false;
    case FilterOp::kNot:
      return !Evaluate(node.children.front(), metadata);
    default:
      return EvaluateField(node, metadata);
  }
}

}  // namespace

absl::StatusOr<Filter> Filter::Parse(std::string_view expression, const MetadataSchema& schema) {
  CATENA_ASSIGN_OR_RETURN(ParsedFilter parsed, ParseFilterExpression(expression, schema));
  return Filter(std::shared_ptr<const FilterNode>(std::move(parsed.root)), std::move(parsed.fields),
                std::string(expression));
}

bool Filter::Matches(const nlohmann::json& metadata) const {
  return metadata.is_object() && Evaluate(*root_, metadata);
}

}  // namespace catena::retrieval
