// CompiledPipeline: a validated pipeline ready to run many times concurrently: nodes in a topological order
// with their dependencies, bindings and compiled implementations. CompilePipeline validates everything before
// anything runs (unknown types and parameters, type mismatches, references to missing nodes, inputs or output
// fields, cycles, unreachable nodes, bad templates) and reports all problems of the file at once.
// Immutable and thread-safe once built.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "chains/binding.h"
#include "chains/node_type.h"
#include "chains/pipeline_spec.h"

namespace catena::chains {

struct CompiledNode {
  std::string id;
  std::string type;
  const NodeType* node_type = nullptr;
  std::unique_ptr<NodeImpl> impl;
  // Non-lazy parameters by name, resolved before Start into NodeCall::params().
  std::vector<std::pair<std::string, Binding>> params;
  std::optional<Binding> when;
  NodePolicy policy;
  std::vector<int> dependencies;   // indices of nodes whose outputs or completion this node waits for
  std::vector<int> dependents;     // the reverse edges
  std::vector<int> route_targets;  // for routers: the nodes this one chooses between
  std::vector<int> gated_by;       // routers that must choose this node for it to run
  int fallback = -1;               // index of the fallback node, -1 when none
  bool is_fallback = false;        // runs only in place of a failed node
  SourcePos pos;
};

struct CompiledPipeline {
  PipelineSpec spec;     // metadata, inputs and outputs as written
  std::string source;    // the file text
  std::string version;   // hex SHA-256 of the source
  std::vector<CompiledNode> nodes;  // topological order: every dependency comes first
  std::vector<std::pair<std::string, Binding>> outputs;
  std::vector<std::string> extra_roots;  // names bodies may use besides inputs/nodes (item, index, loop)

  // Index of node `id`, or -1.
  int FindNode(std::string_view id) const;
};

struct CompileOptions {
  std::string file = "pipeline.yaml";  // name used in problems
  const NodeRegistry* registry = nullptr;  // nullptr = NodeRegistry::BuiltIn()
  // When set, llm nodes naming a model it does not serve are problems.
  const ChatModel* models = nullptr;
};

// Parses, validates and compiles. On problems: INVALID_ARGUMENT with every problem (see ProblemList::ToStatus)
// and, when `problems` is given, the list itself.
absl::StatusOr<std::shared_ptr<const CompiledPipeline>> CompilePipeline(std::string_view source,
                                                                        const CompileOptions& options,
                                                                        std::vector<Problem>* problems = nullptr);

// Hex SHA-256 of `text` (pipeline versions).
std::string ContentHash(std::string_view text);

}  // namespace catena::chains
