#include "chains/pipeline_compiler.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "chains/chat_model.h"
#include "chains/pipeline_globals.h"
#include "chains/pipeline_graph.h"
#include "chains/spec_messages.h"

namespace catena::chains {

struct PipelineCompiler::Work {
  const NodeSpec* spec = nullptr;
  std::string name;  // in problems: "owner/id" inside bodies
  const NodeType* type = nullptr;
  std::unique_ptr<NodeImpl> impl;
  std::vector<std::pair<std::string, Binding>> params;
  std::optional<Binding> when;
  std::vector<Reference> references;       // from parameters and `when`
  std::vector<Reference> lazy_references;  // from bindings the node type made itself
  std::vector<std::pair<std::string, SourcePos>> routes;
  std::vector<int> dependencies;
  std::vector<int> route_targets;
  std::vector<int> gated_by;
  int fallback = -1;
  bool is_fallback = false;
};

namespace {

// Roots a node type's own (lazy) bindings may use: map/loop nodes evaluate them with these added.
const std::vector<std::string>& LazyRoots() {
  static const auto* roots = new std::vector<std::string>{"item", "index", "loop"};
  return *roots;
}

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

void AddUnique(std::vector<int>& list, int value) {
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

bool HasTemplateSyntax(const std::string& text) {
  return text.find("{{") != std::string::npos || text.find("{%") != std::string::npos ||
         text.find("{#") != std::string::npos;
}

// The expression inside a string that is exactly one "{{ expression }}", else nullopt.
std::optional<std::string> SingleExpression(const std::string& text) {
  const size_t begin = text.find_first_not_of(" \n");
  const size_t end = text.find_last_not_of(" \n");
  if (begin == std::string::npos) return std::nullopt;
  const std::string trimmed = text.substr(begin, end - begin + 1);
  if (!trimmed.starts_with("{{") || !trimmed.ends_with("}}") || trimmed.size() < 4) return std::nullopt;
  const std::string inner = trimmed.substr(2, trimmed.size() - 4);
  if (HasTemplateSyntax(inner) || inner.find("}}") != std::string::npos) return std::nullopt;
  const size_t inner_begin = inner.find_first_not_of(" \n");
  const size_t inner_end = inner.find_last_not_of(" \n");
  if (inner_begin == std::string::npos) return std::nullopt;
  return inner.substr(inner_begin, inner_end - inner_begin + 1);
}

// Whether a value of type `actual` can be given where `expected` is declared.
bool Compatible(FieldType actual, FieldType expected) {
  if (expected == FieldType::kAny || actual == FieldType::kAny || actual == expected) return true;
  return expected == FieldType::kNumber && actual == FieldType::kInt;
}

const ParamInfo* FindParam(const NodeTypeInfo& info, const std::string& name) {
  for (const ParamInfo& param : info.params) {
    if (param.name == name) return &param;
  }
  return nullptr;
}

bool AcceptsAnyParam(const NodeTypeInfo& info) {
  return info.open_params || (info.params.empty() && info.open_outputs);
}

}  // namespace

// What a node type's Compile sees: reports tied to the node, bindings whose references become edges.
class NodeContext : public NodeCompileContext {
 public:
  NodeContext(PipelineCompiler& compiler, PipelineCompiler::Work& work) : compiler_(compiler), work_(work) {}

  ProblemList& problems() override { return compiler_.problems_; }
  void Error(SourcePos pos, std::string message) override {
    compiler_.problems_.Add(pos, work_.name, std::move(message));
  }
  Binding Bind(const SpecValue& value) override {
    Binding binding = Binding::Compile(value, work_.name, compiler_.problems_);
    const auto& references = binding.references();
    work_.lazy_references.insert(work_.lazy_references.end(), references.begin(), references.end());
    return binding;
  }
  std::shared_ptr<const CompiledPipeline> CompileBody(const SpecValue& body,
                                                      const std::vector<std::string>& extra_roots) override {
    return compiler_.CompileBody(body, work_, extra_roots);
  }
  void DeclareRoutes(const std::vector<std::pair<std::string, SourcePos>>& targets) override {
    work_.routes.insert(work_.routes.end(), targets.begin(), targets.end());
  }
  const NodeRegistry& registry() const override { return compiler_.registry_; }

 private:
  PipelineCompiler& compiler_;
  PipelineCompiler::Work& work_;
};

PipelineCompiler::PipelineCompiler(const PipelineSpec& spec, const CompileOptions& options,
                                   const NodeRegistry& registry, ProblemList& problems, std::string prefix,
                                   std::vector<std::string> extra_roots, std::string version)
    : spec_(spec),
      options_(options),
      registry_(registry),
      problems_(problems),
      prefix_(std::move(prefix)),
      extra_roots_(std::move(extra_roots)),
      version_(std::move(version)) {
  for (const NodeSpec& node : spec_.nodes) {
    node_ids_.push_back(node.id);
    auto work = std::make_unique<Work>();
    work->spec = &node;
    work->name = prefix_ + node.id;
    work_.push_back(std::move(work));
  }
  for (const InputSpec& input : spec_.inputs) input_names_.push_back(input.name);
}

PipelineCompiler::~PipelineCompiler() = default;

int PipelineCompiler::FindNode(const std::string& id) const {
  auto it = std::find(node_ids_.begin(), node_ids_.end(), id);
  return it == node_ids_.end() ? -1 : static_cast<int>(it - node_ids_.begin());
}

std::shared_ptr<CompiledPipeline> PipelineCompiler::Compile() {
  const size_t problems_before = problems_.problems().size();
  for (auto& work : work_) CompileNode(*work);
  for (size_t i = 0; i < work_.size(); ++i) ResolveFallback(*work_[i], static_cast<int>(i));
  for (size_t i = 0; i < work_.size(); ++i) {
    ResolveEdges(*work_[i], static_cast<int>(i));
    ResolveRoutes(*work_[i], static_cast<int>(i));
  }
  CheckFallbackReads();
  std::vector<std::pair<std::string, Binding>> outputs = CompileOutputs();
  const bool acyclic = CheckCycles();
  if (!acyclic || problems_.problems().size() > problems_before) return nullptr;
  std::shared_ptr<CompiledPipeline> pipeline = Build();
  pipeline->outputs = std::move(outputs);
  return pipeline;
}

void PipelineCompiler::CompileNode(Work& work) {
  const NodeSpec& node = *work.spec;
  if (node.when.has_value()) {
    work.when = Binding::Compile(*node.when, work.name, problems_);
    const auto& references = work.when->references();
    work.references.insert(work.references.end(), references.begin(), references.end());
  }
  if (node.type.empty()) return;  // reported by the parser
  work.type = registry_.Find(node.type);
  if (work.type == nullptr) {
    std::vector<std::string> names;
    for (const NodeType* type : registry_.All()) names.push_back(type->info().name);
    problems_.Add(node.type_pos, work.name,
                  absl::StrCat("unknown node type '", node.type, "'", DidYouMean(node.type, names)));
    return;
  }
  const bool params_ok = CheckParams(work);
  BindParams(work);
  CheckModel(work);
  if (!params_ok) return;
  const size_t problems_before = problems_.problems().size();
  NodeContext context(*this, work);
  work.impl = work.type->Compile(node, context);
  if (work.impl == nullptr && problems_.problems().size() == problems_before) {
    problems_.Add(node.pos, work.name, absl::StrCat("type '", node.type, "' rejected this node"));
  }
}

bool PipelineCompiler::CheckParams(Work& work) {
  const NodeTypeInfo& info = work.type->info();
  const NodeSpec& node = *work.spec;
  bool ok = true;
  for (const auto& [key, value] : node.with.fields) {
    const ParamInfo* param = FindParam(info, key);
    if (param == nullptr) {
      if (AcceptsAnyParam(info)) continue;
      std::vector<std::string> names;
      for (const ParamInfo& known : info.params) names.push_back(known.name);
      std::string hint = DidYouMean(key, names);
      if (hint.empty())
        hint = names.empty() ? " (it takes none)" : absl::StrCat(" (parameters: ", JoinNames(names), ")");
      problems_.Add(value.key_pos, work.name,
                    absl::StrCat("unknown parameter '", key, "' for type '", info.name, "'", hint));
      ok = false;
    } else if (value.kind == SpecValue::Kind::kNull) {
      if (param->required) {
        problems_.Add(value.pos, work.name, absl::StrCat("parameter '", key, "' is required and cannot be null"));
        ok = false;
      }
    } else {
      ok = CheckParamType(*param, value, work) && ok;
    }
  }
  for (const ParamInfo& param : info.params) {
    if (param.required && node.with.Find(param.name) == nullptr) {
      problems_.Add(node.pos, work.name,
                    absl::StrCat("missing required parameter '", param.name, "' for type '", info.name, "'"));
      ok = false;
    }
  }
  return ok;
}

bool PipelineCompiler::CheckParamType(const ParamInfo& param, const SpecValue& value, const Work& work) {
  if (param.type == FieldType::kAny) return true;
  if (value.is_string() && HasTemplateSyntax(value.string_value) && !param.lazy) {
    return CheckTemplateType(param, value, work);
  }
  if (HasType(value, param.type)) return true;
  const bool scalar = value.kind == SpecValue::Kind::kInt || value.kind == SpecValue::Kind::kFloat ||
                      value.kind == SpecValue::Kind::kBool;
  const std::string hint = param.type == FieldType::kString && scalar ? "; quote it to pass it as text" : "";
  problems_.Add(
      value.pos, work.name,
      absl::StrCat("parameter '", param.name, "' must be ", TypeNoun(param.type), ", not ", Describe(value), hint));
  return false;
}

// A template's type is known when it renders text, or when it is exactly `{{ inputs.<declared input> }}`.
bool PipelineCompiler::CheckTemplateType(const ParamInfo& param, const SpecValue& value, const Work& work) {
  const std::optional<std::string> expression = SingleExpression(value.string_value);
  if (!expression.has_value()) {
    if (param.type == FieldType::kString) return true;
    problems_.Add(value.pos, work.name,
                  absl::StrCat("parameter '", param.name, "' must be ", TypeNoun(param.type),
                               ", but this text renders to a string; write a single \"{{ expression }}\""));
    return false;
  }
  if (!expression->starts_with("inputs.")) return true;
  const std::string name = expression->substr(7);
  for (const InputSpec& input : spec_.inputs) {
    if (input.name != name || Compatible(input.type, param.type)) continue;
    problems_.Add(value.pos, work.name,
                  absl::StrCat("parameter '", param.name, "' must be ", TypeNoun(param.type), ", but input '", name,
                               "' is declared ", std::string(FieldTypeName(input.type))));
    return false;
  }
  return true;
}

void PipelineCompiler::BindParams(Work& work) {
  const NodeTypeInfo& info = work.type->info();
  for (const auto& [key, value] : work.spec->with.fields) {
    const ParamInfo* param = FindParam(info, key);
    if (param == nullptr && !AcceptsAnyParam(info)) continue;
    if (param != nullptr && param->lazy) continue;
    Binding binding = Binding::Compile(value, work.name, problems_);
    const auto& references = binding.references();
    work.references.insert(work.references.end(), references.begin(), references.end());
    work.params.emplace_back(key, std::move(binding));
  }
}

void PipelineCompiler::CheckModel(const Work& work) {
  if (options_.models == nullptr || FindParam(work.type->info(), "model") == nullptr) return;
  const SpecValue* model = work.spec->with.Find("model");
  if (model == nullptr || !model->is_string() || model->string_value.empty() ||
      HasTemplateSyntax(model->string_value)) {
    return;
  }
  if (!options_.models->HasModel(model->string_value)) {
    problems_.Add(model->pos, work.name, absl::StrCat("unknown model '", model->string_value, "'"));
  }
}

std::shared_ptr<const CompiledPipeline> PipelineCompiler::CompileBody(const SpecValue& body, const Work& owner,
                                                                      const std::vector<std::string>& extra_roots) {
  const size_t problems_before = problems_.problems().size();
  auto spec = std::make_unique<PipelineSpec>(ParseNestedSpec(body, owner.name, problems_));
  if (spec->nodes.empty()) return nullptr;
  PipelineCompiler child(*spec, options_, registry_, problems_, owner.name + "/", extra_roots,
                         ContentHash(absl::StrCat(version_, "/", owner.name)));
  std::shared_ptr<CompiledPipeline> compiled = child.Compile();
  if (compiled == nullptr || problems_.problems().size() > problems_before) return nullptr;
  compiled->spec = std::move(*spec);
  compiled->extra_roots = extra_roots;
  return compiled;
}

std::string PipelineCompiler::RootList() const {
  std::vector<std::string> roots{"inputs", "nodes"};
  roots.insert(roots.end(), extra_roots_.begin(), extra_roots_.end());
  return JoinNames(roots);
}

// Checks one reference; returns the node it makes `node` depend on, or -1.
int PipelineCompiler::CheckReference(const Reference& reference, const std::string& node, const std::string& prefix,
                                     bool lazy) {
  if (reference.root == "nodes") {
    if (reference.name.empty()) return -1;
    const int target = FindNode(reference.name);
    if (target < 0) {
      std::string hint = DidYouMean(reference.name, node_ids_);
      if (hint.empty() && !prefix_.empty()) hint = "; a body sees only its own nodes";
      problems_.Add(reference.pos, node, absl::StrCat(prefix, "unknown node '", reference.name, "'", hint));
      return -1;
    }
    CheckNodeField(reference, target, node, prefix);
    return target;
  }
  if (reference.root == "inputs") {
    if (reference.name.empty() || Contains(input_names_, reference.name)) return -1;
    std::string hint = DidYouMean(reference.name, input_names_);
    if (hint.empty()) {
      const char* owner = prefix_.empty() ? "pipeline" : "body";
      hint = input_names_.empty() ? absl::StrCat("; the ", owner, " declares no inputs")
                                  : absl::StrCat("; inputs are: ", JoinNames(input_names_));
    }
    problems_.Add(reference.pos, node, absl::StrCat(prefix, "unknown input '", reference.name, "'", hint));
    return -1;
  }
  CheckOtherRoot(reference, node, prefix, lazy);
  return -1;
}

void PipelineCompiler::CheckNodeField(const Reference& reference, int target, const std::string& node,
                                      const std::string& prefix) {
  const NodeType* type = work_[target]->type;
  if (reference.field.empty() || type == nullptr || type->info().open_outputs) return;
  std::vector<std::string> outputs;
  for (const OutputInfo& output : type->info().outputs) outputs.push_back(output.name);
  if (Contains(outputs, reference.field)) return;
  std::string hint = DidYouMean(reference.field, outputs);
  if (hint.empty()) hint = absl::StrCat(" (outputs: ", JoinNames(outputs), ")");
  problems_.Add(reference.pos, node,
                absl::StrCat(prefix, "node '", reference.name, "' (type ", type->info().name, ") has no output '",
                             reference.field, "'", hint));
}

void PipelineCompiler::CheckOtherRoot(const Reference& reference, const std::string& node, const std::string& prefix,
                                      bool lazy) {
  if (Contains(extra_roots_, reference.root) || (lazy && Contains(LazyRoots(), reference.root)) ||
      IsPipelineGlobal(reference.root)) {
    return;
  }
  std::string hint;
  if (Contains(input_names_, reference.root)) {
    hint = absl::StrCat(" (did you mean 'inputs.", reference.root, "'?)");
  } else if (FindNode(reference.root) >= 0) {
    hint = absl::StrCat(" (did you mean 'nodes.", reference.root, "'?)");
  }
  problems_.Add(reference.pos, node,
                absl::StrCat(prefix, "unknown name '", reference.root, "'; templates can use ", RootList(), hint));
}

void PipelineCompiler::ResolveEdges(Work& work, int index) {
  for (const Reference& reference : work.references) {
    const int target = CheckReference(reference, work.name, "", /*lazy=*/false);
    if (target >= 0) AddUnique(work.dependencies, target);
  }
  for (const Reference& reference : work.lazy_references) {
    const int target = CheckReference(reference, work.name, "", /*lazy=*/true);
    if (target >= 0) AddUnique(work.dependencies, target);
  }
  const NodeSpec& spec = *work.spec;
  for (size_t i = 0; i < spec.needs.size(); ++i) {
    const std::string& need = spec.needs[i];
    const SourcePos pos = i < spec.needs_pos.size() ? spec.needs_pos[i] : spec.pos;
    const int target = FindNode(need);
    if (target < 0) {
      problems_.Add(pos, work.name,
                    absl::StrCat("'needs' names unknown node '", need, "'", DidYouMean(need, node_ids_)));
    } else if (target == index) {
      problems_.Add(pos, work.name, "a node cannot need itself");
    } else {
      AddUnique(work.dependencies, target);
    }
  }
}

void PipelineCompiler::ResolveRoutes(Work& work, int index) {
  for (const auto& [id, pos] : work.routes) {
    const int target = FindNode(id);
    if (target < 0) {
      problems_.Add(pos, work.name,
                    absl::StrCat("route target '", id, "' is not a node of this pipeline", DidYouMean(id, node_ids_)));
    } else if (target == index) {
      problems_.Add(pos, work.name, "a router cannot route to itself");
    } else {
      AddUnique(work.route_targets, target);
      AddUnique(work_[target]->gated_by, index);
      AddUnique(work_[target]->dependencies, index);
    }
  }
}

void PipelineCompiler::ResolveFallback(Work& work, int index) {
  const std::string& fallback = work.spec->policy.fallback;
  if (fallback.empty()) return;
  const int target = FindNode(fallback);
  const SourcePos pos = work.spec->fallback_pos.line > 0 ? work.spec->fallback_pos : work.spec->pos;
  if (target < 0) {
    problems_.Add(
        pos, work.name,
        absl::StrCat("fallback '", fallback, "' is not a node of this pipeline", DidYouMean(fallback, node_ids_)));
  } else if (target == index) {
    problems_.Add(pos, work.name, "a node cannot be its own fallback");
  } else {
    work.fallback = target;
    work_[target]->is_fallback = true;
  }
}

// A fallback node runs only in place of a failed node: others read that node instead, and the fallback
// cannot wait for the node it replaces.
void PipelineCompiler::CheckFallbackReads() {
  for (size_t i = 0; i < work_.size(); ++i) {
    const Work& work = *work_[i];
    for (int dependency : work.dependencies) {
      const Work& target = *work_[dependency];
      if (target.fallback == static_cast<int>(i)) {
        problems_.Add(work.spec->pos, work.name,
                      absl::StrCat("fallback node depends on '", target.spec->id, "', the node it stands in for"));
      } else if (work.fallback == dependency) {
        problems_.Add(work.spec->pos, work.name,
                      absl::StrCat("depends on its own fallback '", target.spec->id,
                                   "', which runs only when this "
                                   "node fails"));
      } else if (target.is_fallback) {
        const std::string replaced = PrimaryOf(dependency);
        problems_.Add(work.spec->pos, work.name,
                      absl::StrCat("depends on fallback node '", target.spec->id, "', which runs only in place of '",
                                   replaced, "'; read nodes.", replaced, " instead"));
      }
    }
  }
}

// The first node whose fallback is `fallback`.
std::string PipelineCompiler::PrimaryOf(int fallback) const {
  for (const auto& work : work_) {
    if (work->fallback == fallback) return work->spec->id;
  }
  return "";
}

// Outputs are read after every node, so they add no edges; like nodes, they read a failed node, not its
// fallback.
std::vector<std::pair<std::string, Binding>> PipelineCompiler::CompileOutputs() {
  std::vector<std::pair<std::string, Binding>> outputs;
  const std::string owner = prefix_.empty() ? "" : prefix_.substr(0, prefix_.size() - 1);
  for (const OutputSpec& output : spec_.outputs) {
    Binding binding = Binding::Compile(output.value, owner, problems_);
    const std::string prefix = absl::StrCat("output '", output.name, "': ");
    for (const Reference& reference : binding.references()) {
      const int target = CheckReference(reference, owner, prefix, /*lazy=*/false);
      if (target < 0 || !work_[target]->is_fallback) continue;
      const std::string replaced = PrimaryOf(target);
      problems_.Add(reference.pos, owner,
                    absl::StrCat(prefix, "reads fallback node '", reference.name, "', which runs only in place of '",
                                 replaced, "'; read nodes.", replaced, " instead"));
    }
    outputs.emplace_back(output.name, std::move(binding));
  }
  return outputs;
}

bool PipelineCompiler::CheckCycles() {
  std::vector<std::vector<int>> dependencies;
  for (const auto& work : work_) dependencies.push_back(work->dependencies);
  const std::vector<std::vector<int>> cycles = FindCycles(dependencies);
  for (const std::vector<int>& cycle : cycles) {
    std::vector<std::string> names;
    for (int node : cycle) names.push_back(node_ids_[node]);
    const Work& first = *work_[cycle.front()];
    problems_.Add(first.spec->pos, first.name,
                  absl::StrCat("cycle: ", absl::StrJoin(names, " -> "), "; use a loop node for bounded repetition"));
  }
  return cycles.empty();
}

std::shared_ptr<CompiledPipeline> PipelineCompiler::Build() {
  std::vector<std::vector<int>> dependencies;
  for (const auto& work : work_) dependencies.push_back(work->dependencies);
  const std::vector<int> order = TopologicalOrder(dependencies);
  std::vector<int> position(work_.size(), -1);
  for (size_t i = 0; i < order.size(); ++i) position[order[i]] = static_cast<int>(i);
  auto map = [&](const std::vector<int>& indices) {
    std::vector<int> mapped;
    for (int index : indices) mapped.push_back(position[index]);
    std::sort(mapped.begin(), mapped.end());
    return mapped;
  };
  auto pipeline = std::make_shared<CompiledPipeline>();
  pipeline->extra_roots = extra_roots_;
  pipeline->version = version_;
  for (int index : order) {
    Work& work = *work_[index];
    CompiledNode node;
    node.id = work.spec->id;
    node.type = work.spec->type;
    node.node_type = work.type;
    node.impl = std::move(work.impl);
    node.params = std::move(work.params);
    node.when = std::move(work.when);
    node.policy = work.spec->policy;
    node.dependencies = map(work.dependencies);
    node.route_targets = map(work.route_targets);
    node.gated_by = map(work.gated_by);
    node.fallback = work.fallback < 0 ? -1 : position[work.fallback];
    node.is_fallback = work.is_fallback;
    node.pos = work.spec->pos;
    pipeline->nodes.push_back(std::move(node));
  }
  for (size_t i = 0; i < pipeline->nodes.size(); ++i) {
    for (int dependency : pipeline->nodes[i].dependencies) {
      pipeline->nodes[dependency].dependents.push_back(static_cast<int>(i));
    }
  }
  return pipeline;
}

}  // namespace catena::chains
