// PipelineCompiler: validates one parsed pipeline (a file's top level or a map/loop body) against the node
// registry and builds its CompiledPipeline: parameter checks, node-type Compile calls, references, edges,
// routes, fallbacks, cycles and the topological order. Used by CompilePipeline (compiled_pipeline.cc) and,
// recursively, for bodies. Single-threaded; one instance per pipeline compiled.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "chains/compiled_pipeline.h"

namespace catena::chains {

class PipelineCompiler {
 public:
  // `prefix` goes before node ids in problems ("loop1/" inside a body); `extra_roots` are the names
  // templates may use besides inputs and nodes; `version` is the file's (bodies derive theirs from it).
  PipelineCompiler(const PipelineSpec& spec, const CompileOptions& options, const NodeRegistry& registry,
                   ProblemList& problems, std::string prefix, std::vector<std::string> extra_roots,
                   std::string version);
  ~PipelineCompiler();

  // The compiled pipeline (nodes, outputs, extra_roots, version; not spec or source), or nullptr when this
  // pipeline had problems (all reported).
  std::shared_ptr<CompiledPipeline> Compile();

  struct Work;  // per-node state (pipeline_compiler.cc)

 private:
  friend class NodeContext;
  void CompileNode(Work& work);
  bool CheckParams(Work& work);
  bool CheckParamType(const ParamInfo& param, const SpecValue& value, const Work& work);
  bool CheckTemplateType(const ParamInfo& param, const SpecValue& value, const Work& work);
  void BindParams(Work& work);
  void CheckModel(const Work& work);
  std::shared_ptr<const CompiledPipeline> CompileBody(const SpecValue& body, const Work& owner,
                                                      const std::vector<std::string>& extra_roots);
  int CheckReference(const Reference& reference, const std::string& node, const std::string& prefix, bool lazy);
  void CheckNodeField(const Reference& reference, int target, const std::string& node, const std::string& prefix);
  void CheckOtherRoot(const Reference& reference, const std::string& node, const std::string& prefix, bool lazy);
  void ResolveEdges(Work& work, int index);
  void ResolveRoutes(Work& work, int index);
  void ResolveFallback(Work& work, int index);
  void CheckFallbackReads();
  std::string PrimaryOf(int fallback) const;
  std::vector<std::pair<std::string, Binding>> CompileOutputs();
  bool CheckCycles();
  std::shared_ptr<CompiledPipeline> Build();
  int FindNode(const std::string& id) const;
  std::string RootList() const;

  const PipelineSpec& spec_;
  const CompileOptions& options_;
  const NodeRegistry& registry_;
  ProblemList& problems_;
  std::string prefix_;
  std::vector<std::string> extra_roots_;
  std::string version_;
  std::vector<std::string> node_ids_;
  std::vector<std::string> input_names_;
  std::vector<std::unique_ptr<Work>> work_;
};

}  // namespace catena::chains
