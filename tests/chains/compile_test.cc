#include <catch2/catch.hpp>

#include "chains/chat_model.h"
#include "chains/compiled_pipeline.h"
#include "tests/chains/test_node_types.h"

namespace catena::chains {
namespace {

using testing::TestRegistry;

constexpr char kHeader[] = "apiVersion: catena/v1\nkind: Pipeline\nmetadata: {name: p}\n";

std::shared_ptr<const CompiledPipeline> Compile(const std::string& body) {
  CompileOptions options;
  options.registry = &TestRegistry();
  auto compiled = CompilePipeline(kHeader + body, options);
  INFO(compiled.status().message());
  REQUIRE(compiled.ok());
  return *compiled;
}

std::string Errors(const std::string& body, const ChatModel* models = nullptr) {
  CompileOptions options;
  options.file = "p.yaml";
  options.registry = &TestRegistry();
  options.models = models;
  auto compiled = CompilePipeline(kHeader + body, options);
  return compiled.ok() ? "" : std::string(compiled.status().message());
}

std::vector<std::string> Ids(const CompiledPipeline& pipeline, const std::vector<int>& indices) {
  std::vector<std::string> ids;
  for (int index : indices) ids.push_back(pipeline.nodes[index].id);
  return ids;
}

std::vector<std::string> Order(const CompiledPipeline& pipeline) {
  std::vector<std::string> ids;
  for (const CompiledNode& node : pipeline.nodes) ids.push_back(node.id);
  return ids;
}

const CompiledNode& Node(const CompiledPipeline& pipeline, std::string_view id) {
  const int index = pipeline.FindNode(id);
  REQUIRE(index >= 0);
  return pipeline.nodes[index];
}

TEST_CASE("template references become dependency edges in both directions", "[unit]") {
  auto pipeline = Compile(R"(inputs: {question: string}
nodes:
  answer: {type: t.echo, with: {text: "{{ nodes.search.documents | length }} for {{ inputs.question }}"}}
  search: {type: t.retrieve, with: {collection: kb, query: "{{ inputs.question }}"}}
outputs:
  answer: "{{ nodes.answer.text }}"
)");
  CHECK(Order(*pipeline) == std::vector<std::string>{"search", "answer"});
  CHECK(Ids(*pipeline, Node(*pipeline, "answer").dependencies) == std::vector<std::string>{"search"});
  CHECK(Ids(*pipeline, Node(*pipeline, "search").dependents) == std::vector<std::string>{"answer"});
  CHECK(Node(*pipeline, "search").dependencies.empty());
  CHECK(Node(*pipeline, "search").node_type == TestRegistry().Find("t.retrieve"));
  CHECK(Node(*pipeline, "search").impl != nullptr);
  CHECK(pipeline->FindNode("nothing") == -1);
  REQUIRE(pipeline->outputs.size() == 1);
  CHECK(pipeline->outputs[0].first == "answer");
  REQUIRE(pipeline->outputs[0].second.references().size() == 1);
  CHECK(pipeline->outputs[0].second.references()[0].name == "answer");
}

TEST_CASE("pipeline globals are accepted as template names, unknown names are not", "[unit]") {
  CHECK(Errors("inputs: {q: string}\nnodes:\n  a: {type: t.echo, with: {text: \"{{ detect_language(inputs.q) }}\"}}\n")
            .empty());
  CHECK_THAT(Errors("inputs: {q: string}\nnodes:\n  a: {type: t.echo, with: {text: \"{{ detect_lang(inputs.q) }}\"}}\n"),
             Catch::Contains("unknown name 'detect_lang'"));
}

TEST_CASE("the topological order keeps file order among nodes ready together", "[unit]") {
  auto pipeline = Compile(R"(nodes:
  c: {type: t.echo, with: {text: c}}
  a: {type: t.echo, with: {text: "{{ nodes.b.text }}"}}
  b: {type: t.echo, with: {text: b}}
  d: {type: t.echo, with: {text: d}, needs: [a]}
  e: {type: t.echo, with: {text: "{{ nodes.c.text }}"}}
)");
  CHECK(Order(*pipeline) == std::vector<std::string>{"c", "b", "a", "d", "e"});
  CHECK(Ids(*pipeline, Node(*pipeline, "d").dependencies) == std::vector<std::string>{"a"});
  CHECK(Ids(*pipeline, Node(*pipeline, "c").dependents) == std::vector<std::string>{"e"});
}

TEST_CASE("parameters are bound except lazy ones, and when guards add dependencies", "[unit]") {
  auto pipeline = Compile(R"(inputs: {k: int}
nodes:
  flag: {type: t.open, with: {source: 1}}
  run:
    type: t.retrieve
    with: {collection: kb, query: "q", k: "{{ inputs.k }}"}
    when: "{{ nodes.flag.enabled }}"
)");
  const CompiledNode& run = Node(*pipeline, "run");
  REQUIRE(run.params.size() == 3);
  CHECK(run.params[0].first == "collection");
  CHECK(run.params[2].first == "k");
  CHECK(run.params[0].second.is_literal());
  CHECK_FALSE(run.params[2].second.is_literal());
  REQUIRE(run.when.has_value());
  CHECK(Ids(*pipeline, run.dependencies) == std::vector<std::string>{"flag"});
  auto value = run.params[2].second.Evaluate(tmpl::Value::FromJson(nlohmann::json::parse(R"({"inputs": {"k": 4}})")));
  REQUIRE(value.ok());
  CHECK(value->int_value() == 4);
}

TEST_CASE("routers gate their targets and their conditions' references are dependencies", "[unit]") {
  auto pipeline = Compile(R"(nodes:
  classify: {type: t.echo, with: {text: x}}
  route:
    type: t.router
    with:
      routes:
        - {when: "{{ nodes.classify.text == 'refund' }}", to: refund}
        - {to: answer}
  refund: {type: t.echo, with: {text: r}}
  answer: {type: t.echo, with: {text: a}}
)");
  const CompiledNode& route = Node(*pipeline, "route");
  CHECK(route.params.empty());
  CHECK(Ids(*pipeline, route.dependencies) == std::vector<std::string>{"classify"});
  CHECK(Ids(*pipeline, route.route_targets) == std::vector<std::string>{"refund", "answer"});
  CHECK(Ids(*pipeline, Node(*pipeline, "refund").gated_by) == std::vector<std::string>{"route"});
  CHECK(Ids(*pipeline, Node(*pipeline, "answer").dependencies) == std::vector<std::string>{"route"});
  CHECK(Node(*pipeline, "classify").gated_by.empty());
}

TEST_CASE("a fallback links the failing node to the node that stands in for it", "[unit]") {
  auto pipeline = Compile(R"(nodes:
  primary: {type: t.echo, with: {text: p}, fallback: backup, retry: {attempts: 2}}
  backup: {type: t.echo, with: {text: b}}
  after: {type: t.echo, with: {text: "{{ nodes.primary.text }}"}}
)");
  const CompiledNode& primary = Node(*pipeline, "primary");
  REQUIRE(primary.fallback >= 0);
  CHECK(pipeline->nodes[primary.fallback].id == "backup");
  CHECK(pipeline->nodes[primary.fallback].is_fallback);
  CHECK_FALSE(primary.is_fallback);
  CHECK(primary.policy.retries == 1);
  CHECK(Node(*pipeline, "after").fallback == -1);
}

TEST_CASE("the version is the SHA-256 of the source", "[unit]") {
  CHECK(ContentHash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(ContentHash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string body = "nodes:\n  a: {type: t.echo, with: {text: x}}\n";
  auto pipeline = Compile(body);
  CHECK(pipeline->version == ContentHash(kHeader + body));
  CHECK(pipeline->source == kHeader + body);
  CHECK(pipeline->spec.name == "p");
}

TEST_CASE("bodies compile as nested pipelines that may use item and index", "[unit]") {
  auto pipeline = Compile(R"(inputs: {items: list}
nodes:
  each:
    type: t.count
    with:
      count: 3
      body:
        nodes:
          one: {type: t.echo, with: {text: "{{ item }} at {{ index }}"}}
          two: {type: t.echo, with: {text: "{{ nodes.one.text }}"}}
        outputs: {text: "{{ nodes.two.text }}"}
)");
  const CompiledNode& each = Node(*pipeline, "each");
  CHECK(each.params.size() == 1);
  const auto* impl = dynamic_cast<const testing::BodyNode*>(each.impl.get());
  REQUIRE(impl != nullptr);
  const CompiledPipeline& body = impl->body();
  CHECK(body.extra_roots == std::vector<std::string>{"item", "index"});
  CHECK(Order(body) == std::vector<std::string>{"one", "two"});
  CHECK(Ids(body, Node(body, "two").dependencies) == std::vector<std::string>{"one"});
  REQUIRE(body.outputs.size() == 1);
  CHECK(body.outputs[0].first == "text");
  CHECK(body.version.size() == 64);
  CHECK(body.version != pipeline->version);
  CHECK(body.spec.nodes.size() == 2);
  CHECK(Errors(R"(nodes:
  each:
    type: t.count
    with:
      count: 3
      body:
        nodes:
          one: {type: t.echo, with: {text: "{{ loop.iteration }} {{ nodes.outer.text }}"}}
  outer: {type: t.echo, with: {text: o}}
)") == "p.yaml:11:44: node 'each/one': unknown name 'loop'; templates can use inputs, nodes, item, index\n"
       "p.yaml:11:44: node 'each/one': unknown node 'outer'; a body sees only its own nodes");
}

TEST_CASE("all problems come back at once, sorted, also as a list", "[unit]") {
  CompileOptions options;
  options.file = "p.yaml";
  options.registry = &TestRegistry();
  std::vector<Problem> problems;
  auto compiled = CompilePipeline(std::string(kHeader) + R"(nodes:
  b: {type: t.echo, with: {text: "{{ nodes.zz.text }}"}}
  a: {type: t.nope}
)",
                                  options, &problems);
  REQUIRE_FALSE(compiled.ok());
  CHECK(compiled.status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(problems.size() == 2);
  CHECK(problems[0].line == 5);
  CHECK(problems[0].node == "b");
  CHECK(problems[0].message == "unknown node 'zz'");
  CHECK(problems[1].line == 6);
  CHECK(problems[1].message == "unknown node type 't.nope' (did you mean 't.open'?)");
  CHECK(std::string(compiled.status().message()) ==
        "p.yaml:5:34: node 'b': unknown node 'zz'\np.yaml:6:13: node 'a': unknown node type 't.nope' (did you mean "
        "'t.open'?)");
}

class FakeModels : public ChatModel {
 public:
  std::unique_ptr<ChatCancel> Chat(ChatRequest, std::function<void(std::string_view)>,
                                   std::function<void(absl::StatusOr<ChatResult>)> on_done) override {
    on_done(absl::UnimplementedError("not here"));
    return nullptr;
  }
  bool HasModel(std::string_view model) const override { return model == "test"; }
};

TEST_CASE("models a known provider does not serve are problems", "[unit]") {
  FakeModels models;
  const std::string body = R"(nodes:
  a: {type: t.chat, with: {model: test, prompt: hi}}
  b: {type: t.chat, with: {model: gpt-9, prompt: hi}}
  c: {type: t.chat, with: {model: "{{ 'x' }}", prompt: hi}}
)";
  CHECK(Errors(body, &models) == "p.yaml:6:35: node 'b': unknown model 'gpt-9'");
  CHECK(Errors(body).empty());
}

TEST_CASE("open types take any parameter and any output field", "[unit]") {
  auto pipeline = Compile(R"(nodes:
  shape: {type: t.transform, with: {title: "x", total: 3}}
  use: {type: t.echo, with: {text: "{{ nodes.shape.title }} {{ nodes.shape.whatever }}"}}
)");
  CHECK(Node(*pipeline, "shape").params.size() == 2);
  CHECK(Ids(*pipeline, Node(*pipeline, "use").dependencies) == std::vector<std::string>{"shape"});
}

}  // namespace
}  // namespace catena::chains

namespace catena::chains {
namespace {

class NamedType : public NodeType {
 public:
  NamedType(std::string name, std::string summary) : info_{.name = std::move(name), .summary = std::move(summary)} {}
  const NodeTypeInfo& info() const override { return info_; }
  std::unique_ptr<NodeImpl> Compile(const NodeSpec&, NodeCompileContext&) const override { return nullptr; }

 private:
  NodeTypeInfo info_;
};

TEST_CASE("the registry finds types by name, lists them sorted and replaces on re-adding", "[unit]") {
  NodeRegistry registry;
  registry.Add(std::make_unique<NamedType>("zeta", "first"));
  registry.Add(std::make_unique<NamedType>("alpha", "second"));
  registry.Add(std::make_unique<NamedType>("zeta", "third"));
  REQUIRE(registry.Find("zeta") != nullptr);
  CHECK(registry.Find("zeta")->info().summary == "third");
  CHECK(registry.Find("beta") == nullptr);
  const std::vector<const NodeType*> all = registry.All();
  REQUIRE(all.size() == 2);
  CHECK(all[0]->info().name == "alpha");
  CHECK(all[1]->info().name == "zeta");
}

TEST_CASE("a type that rejects a node without saying why still fails the compile", "[unit]") {
  NodeRegistry registry;
  registry.Add(std::make_unique<NamedType>("silent", ""));
  CompileOptions options;
  options.file = "p.yaml";
  options.registry = &registry;
  auto compiled = CompilePipeline(std::string(kHeader) + "nodes:\n  a: {type: silent}\n", options);
  REQUIRE_FALSE(compiled.ok());
  CHECK(std::string(compiled.status().message()) == "p.yaml:5:3: node 'a': type 'silent' rejected this node");
}

}  // namespace
}  // namespace catena::chains

namespace catena::chains {
namespace {

TEST_CASE("a long chain written backwards compiles in dependency order", "[unit]") {
  constexpr int kNodes = 2000;
  std::string body = "nodes:\n";
  for (int i = 0; i < kNodes; ++i) {
    const std::string next = i + 1 < kNodes ? "{{ nodes.n" + std::to_string(i + 1) + ".text }}" : "end";
    body += "  n" + std::to_string(i) + ": {type: t.echo, with: {text: \"" + next + "\"}}\n";
  }
  auto pipeline = Compile(body);
  REQUIRE(pipeline->nodes.size() == kNodes);
  CHECK(pipeline->nodes.front().id == "n1999");
  CHECK(pipeline->nodes.back().id == "n0");
  for (int i = 1; i < kNodes; ++i) {
    REQUIRE(pipeline->nodes[i].dependencies == std::vector<int>{i - 1});
  }
}

}  // namespace
}  // namespace catena::chains
