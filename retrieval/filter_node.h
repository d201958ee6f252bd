// Internal to the filter implementation (filter.cc evaluates, filter_parser.cc builds): the compiled filter
// tree. Not part of the public API; include retrieval/filter.h instead. Immutable once built.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "retrieval/filter.h"

namespace catena::retrieval {

// A literal of the expression. Timestamp literals are already converted to int unix milliseconds.
struct FilterValue {
  enum class Kind { kInt, kFloat, kString, kBool };
  Kind kind = Kind::kInt;
  int64_t int_value = 0;
  double float_value = 0;
  bool bool_value = false;
  std::string string_value;
};

enum class FilterOp { kAnd, kOr, kNot, kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn, kContains, kHas };

struct FilterNode {
  FilterOp op = FilterOp::kAnd;
  std::string field;                 // Comparisons, in, contains, has.
  FilterValue value;                 // Comparisons and contains.
  std::vector<FilterValue> list;     // in / not in.
  std::vector<FilterNode> children;  // and / or (two or more), not (one).
};

// What the parser produces: the tree and the distinct fields in order of first appearance.
struct ParsedFilter {
  std::unique_ptr<FilterNode> root;
  std::vector<std::string> fields;
};

// Parses and type-checks `expression` (filter_parser.cc).
absl::StatusOr<ParsedFilter> ParseFilterExpression(std::string_view expression, const MetadataSchema& schema);

}  // namespace catena::retrieval
