// Binding: a parameter value of a pipeline file compiled for evaluation. Strings that are exactly one
// "{{ expression }}" evaluate to the expression's value with its type (a list stays a list); strings that mix
// text and "{{ }}"/"{% %}" render to a string; other strings, numbers, booleans and null are literals;
// lists and mappings bind element-wise. Immutable after Compile; Evaluate is thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "chains/pipeline_spec.h"
#include "common/template/template.h"
#include "common/template/value.h"

namespace catena::chains {

// A reference a binding makes to the run's data: `inputs.question` or `nodes.search.documents`.
struct Reference {
  std::string root;   // "inputs", "nodes" or another top-level name (e.g. "item", "loop" inside bodies)
  std::string name;   // input name or node id ("" when the root is used whole)
  std::string field;  // first attribute after the node id ("" when none)
  SourcePos pos;      // position in the file (of the string holding it)
};

class Binding {
 public:
  // A binding that evaluates to undefined.
  Binding() = default;
  // Compiles `value`; template syntax errors go to `problems` (with the position of the string and `node`).
  static Binding Compile(const SpecValue& value, const std::string& node, ProblemList& problems);
  // A literal.
  static Binding Literal(tmpl::Value value);

  // Evaluates against the run context (a dict with `inputs`, `nodes`, ...). Template errors name the file
  // position.
  absl::StatusOr<tmpl::Value> Evaluate(const tmpl::Value& context) const;
  // True when evaluation needs no context (no templates anywhere inside).
  bool is_literal() const;
  // Every reference the templates inside make, in order of appearance.
  const std::vector<Reference>& references() const;
  // Where the value was written.
  SourcePos pos() const;

  // The compiled tree (defined in binding.cc only).
  struct Node;

 private:
  std::shared_ptr<const Node> node_;
  std::vector<Reference> references_;
};

}  // namespace catena::chains
