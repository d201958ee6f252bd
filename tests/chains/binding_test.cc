#include "chains/binding.h"

#include <catch2/catch.hpp>

namespace catena::chains {
namespace {

SpecValue Text(std::string text, int line = 3, int column = 7) {
  SpecValue value;
  value.kind = SpecValue::Kind::kString;
  value.string_value = std::move(text);
  value.pos = {line, column};
  return value;
}

tmpl::Value Context() {
  return tmpl::Value::FromJson(nlohmann::json::parse(
      R"({"inputs": {"question": "Where?", "k": 3}, "nodes": {"search": {"documents": [{"id": "a"}, {"id": "b"}]}}})"));
}

TEST_CASE("a lone expression keeps the type of its value", "[unit]") {
  ProblemList problems("p.yaml");
  Binding binding = Binding::Compile(Text("{{ nodes.search.documents }}"), "n", problems);
  REQUIRE(problems.empty());
  auto value = binding.Evaluate(Context());
  REQUIRE(value.ok());
  REQUIRE(value->is_list());
  CHECK(value->list().items.size() == 2);
  CHECK_FALSE(binding.is_literal());
  REQUIRE(binding.references().size() == 1);
  CHECK(binding.references()[0].root == "nodes");
  CHECK(binding.references()[0].name == "search");
  CHECK(binding.references()[0].field == "documents");
}

TEST_CASE("text mixed with expressions renders to a string", "[unit]") {
  ProblemList problems("p.yaml");
  Binding binding = Binding::Compile(Text("Q: {{ inputs.question }} (k={{ inputs.k }})"), "n", problems);
  auto value = binding.Evaluate(Context());
  REQUIRE(value.ok());
  CHECK(value->string_value() == "Q: Where? (k=3)");
  REQUIRE(binding.references().size() == 2);
  CHECK(binding.references()[1].name == "k");
}

TEST_CASE("mappings and lists bind element-wise and loop variables are not references", "[unit]") {
  SpecValue map;
  map.kind = SpecValue::Kind::kMap;
  map.fields.emplace_back("ids", Text("{% for d in nodes.search.documents %}{{ d.id }}{% endfor %}"));
  SpecValue number;
  number.kind = SpecValue::Kind::kInt;
  number.int_value = 5;
  map.fields.emplace_back("k", number);
  ProblemList problems("p.yaml");
  Binding binding = Binding::Compile(map, "n", problems);
  auto value = binding.Evaluate(Context());
  REQUIRE(value.ok());
  CHECK(value->map().Find("ids")->string_value() == "ab");
  CHECK(value->map().Find("k")->int_value() == 5);
  REQUIRE(binding.references().size() == 1);
  CHECK(binding.references()[0].field == "documents");
}

std::string Render(const std::string& text) {
  ProblemList problems("p.yaml");
  Binding binding = Binding::Compile(Text(text), "n", problems);
  REQUIRE(problems.empty());
  auto value = binding.Evaluate(Context());
  if (!value.ok()) return "error: " + std::string(value.status().message());
  return value->is_string() ? value->string_value() : "not a string";
}

TEST_CASE("detect_language tells French from English by stop words, with a default for neither", "[unit]") {
  CHECK(Render("{{ detect_language('Comment faire opposition sur ma carte ?') }}") == "fr");
  CHECK(Render("{{ detect_language('How do I block my card?') }}") == "en");
  CHECK(Render("{{ detect_language('IBAN FR76 3000') }}") == "en");
  CHECK(Render("{{ detect_language('IBAN FR76 3000', 'fr') }}") == "fr");
  CHECK(Render("{{ detect_language(text='Où est mon agence ?', default='en') }}") == "fr");
  CHECK(Render("{{ detect_language(inputs.question ~ ' la carte de la banque') }}") == "fr");
  CHECK(Render("{{ detect_language(3) }}").starts_with("error: "));
  CHECK_THAT(Render("{{ detect_language('a', bogus=1) }}"), Catch::Contains("detect_language() takes"));
  // The global's name is a reference like any other; the compiler accepts it (compile_test).
  ProblemList problems("p.yaml");
  Binding binding = Binding::Compile(Text("{{ detect_language(inputs.question) }}"), "n", problems);
  REQUIRE(binding.references().size() == 2);
  CHECK(binding.references()[0].root == "detect_language");
}

TEST_CASE("template syntax errors are problems at the string's position", "[unit]") {
  ProblemList problems("p.yaml");
  Binding::Compile(Text("{{ inputs.question | nosuchfilter }}", 9, 12), "answer", problems);
  REQUIRE(problems.problems().size() == 1);
  const std::string formatted = FormatProblem(problems.problems()[0]);
  CHECK(formatted.rfind("p.yaml:9:12: node 'answer': bad template: ", 0) == 0);
  CHECK(formatted.find("nosuchfilter") != std::string::npos);
}

}  // namespace
}  // namespace catena::chains
