#include "tests/chains/test_node_types.h"

#include <utility>

namespace catena::chains::testing {
namespace {

// Finishes with the resolved parameters as the output.
class EchoParams : public NodeImpl {
 public:
  void Start(NodeCall& call) const override { call.Finish(call.params()); }
};

class SimpleType : public NodeType {
 public:
  explicit SimpleType(NodeTypeInfo info) : info_(std::move(info)) {}
  const NodeTypeInfo& info() const override { return info_; }
  std::unique_ptr<NodeImpl> Compile(const NodeSpec& spec, NodeCompileContext& context) const override {
    return std::make_unique<EchoParams>();
  }

 private:
  NodeTypeInfo info_;
};

class RouterType : public SimpleType {
 public:
  RouterType()
      : SimpleType(
            NodeTypeInfo{.name = "t.router",
                         .summary = "chooses the next node",
                         .params = {{.name = "routes", .type = FieldType::kList, .required = true, .lazy = true}},
                         .outputs = {{.name = "next"}}}) {}
  std::unique_ptr<NodeImpl> Compile(const NodeSpec& spec, NodeCompileContext& context) const override {
    std::vector<std::pair<std::string, SourcePos>> targets;
    for (const SpecValue& route : spec.with.Find("routes")->items) {
      const SpecValue* to = route.Find("to");
      if (!route.is_map() || to == nullptr || !to->is_string()) {
        context.Error(route.pos, "each route needs 'to: <node id>'");
        continue;
      }
      if (const SpecValue* when = route.Find("when")) context.Bind(*when);
      targets.emplace_back(to->string_value, to->pos);
    }
    context.DeclareRoutes(targets);
    return std::make_unique<EchoParams>();
  }
};

class CountType : public SimpleType {
 public:
  CountType()
      : SimpleType(NodeTypeInfo{
            .name = "t.count",
            .summary = "runs a body",
            .params = {{.name = "count", .type = FieldType::kInt, .required = true},
                       {.name = "label", .type = FieldType::kString},
                       {.name = "body", .type = FieldType::kMap, .required = true, .lazy = true},
                       {.name = "until", .lazy = true}},
            .outputs = {{.name = "results", .type = FieldType::kList}, {.name = "count", .type = FieldType::kInt}}}) {}
  std::unique_ptr<NodeImpl> Compile(const NodeSpec& spec, NodeCompileContext& context) const override {
    const SpecValue* count = spec.with.Find("count");
    if (count->kind == SpecValue::Kind::kInt && (count->int_value < 1 || count->int_value > 1000)) {
      context.Error(count->pos, "count must be from 1 to 1000");
      return nullptr;
    }
    if (const SpecValue* until = spec.with.Find("until")) context.Bind(*until);
    auto body = context.CompileBody(*spec.with.Find("body"), {"item", "index"});
    if (body == nullptr) return nullptr;
    return std::make_unique<BodyNode>(std::move(body));
  }
};

class AgentType : public SimpleType {
 public:
  AgentType() : SimpleType(NodeTypeInfo{.name = "t.agent", .summary = "not here"}) {}
  std::unique_ptr<NodeImpl> Compile(const NodeSpec& spec, NodeCompileContext& context) const override {
    context.Error(spec.type_pos,
                  "node type 't.agent' is provided by the agents component, which is not part of "
                  "this build yet");
    return nullptr;
  }
};

NodeRegistry* MakeRegistry() {
  auto* registry = new NodeRegistry();
  registry->Add(std::make_unique<SimpleType>(
      NodeTypeInfo{.name = "t.echo",
                   .summary = "repeats its text",
                   .params = {{.name = "text", .type = FieldType::kString, .required = true},
                              {.name = "repeat", .type = FieldType::kInt, .default_text = "1"}},
                   .outputs = {{.name = "text", .type = FieldType::kString}}}));
  registry->Add(std::make_unique<SimpleType>(
      NodeTypeInfo{.name = "t.retrieve",
                   .summary = "searches a collection",
                   .params = {{.name = "collection", .type = FieldType::kString, .required = true},
                              {.name = "query", .type = FieldType::kString, .required = true},
                              {.name = "k", .type = FieldType::kInt, .default_text = "5"},
                              {.name = "filter", .type = FieldType::kString}},
                   .outputs = {{.name = "documents", .type = FieldType::kList},
                               {.name = "scores", .type = FieldType::kList},
                               {.name = "count", .type = FieldType::kInt}}}));
  registry->Add(std::make_unique<RouterType>());
  registry->Add(std::make_unique<SimpleType>(
      NodeTypeInfo{.name = "t.open", .params = {{.name = "source"}}, .open_outputs = true}));
  registry->Add(std::make_unique<SimpleType>(NodeTypeInfo{.name = "t.transform", .open_outputs = true}));
  registry->Add(std::make_unique<CountType>());
  registry->Add(std::make_unique<SimpleType>(NodeTypeInfo{
      .name = "t.chat",
      .params = {{.name = "model", .type = FieldType::kString},
                 {.name = "prompt", .type = FieldType::kString, .required = true},
                 {.name = "temperature", .type = FieldType::kNumber},
                 {.name = "stream", .type = FieldType::kBool},
                 {.name = "stop", .type = FieldType::kList},
                 {.name = "schema", .type = FieldType::kMap}},
      .outputs = {{.name = "text", .type = FieldType::kString}, {.name = "usage", .type = FieldType::kMap}}}));
  registry->Add(std::make_unique<AgentType>());
  return registry;
}

}  // namespace

const NodeRegistry& TestRegistry() {
  static const NodeRegistry* registry = MakeRegistry();
  return *registry;
}

}  // namespace catena::chains::testing
