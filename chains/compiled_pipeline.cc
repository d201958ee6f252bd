#include "chains/compiled_pipeline.h"

#include <set>
#include <tuple>

#include "chains/pipeline_compiler.h"
#include "common/sha256.h"

namespace catena::chains {
namespace {

// The same problem can be found twice (one unknown node named twice in one string): keep the first.
ProblemList Deduplicated(const ProblemList& problems) {
  ProblemList unique(problems.file());
  std::set<std::tuple<int, int, std::string, std::string>> seen;
  for (const Problem& problem : problems.problems()) {
    if (!seen.emplace(problem.line, problem.column, problem.node, problem.message).second) continue;
    unique.Add(SourcePos{problem.line, problem.column}, problem.node, problem.message);
  }
  return unique;
}

}  // namespace

int CompiledPipeline::FindNode(std::string_view id) const {
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

absl::StatusOr<std::shared_ptr<const CompiledPipeline>> CompilePipeline(std::string_view source,
                                                                        const CompileOptions& options,
                                                                        std::vector<Problem>* problems) {
  ProblemList found(options.file);
  PipelineSpec spec = ParsePipelineSpec(source, found);
  const NodeRegistry& registry = options.registry != nullptr ? *options.registry : NodeRegistry::BuiltIn();
  const std::string version = ContentHash(source);
  std::shared_ptr<CompiledPipeline> pipeline;
  if (!spec.nodes.empty()) {
    pipeline = PipelineCompiler(spec, options, registry, found, "", {}, version).Compile();
  }
  const ProblemList unique = Deduplicated(found);
  if (problems != nullptr) *problems = unique.Sorted();
  if (!unique.empty()) return unique.ToStatus();
  if (pipeline == nullptr) return absl::InternalError("pipeline compiler returned nothing without a problem");
  pipeline->spec = std::move(spec);
  pipeline->source = std::string(source);
  return std::shared_ptr<const CompiledPipeline>(std::move(pipeline));
}

std::string ContentHash(std::string_view text) { return Sha256Hex(text); }

}  // namespace catena::chains
