#include <catch2/catch.hpp>

#include "chains/pipeline_spec.h"
#include "chains/spec_messages.h"

namespace catena::chains {
namespace {

std::string Problems(const ProblemList& problems) {
  std::string out;
  for (const Problem& problem : problems.Sorted()) out += FormatProblem(problem) + "\n";
  return out;
}

SpecValue Text(std::string text) {
  SpecValue value;
  value.kind = SpecValue::Kind::kString;
  value.string_value = std::move(text);
  return value;
}

SpecValue Number(double number) {
  SpecValue value;
  value.kind = SpecValue::Kind::kFloat;
  value.float_value = number;
  return value;
}

TEST_CASE("a minimal pipeline parses with its nodes in file order and their positions", "[unit]") {
  ProblemList problems("p.yaml");
  PipelineSpec spec = ParsePipelineSpec(R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: bank-1.0, description: "Answers"}
nodes:
  second:
    type: t.echo
    with: {text: hi}
  first:
    type:   t.echo
)",
                                        problems);
  INFO(Problems(problems));
  REQUIRE(problems.empty());
  CHECK(spec.api_version == "catena/v1");
  CHECK(spec.name == "bank-1.0");
  CHECK(spec.description == "Answers");
  REQUIRE(spec.nodes.size() == 2);
  CHECK(spec.nodes[0].id == "second");
  CHECK(spec.nodes[1].id == "first");
  CHECK(spec.nodes[0].pos.line == 5);
  CHECK(spec.nodes[0].pos.column == 3);
  CHECK(spec.nodes[1].type_pos.line == 9);
  CHECK(spec.nodes[1].type_pos.column == 13);
  REQUIRE(spec.nodes[0].with.Find("text") != nullptr);
  CHECK(spec.nodes[0].with.Find("text")->string_value == "hi");
  CHECK(spec.nodes[0].with.Find("text")->pos.column == 18);
  CHECK(spec.nodes[1].with.is_map());
  CHECK(spec.nodes[1].with.fields.empty());
}

TEST_CASE("plain scalars get their types while quoted ones stay strings", "[unit]") {
  ProblemList problems("p.yaml");
  PipelineSpec spec = ParsePipelineSpec(R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: p}
nodes:
  a:
    type: t.echo
    with: {i: 5, s: "5", f: 2.5, b: true, n: ~, q: 'true', h: 0x1f, e: 1e3, y: yes, neg: -7, o: 0o17, m: .5}
)",
                                        problems);
  REQUIRE(problems.empty());
  const SpecValue& with = spec.nodes[0].with;
  CHECK(with.Find("i")->kind == SpecValue::Kind::kInt);
  CHECK(with.Find("i")->int_value == 5);
  CHECK(with.Find("s")->kind == SpecValue::Kind::kString);
  CHECK(with.Find("s")->string_value == "5");
  CHECK(with.Find("f")->float_value == 2.5);
  CHECK(with.Find("b")->kind == SpecValue::Kind::kBool);
  CHECK(with.Find("b")->bool_value);
  CHECK(with.Find("n")->kind == SpecValue::Kind::kNull);
  CHECK(with.Find("q")->kind == SpecValue::Kind::kString);
  CHECK(with.Find("h")->int_value == 31);
  CHECK(with.Find("e")->kind == SpecValue::Kind::kFloat);
  CHECK(with.Find("e")->float_value == 1000.0);
  CHECK(with.Find("y")->kind == SpecValue::Kind::kString);
  CHECK(with.Find("neg")->int_value == -7);
  CHECK(with.Find("o")->int_value == 15);
  CHECK(with.Find("m")->float_value == 0.5);
  CHECK(with.Find("nothing") == nullptr);
  CHECK(with.KindName() == "mapping");
}

TEST_CASE("durations read milliseconds, seconds, minutes, hours and bare seconds", "[unit]") {
  CHECK(ParseDuration(Text("250ms")) == absl::Milliseconds(250));
  CHECK(ParseDuration(Text("5s")) == absl::Seconds(5));
  CHECK(ParseDuration(Text("2m")) == absl::Minutes(2));
  CHECK(ParseDuration(Text("1h")) == absl::Hours(1));
  CHECK(ParseDuration(Text("1.5s")) == absl::Milliseconds(1500));
  CHECK(ParseDuration(Text("30")) == absl::Seconds(30));
  CHECK(ParseDuration(Number(0.25)) == absl::Milliseconds(250));
  SpecValue seven;
  seven.kind = SpecValue::Kind::kInt;
  seven.int_value = 7;
  CHECK(ParseDuration(seven) == absl::Seconds(7));
}

TEST_CASE("malformed durations are rejected", "[unit]") {
  for (const char* text : {"fast", "5 sec", "-1s", "1.2.3s", "s", "", "5d", "ms5"}) {
    INFO(text);
    CHECK_FALSE(ParseDuration(Text(text)).has_value());
  }
  CHECK_FALSE(ParseDuration(Number(-1)).has_value());
  SpecValue list;
  list.kind = SpecValue::Kind::kList;
  CHECK_FALSE(ParseDuration(list).has_value());
}

TEST_CASE("node keys become the node's policy, needs and guard", "[unit]") {
  ProblemList problems("p.yaml");
  PipelineSpec spec = ParsePipelineSpec(R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: p}
nodes:
  a:
    type: t.echo
    needs: b
    when: "{{ inputs.k > 0 }}"
    join: any
    timeout: 1500ms
    retry: {attempts: 3, backoff: 2s}
    fallback: b
    cache: {ttl: 2m}
    description: the first
  b:
    type: t.echo
    needs: [a, c]
)",
                                        problems);
  INFO(Problems(problems));
  REQUIRE(problems.empty());
  const NodeSpec& a = spec.nodes[0];
  CHECK(a.needs == std::vector<std::string>{"b"});
  REQUIRE(a.when.has_value());
  CHECK(a.when->string_value == "{{ inputs.k > 0 }}");
  CHECK(a.policy.join_any);
  CHECK(a.policy.timeout == absl::Milliseconds(1500));
  CHECK(a.policy.retries == 2);
  CHECK(a.policy.retry_backoff == absl::Seconds(2));
  CHECK(a.policy.fallback == "b");
  CHECK(a.policy.cache_ttl == absl::Minutes(2));
  CHECK(a.description == "the first");
  const NodeSpec& b = spec.nodes[1];
  CHECK(b.needs == std::vector<std::string>{"a", "c"});
  CHECK_FALSE(b.policy.join_any);
  CHECK_FALSE(b.policy.timeout.has_value());
  CHECK(b.policy.retries == 0);
}

TEST_CASE("inputs take a type shorthand or a full spec, and outputs keep their values", "[unit]") {
  ProblemList problems("p.yaml");
  PipelineSpec spec = ParsePipelineSpec(R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: p}
inputs:
  question: string
  k: {type: int, default: 5, description: how many}
  strict: {type: bool, required: true}
  anything:
nodes:
  a: {type: t.echo}
outputs:
  answer: "{{ nodes.a.text }}"
  fixed: 3
)",
                                        problems);
  INFO(Problems(problems));
  REQUIRE(problems.empty());
  REQUIRE(spec.inputs.size() == 4);
  CHECK(spec.inputs[0].name == "question");
  CHECK(spec.inputs[0].type == FieldType::kString);
  CHECK_FALSE(spec.inputs[0].required);
  CHECK(spec.inputs[1].type == FieldType::kInt);
  REQUIRE(spec.inputs[1].default_value.has_value());
  CHECK(spec.inputs[1].default_value->int_value == 5);
  CHECK(spec.inputs[1].description == "how many");
  CHECK(spec.inputs[2].required);
  CHECK(spec.inputs[3].type == FieldType::kAny);
  CHECK(spec.inputs[1].pos.line == 6);
  REQUIRE(spec.outputs.size() == 2);
  CHECK(spec.outputs[0].name == "answer");
  CHECK(spec.outputs[0].value.string_value == "{{ nodes.a.text }}");
  CHECK(spec.outputs[1].value.int_value == 3);
  CHECK_FALSE(spec.tests.has_value());
}

TEST_CASE("the tests key is kept for the pipeline test runner", "[unit]") {
  ProblemList problems("p.yaml");
  PipelineSpec spec = ParsePipelineSpec(R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: p}
nodes:
  a: {type: t.echo}
tests:
  cases: [{name: one, inputs: {q: x}}]
)",
                                        problems);
  REQUIRE(problems.empty());
  REQUIRE(spec.tests.has_value());
  const SpecValue* cases = spec.tests->Find("cases");
  REQUIRE(cases != nullptr);
  REQUIRE(cases->items.size() == 1);
  CHECK(cases->items[0].Find("name")->string_value == "one");
}

TEST_CASE("duplicate node ids name the line of the first one", "[unit]") {
  ProblemList problems("dup.yaml");
  PipelineSpec spec = ParsePipelineSpec(R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: p}
nodes:
  a: {type: t.echo}
  b: {type: t.echo}
  a: {type: t.open}
)",
                                        problems);
  CHECK(Problems(problems) == "dup.yaml:7:3: duplicate node id 'a' (first at line 5)\n");
  REQUIRE(spec.nodes.size() == 2);
  CHECK(spec.nodes[0].type == "t.echo");
}

TEST_CASE("YAML syntax errors are problems at their position, never exceptions", "[unit]") {
  ProblemList problems("bad.yaml");
  ParsePipelineSpec("apiVersion: catena/v1\nnodes: [a, b\nkind: x\n", problems);
  CHECK(Problems(problems) == "bad.yaml:3:5: syntax error: end of sequence flow not found\n");
  ProblemList empty("empty.yaml");
  ParsePipelineSpec("", empty);
  CHECK(Problems(empty) ==
        "empty.yaml:1:1: the file is empty; a pipeline needs apiVersion, kind, metadata and nodes\n");
  ProblemList list("list.yaml");
  ParsePipelineSpec("- a\n- b\n", list);
  CHECK(Problems(list) ==
        "list.yaml:1:1: a pipeline file must be a mapping with apiVersion, kind, metadata and "
        "nodes, not a list\n");
}

TEST_CASE("JSON pipeline files parse like YAML", "[unit]") {
  ProblemList problems("p.json");
  PipelineSpec spec = ParsePipelineSpec(
      R"({"apiVersion": "catena/v1", "kind": "Pipeline", "metadata": {"name": "p"},
 "nodes": {"a": {"type": "t.echo", "with": {"text": "5", "k": 5}}}})",
      problems);
  INFO(Problems(problems));
  REQUIRE(problems.empty());
  REQUIRE(spec.nodes.size() == 1);
  CHECK(spec.nodes[0].with.Find("text")->kind == SpecValue::Kind::kString);
  CHECK(spec.nodes[0].with.Find("k")->kind == SpecValue::Kind::kInt);
  CHECK(spec.nodes[0].pos.line == 2);
}

TEST_CASE("nested bodies parse with problems naming the owner and the child", "[unit]") {
  ProblemList outer("p.yaml");
  PipelineSpec spec = ParsePipelineSpec(R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: p}
nodes:
  each:
    type: t.count
    with:
      body:
        nodes:
          inner: {type: t.echo, tiemout: 5s}
        outptus: {}
)",
                                        outer);
  REQUIRE(outer.empty());
  const SpecValue& body = *spec.nodes[0].with.Find("body");
  ProblemList problems("p.yaml");
  PipelineSpec nested = ParseNestedSpec(body, "each", problems);
  CHECK(Problems(problems) ==
        "p.yaml:10:33: node 'each/inner': unknown key 'tiemout' (did you mean 'timeout'?)\n"
        "p.yaml:11:9: node 'each': unknown key 'outptus' in body (did you mean 'outputs'?)\n");
  REQUIRE(nested.nodes.size() == 1);
  CHECK(nested.nodes[0].id == "inner");
  CHECK(nested.name == "each");
}

TEST_CASE("field type names are the words written in files", "[unit]") {
  CHECK(FieldTypeName(FieldType::kString) == "string");
  CHECK(FieldTypeName(FieldType::kInt) == "int");
  CHECK(FieldTypeName(FieldType::kNumber) == "number");
  CHECK(FieldTypeName(FieldType::kBool) == "bool");
  CHECK(FieldTypeName(FieldType::kList) == "list");
  CHECK(FieldTypeName(FieldType::kMap) == "map");
  CHECK(FieldTypeName(FieldType::kAny) == "any");
}

TEST_CASE("suggestions come only for names close to what was written", "[unit]") {
  CHECK(EditDistance("colection", "collection") == 1);
  CHECK(EditDistance("nodse", "nodes") == 1);
  CHECK(EditDistance("abc", "abc") == 0);
  CHECK(EditDistance("", "abc") == 3);
  CHECK(ClosestName("colection", {"query", "collection", "k"}) == "collection");
  CHECK(ClosestName("Type", {"type", "with"}) == "type");
  CHECK(ClosestName("x", {"query", "collection"}).empty());
  CHECK(ClosestName("banana", {"query", "collection"}).empty());
  CHECK(DidYouMean("wiht", {"with"}) == " (did you mean 'with'?)");
  CHECK(JoinOr({"a", "b", "c"}) == "a, b or c");
}

}  // namespace
}  // namespace catena::chains
