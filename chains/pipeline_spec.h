// PipelineSpec: a pipeline file (YAML or JSON) as written, before node types interpret their parameters.
// Every value keeps the position it was written at, so later stages can report file:line:column. Produced by
// ParsePipelineSpec (pipeline_spec.cc); consumed by the compiler (compiled_pipeline.h). Plain data; immutable once
// built.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "chains/problems.h"
#include "common/template/value.h"

namespace catena::chains {

// A value written in the file: null, bool, int, float, string, list or mapping (keys in file order).
struct SpecValue {
  enum class Kind { kNull, kBool, kInt, kFloat, kString, kList, kMap };
  Kind kind = Kind::kNull;
  bool bool_value = false;
  int64_t int_value = 0;
  double float_value = 0;
  std::string string_value;
  std::vector<SpecValue> items;                          // kList
  std::vector<std::pair<std::string, SpecValue>> fields;  // kMap, in file order
  SourcePos pos;                                         // where the value starts
  SourcePos key_pos;                                     // where its key is written, when it is a mapping value

  bool is_map() const { return kind == Kind::kMap; }
  bool is_list() const { return kind == Kind::kList; }
  bool is_string() const { return kind == Kind::kString; }
  // The field named `key` of a mapping, or nullptr.
  const SpecValue* Find(std::string_view key) const;
  // "string", "int", "mapping", ... for error messages.
  std::string_view KindName() const;
};

// Declared type of a pipeline input or output field.
enum class FieldType { kAny, kString, kInt, kNumber, kBool, kList, kMap };

// "string", "int", "number", "bool", "list", "map", "any".
std::string_view FieldTypeName(FieldType type);

// The value as written, templates left as plain strings (defaults, literal parameters, test data).
tmpl::Value SpecToValue(const SpecValue& value);

struct InputSpec {
  std::string name;
  FieldType type = FieldType::kAny;
  bool required = false;
  std::optional<SpecValue> default_value;
  std::string description;
  SourcePos pos;
};

struct OutputSpec {
  std::string name;
  SpecValue value;  // usually a template string such as "{{ nodes.answer.text }}"
  SourcePos pos;
};

// Per-node execution policy (all optional).
struct NodePolicy {
  std::optional<absl::Duration> timeout;     // `timeout: 5s`
  int retries = 0;                           // `retry: {attempts: 3, backoff: 100ms}` -> retries = attempts - 1
  absl::Duration retry_backoff = absl::Milliseconds(100);  // doubled per retry, with jitter
  std::string fallback;                      // node id run instead when this node fails for good
  std::optional<absl::Duration> cache_ttl;   // `cache: {ttl: 60s}`: results cached by resolved parameters
  bool join_any = false;  // `join: any`: runs when at least one dependency ran (default all: none skipped)
};

struct NodeSpec {
  std::string id;
  std::string type;
  SpecValue with;                 // the type's parameters (a mapping; empty mapping when absent)
  std::vector<std::string> needs; // explicit ordering dependencies besides template references
  std::optional<SpecValue> when;  // guard expression; the node is skipped when false
  NodePolicy policy;
  std::string description;
  SourcePos pos;       // position of the node's id
  SourcePos type_pos;  // position of its `type` value
  std::vector<SourcePos> needs_pos;  // position of each `needs` entry
  SourcePos fallback_pos;            // position of the `fallback` value
};

struct PipelineSpec {
  std::string file;  // name used in problems
  std::string api_version;
  std::string name;
  std::string description;
  std::vector<InputSpec> inputs;
  std::vector<NodeSpec> nodes;  // in file order
  std::vector<OutputSpec> outputs;
  // Keys other than apiVersion/kind/metadata/inputs/nodes/outputs are problems; `tests` is kept for the
  // pipeline test runner (see tests/chains/README.md).
  std::optional<SpecValue> tests;
};

// Parses YAML or JSON text. Structural problems (bad YAML, wrong kinds, unknown top-level or node keys, bad
// durations, duplicate ids) go to `problems`; the returned spec holds whatever could be read.
PipelineSpec ParsePipelineSpec(std::string_view text, ProblemList& problems);

// Parses a nested pipeline body written inside a node (map/loop `body`), with the same rules and the same
// ProblemList; `owner` prefixes node ids in problems ("owner/child").
PipelineSpec ParseNestedSpec(const SpecValue& body, std::string_view owner, ProblemList& problems);

// "250ms", "5s", "2m", "1h" or a number of seconds; nullopt when malformed.
std::optional<absl::Duration> ParseDuration(const SpecValue& value);

}  // namespace catena::chains
