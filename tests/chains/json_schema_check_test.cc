// JSON extraction from model replies, the JSON-Schema subset check and minimal instances.
#include "chains/json_schema_check.h"

#include <catch2/catch.hpp>

namespace catena::chains {
namespace {

using Json = nlohmann::ordered_json;

std::string Problem(const char* schema, const char* value) {
  absl::Status status = CheckJsonSchema(Json::parse(schema), Json::parse(value));
  return status.ok() ? "ok" : std::string(status.message());
}

TEST_CASE("ExtractJson finds the value in plain, fenced and chatty replies", "[unit]") {
  CHECK(*ExtractJson(R"( {"a": 1} )") == Json::parse(R"({"a": 1})"));
  CHECK(*ExtractJson("Here you go:\n```json\n[1, 2]\n```\nBye") == Json::parse("[1, 2]"));
  CHECK(*ExtractJson(R"(The answer is {"ok": true, "n": {"x": []}} as requested.)") ==
        Json::parse(R"({"ok": true, "n": {"x": []}})"));
  CHECK(*ExtractJson("42") == Json(42));
  auto bad = ExtractJson("{\"a\": ");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(std::string(bad.status().message()), Catch::StartsWith("the text is not JSON: "));
}

TEST_CASE("CheckJsonSchema names the first failing place", "[unit]") {
  const char* schema = R"({"type": "object", "required": ["id", "items"], "additionalProperties": false,
      "properties": {"id": {"type": "integer", "minimum": 1}, "kind": {"enum": ["a", "b"]},
                     "items": {"type": "array", "maxItems": 2, "items": {"type": "string", "maxLength": 3}}}})";
  CHECK(Problem(schema, R"({"id": 1, "items": ["abc"], "kind": "a"})") == "ok");
  CHECK(Problem(schema, R"({"id": 1.0, "items": []})") == "ok");
  CHECK(Problem(schema, R"({"items": []})") == "$: missing required property 'id'");
  CHECK(Problem(schema, R"({"id": "1", "items": []})") == "$.id: expected integer, got string");
  CHECK(Problem(schema, R"({"id": 0, "items": []})") == "$.id: 0 violates minimum 1");
  CHECK(Problem(schema, R"({"id": 1, "items": ["abcd"]})") == "$.items[0]: expected at most 3 characters, got 4");
  CHECK(Problem(schema, R"({"id": 1, "items": ["a", "b", "c"]})") == "$.items: expected at most 2 items, got 3");
  CHECK(Problem(schema, R"({"id": 1, "items": [], "kind": "c"})") == R"($.kind: "c" is not one of ["a","b"])");
  CHECK(Problem(schema, R"({"id": 1, "items": [], "x": 1})") == "$: property 'x' is not allowed");
  CHECK(Problem(R"({"anyOf": [{"type": "string"}, {"type": "null"}]})", "null") == "ok");
  CHECK_THAT(Problem(R"({"anyOf": [{"type": "string"}, {"type": "null"}]})", "3"),
             Catch::StartsWith("$: matches no branch of anyOf"));
  CHECK(Problem(R"({"type": ["string", "number"], "minLength": 2})", R"("é")") ==
        "$: expected at least 2 characters, got 1");
}

TEST_CASE("CheckJsonSchema applies pattern and the formats the grammar enforces", "[unit]") {
  const char* schema = R"({"type": "object", "properties": {"iban": {"type": "string",
      "pattern": "^[A-Z]{2}\\d{2}[A-Z0-9]{4,30}$"}, "day": {"type": "string", "format": "date"},
      "host": {"type": "string", "format": "hostname"}, "note": {"type": "string", "pattern": "o\"k"}}})";
  CHECK(Problem(schema, R"({"iban": "DE89ABCD1234", "day": "2024-02-29", "host": "any text", "note": "so\"k"})") ==
        "ok");
  CHECK(Problem(schema, R"({"iban": "de89ABCD1234"})") ==
        R"($.iban: expected a string matching ^[A-Z]{2}\d{2}[A-Z0-9]{4,30}$, got "de89ABCD1234")");
  CHECK(Problem(schema, R"({"day": "2024-13-01"})") == R"($.day: expected a date string, got "2024-13-01")");
  CHECK(Problem(schema, R"({"note": "ok"})") == R"($.note: expected a string matching o"k, got "ok")");
  CHECK(Problem(R"({"type": "number", "multipleOf": 0.01})", "0.07") == "ok");
  CHECK(Problem(R"({"type": "number", "multipleOf": 0.01})", "0.075") == "$: 0.075 violates multipleOf 0.01");
  CHECK(Problem(R"({"type": "integer", "multipleOf": 5})", "-15") == "ok");
  CHECK_THAT(Problem(R"json({"type": "string", "pattern": "(?=a)"})json", R"("a")"),
             Catch::StartsWith("$: the schema's pattern cannot be checked: lookahead"));
}

TEST_CASE("MinimalJsonInstance satisfies the schema it was built from", "[unit]") {
  const char* schemas[] = {
      R"({"type": "object", "required": ["a", "b", "c"], "properties": {"a": {"type": "string", "minLength": 2},
          "b": {"type": "integer", "exclusiveMinimum": 3}, "c": {"type": "array", "minItems": 1,
          "items": {"enum": ["x", "y"]}}}})",
      R"({"anyOf": [{"type": "number", "minimum": 2.5}, {"type": "string"}]})",
      R"({"const": {"k": [1]}})",
      R"({"type": "boolean"})",
      R"({"type": "array", "items": {"type": "object"}})",
      R"({"type": "object", "required": ["code", "when", "id"], "properties": {"code": {"type": "string",
          "pattern": "^[A-Z]{3}-\\d{2,4}$"}, "when": {"type": "string", "format": "date-time"},
          "id": {"type": "string", "pattern": "x+", "minLength": 3}}})",
      R"({"type": "number", "minimum": 0.3, "multipleOf": 0.25})",
  };
  for (const char* schema : schemas) {
    const Json instance = MinimalJsonInstance(Json::parse(schema));
    INFO(schema << " -> " << instance.dump());
    CHECK(CheckJsonSchema(Json::parse(schema), instance).ok());
  }
  CHECK(MinimalJsonInstance(Json::parse(schemas[0])) == Json::parse(R"({"a": "aa", "b": 4, "c": ["x"]})"));
  CHECK(MinimalJsonInstance(Json::parse(schemas[5])) ==
        Json::parse(R"({"code": "AAA-00", "when": "0000-01-01T00:00:00Z", "id": "aax"})"));
  CHECK(MinimalJsonInstance(Json::parse(schemas[6])) == Json(0.5));
}

}  // namespace
}  // namespace catena::chains
