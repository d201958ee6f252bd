// map: runs the nested `body` pipeline once per item of `items` (at most `concurrency` at once); body
// templates see `item` and `index`. Output: each body's outputs in item order.
#include "absl/strings/str_cat.h"
#include "chains/nodes/child_runs.h"
#include "chains/nodes/node_types.h"
#include "chains/nodes/node_util.h"
#include "common/status.h"

namespace catena::chains {
namespace {

class MapNode final : public NodeImpl {
 public:
  explicit MapNode(std::shared_ptr<const CompiledPipeline> body) : body_(std::move(body)) {}

  void Start(NodeCall& call) const override {
    absl::StatusOr<tmpl::Value> items = nodes::GetList(call.params(), "items");
    absl::StatusOr<int64_t> concurrency = nodes::GetInt(call.params(), "concurrency", 4, 1, 256);
    if (!items.ok() || !concurrency.ok()) return call.Finish(!items.ok() ? items.status() : concurrency.status());
    if (items->list().items.size() > 10000) {
      return call.Finish(absl::InvalidArgumentError(
          absl::StrCat("map over ", items->list().items.size(), " items; at most 10000")));
    }
    auto state = std::make_shared<State>();
    state->items = items->list().items;
    state->results.resize(state->items.size());
    const tmpl::Value parent_inputs = nodes::ParentInputs(call);
    nodes::ChildRuns::Hooks hooks{
        .next = [state, parent_inputs](int64_t index) -> std::optional<tmpl::Value> {
          if (index >= static_cast<int64_t>(state->items.size())) return std::nullopt;
          return nodes::MakeDict({{"inputs", parent_inputs}, {"item", state->items[index]}, {"index", index}});
        },
        .done = [state](int64_t index, absl::StatusOr<tmpl::Value> outputs) -> absl::Status {
          if (!outputs.ok()) return Annotate(outputs.status(), absl::StrCat("map item ", index));
          state->results[index] = *std::move(outputs);
          return absl::OkStatus();
        },
        .output = [state] {
          return nodes::MakeDict({{"results", tmpl::Value::List(state->results)},
                                  {"count", static_cast<int64_t>(state->results.size())}});
        }};
    std::make_shared<nodes::ChildRuns>(call, body_, static_cast<int>(*concurrency), std::move(hooks))->Start();
  }

 private:
  struct State {
    std::vector<tmpl::Value> items;
    std::vector<tmpl::Value> results;
  };
  std::shared_ptr<const CompiledPipeline> body_;
};

std::unique_ptr<NodeImpl> CompileMap(const NodeSpec& spec, NodeCompileContext& context) {
  nodes::CheckLiteralRange(spec, context, "concurrency", 1, 256);
  const SpecValue* body = nodes::FindField(spec.with, "body");
  if (body == nullptr || !body->is_map()) {
    context.Error(body == nullptr ? spec.type_pos : body->pos, "map needs `body`: a pipeline {inputs?, nodes, outputs}");
    return nullptr;
  }
  std::shared_ptr<const CompiledPipeline> compiled = context.CompileBody(*body, {"item", "index"});
  if (compiled == nullptr) return nullptr;
  return std::make_unique<MapNode>(std::move(compiled));
}

}  // namespace

std::unique_ptr<NodeType> NewMapNodeType() {
  NodeTypeInfo info{
      .name = "map",
      .summary = "Runs a nested pipeline once per item (bounded concurrency); results keep item order.",
      .params = {{"items", FieldType::kList, true, false, "", "The list to map over (at most 10000 items)."},
                 {"concurrency", FieldType::kInt, false, false, "4", "Bodies running at once, 1..256."},
                 {"body", FieldType::kMap, true, true, "",
                  "Nested pipeline {nodes, outputs}; its templates see `item`, `index` and the parent's `inputs`."}},
      .outputs = {{"results", FieldType::kList, "Each body's outputs, in item order."},
                  {"count", FieldType::kInt, "Number of items."}}};
  return std::make_unique<nodes::SimpleNodeType>(std::move(info), CompileMap);
}

}  // namespace catena::chains
