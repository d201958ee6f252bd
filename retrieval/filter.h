// Filter: a metadata filter expression (`lang == "en" and year >= 2023 and tags contains "cards"`) parsed and
// type-checked once against a MetadataSchema, then matched against many metadata objects. The language is
// documented in docs/filters.md. A Filter is immutable after Parse: Matches may run concurrently from any
// number of threads, and copies share the compiled tree.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "retrieval/metadata_schema.h"

namespace catena::retrieval {

struct FilterNode;  // The compiled tree; defined in retrieval/filter_node.h (internal).

// Longest accepted expression, in bytes.
inline constexpr size_t kMaxFilterLength = 4096;
// Deepest accepted nesting of parentheses and `not`.
inline constexpr int kMaxFilterDepth = 64;

class Filter {
 public:
  // Parses `expression`; INVALID_ARGUMENT with the position on bad syntax, unknown fields (when `schema`
  // declares fields) and type errors, e.g. `filter:1:24: expected a value after '>=' but found end of input`.
  static absl::StatusOr<Filter> Parse(std::string_view expression, const MetadataSchema& schema);

  // Whether `metadata` (a JSON object, normalized by MetadataSchema::Normalize) satisfies the filter.
  // Non-objects never match. Does not allocate.
  bool Matches(const nlohmann::json& metadata) const;

  // The distinct field names the expression mentions, in order of first appearance.
  std::vector<std::string> Fields() const { return fields_; }

  // The expression text as given to Parse.
  const std::string& expression() const { return expression_; }

 private:
  Filter(std::shared_ptr<const FilterNode> root, std::vector<std::string> fields, std::string expression)
      : root_(std::move(root)), fields_(std::move(fields)), expression_(std::move(expression)) {}

  std::shared_ptr<const FilterNode> root_;
  std::vector<std::string> fields_;
  std::string expression_;
};

}  // namespace catena::retrieval
