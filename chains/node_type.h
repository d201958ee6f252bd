// The node-type contract. A NodeType describes its parameters and outputs (for validation and the generated
// reference in docs/pipelines.md) and compiles one node of a file into a NodeImpl. At run time the executor
// resolves the node's parameters, then calls NodeImpl::Start with a NodeCall; the node calls Finish exactly
// once, inline (synchronous nodes: no thread hop, no allocation beyond its output) or later from any thread
// (models, timers). Each node type is one file under chains/nodes/ plus one line in builtin_nodes.cc.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "chains/binding.h"
#include "chains/pipeline_spec.h"
#include "chains/run_event.h"
#include "chains/run_services.h"
#include "common/template/value.h"

namespace catena::chains {

struct CompiledPipeline;
class NodeRegistry;

// Parameter of a node type, checked by the compiler before the type's own Compile runs.
struct ParamInfo {
  std::string name;
  FieldType type = FieldType::kAny;
  bool required = false;
  // Lazy parameters are not resolved before Start; the node compiles and evaluates them itself (router
  // conditions, loop exit conditions, map/loop bodies).
  bool lazy = false;
  std::string default_text;  // for the reference docs, e.g. "5"
  std::string description;
};

struct OutputInfo {
  std::string name;
  FieldType type = FieldType::kAny;
  std::string description;
};

struct NodeTypeInfo {
  std::string name;     // "llm.chat"
  std::string summary;  // one line for docs/pipelines.md
  std::vector<ParamInfo> params;
  std::vector<OutputInfo> outputs;
  // true when output fields are chosen by the file (transform, subpipeline, map): references to any field
  // are accepted.
  bool open_outputs = false;
  // true when any parameter name is accepted (transform: every `with` field becomes an output field; the
  // extension-point types): the compiler skips its unknown-parameter check.
  bool open_params = false;
};

// One execution of one node in one run; implemented by the executor. Valid until Finish returns.
class NodeCall {
 public:
  virtual ~NodeCall() = default;
  virtual const std::string& node_id() const = 0;
  // Resolved non-lazy parameters: a dict holding every parameter written in the file.
  virtual const tmpl::Value& params() const = 0;
  // The run context (`inputs`, `nodes`, and body roots such as `item`) for evaluating lazy bindings; a
  // snapshot that must not be mutated.
  virtual const tmpl::Value& context() const = 0;
  virtual const RunServices& services() const = 0;
  virtual const std::string& tenant() const = 0;
  virtual const std::string& run_id() const = 0;
  virtual absl::Time deadline() const = 0;
  virtual bool cancelled() const = 0;
  // Registers `on_cancel` to run (once, on any thread) when the run is cancelled or times out, e.g. to cancel
  // a model call. Runs at once when already cancelled.
  virtual void OnCancel(std::function<void()> on_cancel) = 0;
  // Reports an event (token, retrieved, tool call/result); the executor sets node, seq and time.
  virtual void Emit(RunEvent event) = 0;
  // Adds model token usage to the run's total.
  virtual void AddUsage(const TokenUsage& usage) = 0;
  // Runs a nested pipeline (map/loop bodies, subpipelines) with the same services, tenant, deadline and
  // cancellation; its node events are reported with ids prefixed "<this node>/". `done` gets its outputs.
  virtual void RunChild(std::shared_ptr<const CompiledPipeline> pipeline, tmpl::Value inputs,
                        std::function<void(absl::StatusOr<tmpl::Value>)> done) = 0;
  // Pauses the run at this node (human approval): an interrupt event is emitted, the run is checkpointed and
  // ends as "interrupted". On Resume the node runs again with resume_data() set.
  virtual void Interrupt(std::string reason, tmpl::Value payload) = 0;
  // On a resumed run, the data given to Resume for this node ({approved: bool, payload: {...}}); else null.
  virtual const tmpl::Value* resume_data() const = 0;
  // Records how far a long node got (an agent's finished steps) in the run state and, for checkpointed runs,
  // writes a checkpoint now, so that Resume after an interrupt or a crash continues from here. Kept until the
  // node finishes; errors are the checkpoint store's. Call from one thread at a time, before Finish/Interrupt.
  virtual absl::Status SaveProgress(tmpl::Value progress) = 0;
  // The progress last saved by this node in this run (restored from the checkpoint on Resume); else null.
  virtual const tmpl::Value* progress() const = 0;
  // Appends `delta_json` (a JSON document the node encoded once) to this node's progress log (cleared by
  // SaveProgress) and, for checkpointed runs, writes just the delta as the run's next checkpoint record (WAL, no
  // fsync: it survives a crash of the process, not of the machine), so a step costs one small write however long
  // the node has run. Same rules as SaveProgress. Text that is not JSON makes Resume fail with DATA_LOSS.
  virtual absl::Status AppendProgress(std::string delta_json) = 0;
  // The deltas appended after the last SaveProgress, in order, as restored on Resume (empty on a fresh run).
  virtual const std::vector<tmpl::Value>& progress_log() const = 0;
  // Completes the node with its output (a dict) or an error. Exactly once.
  virtual void Finish(absl::StatusOr<tmpl::Value> output) = 0;
};

// A compiled node: immutable, shared by every run of the pipeline, so Start must be thread-safe.
class NodeImpl {
 public:
  virtual ~NodeImpl() = default;
  virtual void Start(NodeCall& call) const = 0;
};

// What a node type's Compile may use and report into.
class NodeCompileContext {
 public:
  virtual ~NodeCompileContext() = default;
  virtual ProblemList& problems() = 0;
  // Reports a problem tied to the node being compiled.
  virtual void Error(SourcePos pos, std::string message) = 0;
  // Compiles a parameter (usually a lazy one) into a binding; template problems are reported.
  virtual Binding Bind(const SpecValue& value) = 0;
  // Compiles a nested pipeline body (map/loop) whose templates may also use `extra_roots` (e.g. "item",
  // "index", "loop"); nullptr when it has problems (reported).
  virtual std::shared_ptr<const CompiledPipeline> CompileBody(const SpecValue& body,
                                                              const std::vector<std::string>& extra_roots) = 0;
  // Declares that this node chooses which of `targets` (node ids) run: its output's `next` field names the
  // chosen one(s); the others are skipped. Unknown ids are reported.
  virtual void DeclareRoutes(const std::vector<std::pair<std::string, SourcePos>>& targets) = 0;
  // The registry (subpipeline and tool nodes look things up).
  virtual const NodeRegistry& registry() const = 0;
};

class NodeType {
 public:
  virtual ~NodeType() = default;
  virtual const NodeTypeInfo& info() const = 0;
  // Builds the node. The compiler has already checked unknown/missing parameters and literal types against
  // info().params; this checks the rest and reports into `context`. Returns nullptr when invalid.
  virtual std::unique_ptr<NodeImpl> Compile(const NodeSpec& spec, NodeCompileContext& context) const = 0;
};

// Every node type, registered explicitly (no static self-registration). Immutable after construction.
class NodeRegistry {
 public:
  // The built-in node types of chains (builtin_nodes.cc lists them; no tool/agent: see agents/node_types.h).
  static const NodeRegistry& BuiltIn();
  // The type named `name`, or nullptr.
  const NodeType* Find(std::string_view name) const;
  // Every type, sorted by name.
  std::vector<const NodeType*> All() const;
  // Adds a type (tests, agents issue); replaces one of the same name.
  void Add(std::unique_ptr<NodeType> type);

 private:
  std::vector<std::unique_ptr<NodeType>> types_;
};

// Adds chains' own node types (the list BuiltIn() holds) to `registry`; agents::AllNodeTypes adds its types
// after these.
void AddBuiltInNodeTypes(NodeRegistry& registry);

}  // namespace catena::chains
