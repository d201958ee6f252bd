// loop: runs the nested `body` again and again (bounded by max_iterations) until `until` holds. The body sees
// `loop` = {iteration (0-based), last (the previous iteration's outputs, none at first)}; `until` is evaluated
// after each iteration in the node's context plus `loop` = {iteration, last (this iteration's outputs)}.
#include "absl/strings/str_cat.h"
#include "chains/nodes/child_runs.h"
#include "chains/nodes/node_types.h"
#include "chains/nodes/node_util.h"
#include "common/status.h"

namespace catena::chains {
namespace {

class LoopNode final : public NodeImpl {
 public:
  LoopNode(std::shared_ptr<const CompiledPipeline> body, std::optional<Binding> until)
      : body_(std::move(body)), until_(std::move(until)) {}

  void Start(NodeCall& call) const override {
    absl::StatusOr<int64_t> max = nodes::GetInt(call.params(), "max_iterations", 1, 1, 1000);
    if (!max.ok()) return call.Finish(max.status());
    auto state = std::make_shared<State>();
    state->max = *max;
    const tmpl::Value parent_inputs = nodes::ParentInputs(call);
    nodes::ChildRuns::Hooks hooks{
        .next = [state, parent_inputs](int64_t index) -> std::optional<tmpl::Value> {
          if (state->running || state->stop || index >= state->max) return std::nullopt;
          state->running = true;
          return nodes::MakeDict({{"inputs", parent_inputs}, {"loop", LoopRoot(index, state->last)}});
        },
        .done = [this, state, &call](int64_t index, absl::StatusOr<tmpl::Value> outputs) -> absl::Status {
          state->running = false;
          if (!outputs.ok()) return Annotate(outputs.status(), absl::StrCat("loop iteration ", index));
          state->last = *outputs;
          state->results.push_back(*std::move(outputs));
          absl::StatusOr<bool> stop = Until(call, index, state->last);
          if (!stop.ok()) return stop.status();
          state->stop = *stop;
          return absl::OkStatus();
        },
        .output = [state] {
          return nodes::MakeDict({{"iterations", static_cast<int64_t>(state->results.size())},
                                  {"last", state->last},
                                  {"results", tmpl::Value::List(state->results)}});
        }};
    std::make_shared<nodes::ChildRuns>(call, body_, 1, std::move(hooks))->Start();
  }

 private:
  struct State {
    int64_t max = 1;
    bool running = false;
    bool stop = false;
    tmpl::Value last = tmpl::Value::None();
    std::vector<tmpl::Value> results;
  };

  static tmpl::Value LoopRoot(int64_t iteration, const tmpl::Value& last) {
    return nodes::MakeDict({{"iteration", iteration}, {"last", last}});
  }

  absl::StatusOr<bool> Until(const NodeCall& call, int64_t iteration, const tmpl::Value& last) const {
    if (!until_.has_value()) return false;
    absl::StatusOr<tmpl::Value> value = until_->Evaluate(nodes::WithRoot(call.context(), "loop", LoopRoot(iteration, last)));
    if (!value.ok()) return Annotate(value.status(), "until");
    return tmpl::Truthy(*value);
  }

  std::shared_ptr<const CompiledPipeline> body_;
  std::optional<Binding> until_;
};

std::unique_ptr<NodeImpl> CompileLoop(const NodeSpec& spec, NodeCompileContext& context) {
  nodes::CheckLiteralRange(spec, context, "max_iterations", 1, 1000);
  std::optional<Binding> until;
  if (const SpecValue* value = nodes::FindField(spec.with, "until")) until = context.Bind(*value);
  const SpecValue* body = nodes::FindField(spec.with, "body");
  if (body == nullptr || !body->is_map()) {
    context.Error(body == nullptr ? spec.type_pos : body->pos, "loop needs `body`: a pipeline {nodes, outputs}");
    return nullptr;
  }
  std::shared_ptr<const CompiledPipeline> compiled = context.CompileBody(*body, {"loop"});
  if (compiled == nullptr) return nullptr;
  return std::make_unique<LoopNode>(std::move(compiled), std::move(until));
}

}  // namespace

std::unique_ptr<NodeType> NewLoopNodeType() {
  NodeTypeInfo info{
      .name = "loop",
      .summary = "Repeats a nested pipeline until a condition holds, at most max_iterations times.",
      .params = {{"max_iterations", FieldType::kInt, true, false, "", "Upper bound of iterations, 1..1000."},
                 {"until", FieldType::kAny, false, true, "",
                  "Condition checked after each iteration; sees `loop` = {iteration, last} (last = the outputs "
                  "just produced). Without it the loop runs max_iterations times."},
                 {"body", FieldType::kMap, true, true, "",
                  "Nested pipeline {nodes, outputs}; sees `loop` = {iteration (0-based), last (previous "
                  "iteration's outputs, none at first)} and the parent's `inputs`."}},
      .outputs = {{"iterations", FieldType::kInt, "Iterations run."},
                  {"last", FieldType::kAny, "The last iteration's outputs."},
                  {"results", FieldType::kList, "Every iteration's outputs, in order."}}};
  return std::make_unique<nodes::SimpleNodeType>(std::move(info), CompileLoop);
}

}  // namespace catena::chains
