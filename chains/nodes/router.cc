// router: `routes` is a list of {when?, to}; the first route whose `when` is true (or that has none) is chosen.
// Its output {next: "<id>"} tells the executor which target runs; the other targets are skipped. When no route
// matches, next is an empty list and every target is skipped.
#include "absl/strings/str_cat.h"
#include "chains/nodes/node_types.h"
#include "chains/nodes/node_util.h"

namespace catena::chains {
namespace {

struct Route {
  std::optional<Binding> when;
  std::string to;
};

class RouterNode final : public NodeImpl {
 public:
  explicit RouterNode(std::vector<Route> routes) : routes_(std::move(routes)) {}

  void Start(NodeCall& call) const override {
    for (size_t i = 0; i < routes_.size(); ++i) {
      bool chosen = true;
      if (routes_[i].when.has_value()) {
        absl::StatusOr<tmpl::Value> value = routes_[i].when->Evaluate(call.context());
        if (!value.ok()) return call.Finish(absl::Status(value.status().code(),
                                                         absl::StrCat("routes[", i, "].when: ", value.status().message())));
        chosen = tmpl::Truthy(*value);
      }
      if (chosen) return call.Finish(nodes::MakeDict({{"next", routes_[i].to}}));
    }
    call.Finish(nodes::MakeDict({{"next", tmpl::Value::List()}}));
  }

 private:
  std::vector<Route> routes_;
};

std::optional<Route> CompileRoute(const SpecValue& item, size_t index, NodeCompileContext& context,
                                  std::vector<std::pair<std::string, SourcePos>>& targets) {
  const std::string where = absl::StrCat("routes[", index, "]");
  if (!item.is_map()) {
    context.Error(item.pos, where + " must be a mapping {when, to}");
    return std::nullopt;
  }
  Route route;
  bool ok = true;
  for (const auto& [key, value] : item.fields) {
    if (key == "when") {
      route.when = context.Bind(value);
    } else if (key == "to") {
      if (!nodes::IsLiteralString(value) || value.string_value.empty()) {
        context.Error(value.pos, where + ".to must name a node (a plain string, not a template)");
        ok = false;
      } else {
        route.to = value.string_value;
        targets.emplace_back(route.to, value.pos);
      }
    } else {
      context.Error(value.key_pos, absl::StrCat(where, " has unknown key '", key, "' (expected when, to)"));
      ok = false;
    }
  }
  if (nodes::FindField(item, "to") == nullptr) {
    context.Error(item.pos, where + " needs `to` (the node it chooses)");
    ok = false;
  }
  return ok ? std::optional<Route>(std::move(route)) : std::nullopt;
}

std::unique_ptr<NodeImpl> CompileRouter(const NodeSpec& spec, NodeCompileContext& context) {
  const SpecValue* routes = nodes::FindField(spec.with, "routes");
  if (routes == nullptr || !routes->is_list() || routes->items.empty()) {
    context.Error(routes == nullptr ? spec.type_pos : routes->pos,
                  "router needs `routes`: a non-empty list of {when, to}");
    return nullptr;
  }
  std::vector<Route> compiled;
  std::vector<std::pair<std::string, SourcePos>> targets;
  bool ok = true;
  for (size_t i = 0; i < routes->items.size(); ++i) {
    std::optional<Route> route = CompileRoute(routes->items[i], i, context, targets);
    ok = ok && route.has_value();
    if (route.has_value()) compiled.push_back(std::move(*route));
  }
  context.DeclareRoutes(targets);
  if (!ok) return nullptr;
  return std::make_unique<RouterNode>(std::move(compiled));
}

}  // namespace

std::unique_ptr<NodeType> NewRouterNodeType() {
  NodeTypeInfo info{
      .name = "router",
      .summary = "Chooses the next node: the first route whose `when` holds; the other targets are skipped.",
      .params = {{"routes", FieldType::kList, true, true, "",
                  "[{when: \"{{ condition }}\", to: node_id}, ..., {to: default_id}]; a route without `when` "
                  "always matches."}},
      .outputs = {{"next", FieldType::kAny, "The chosen node id (an empty list when no route matched)."}}};
  return std::make_unique<nodes::SimpleNodeType>(std::move(info), CompileRouter);
}

}  // namespace catena::chains
