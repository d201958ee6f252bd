// JSON-schema constrained decoding on real vocabularies: random walks through the allowed tokens always give
// instances that Python's jsonschema accepts, hand-written canonical instances are accepted token by token,
// invalid ones are rejected, masks agree with Accept, and schema errors name the offending JSON pointer.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "inference/grammar_automaton.h"
#include "tests/inference/grammar_test_util.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace catena::inference {
namespace {

using testing::LoadedVocabulary;

struct SchemaCase {
  std::string schema;
  std::vector<std::string> valid;    // canonical spellings: ", " and ": " separators, keys in schema order
  std::vector<std::string> invalid;  // never accepted as complete instances
};

const std::vector<SchemaCase>& Cases() {
  static const auto* cases = new std::vector<SchemaCase>{
      {R"({"type":"object","properties":{"name":{"type":"string","maxLength":12},"age":{"type":"integer"},
          "email":{"type":"string","minLength":3,"maxLength":20}},"required":["name","age"]})",
       {R"({"name": "Ada", "age": 36})", R"({"name": "Zoë \"Z\"", "age": -3, "email": "z@x.io"})",
        R"({"name": "", "age": 0})"},
       {R"({"age": 36})", R"({"name": "Ada"})", R"({"name": "Ada", "age": 3.5})", R"({"name":"Ada","age":36})",
        R"({"name": "Ada", "age": 36, "x": 1})", R"({"name": "abcdefghijklm", "age": 1})",
        R"({"name": "Ada", "age": 36, "email": "ab"})", R"({"name": "Ada", "age": 007})",
        R"({"age": 1, "name": "Ada"})", " {\"name\": \"Ada\", \"age\": 36}", "{\"name\": \"a\nb\", \"age\": 1}"}},
      {R"({"type":"object","properties":{"unit":{"enum":["celsius","fahrenheit"]},"temp":{"type":"number"},
          "ok":{"type":"boolean"},"note":{"type":"null"}},"required":["unit","temp","ok"]})",
       {R"({"unit": "celsius", "temp": -12.5e3, "ok": true})",
        R"({"unit": "fahrenheit", "temp": 0.25, "ok": false, "note": null})"},
       {R"({"unit": "kelvin", "temp": 1, "ok": true})", R"({"unit": "celsius", "temp": 1., "ok": true})",
        R"({"unit": "celsius", "temp": 1, "ok": True})", R"({"unit": "celsius", "temp": .5, "ok": true})"}},
      {R"({"type":"array","items":{"type":"object","properties":{"id":{"type":"integer"},
          "tags":{"type":"array","items":{"type":"string","maxLength":8},"maxItems":3}},"required":["id"]},
          "minItems":1,"maxItems":4})",
       {R"([{"id": 1}])", R"([{"id": 1, "tags": []}, {"id": 22, "tags": ["a", "b c", "日本語"]}])"},
       {"[]", R"([{"id": 1, "tags": ["a", "b", "c", "d"]}])",
        R"([{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}, {"id": 5}])", R"([{"id": 1},])"}},
      {R"({"anyOf":[{"type":"string","maxLength":5},{"type":"integer"},{"type":"null"}]})",
       {R"("hello")", "42", "null", R"("\u00e9\n")"},
       {R"("toolong")", "true", "4.5", R"("\ud800")"}},
      {R"({"anyOf":[{"type":"object","properties":{"name":{"const":"get_weather"},"arguments":{"type":"object",
          "properties":{"city":{"type":"string","maxLength":30},"days":{"type":"integer"}},"required":["city"]}},
          "required":["name","arguments"]},
         {"type":"object","properties":{"name":{"const":"search"},"arguments":{"type":"object",
          "properties":{"query":{"type":"string","maxLength":40},"top_k":{"type":"integer"}},
          "required":["query","top_k"]}},"required":["name","arguments"]}]})",
       {R"({"name": "get_weather", "arguments": {"city": "Paris"}})",
        R"({"name": "search", "arguments": {"query": "rag \u00e9", "top_k": 5}})"},
       {R"({"name": "search", "arguments": {"city": "Paris"}})", R"({"name": "get_weather", "arguments": {}})"}},
      {R"({"$defs":{"point":{"type":"object","properties":{"x":{"type":"number"},"y":{"type":"number"}},
          "required":["x","y"]}},"type":"object","properties":{"a":{"$ref":"#/$defs/point"},
          "b":{"type":["string","null"],"maxLength":4},"path":{"type":"array","items":{"$ref":"#/$defs/point"},
          "maxItems":2}},"required":["a","b"]})",
       {R"({"a": {"x": 1, "y": 2.5}, "b": null})",
        R"({"a": {"x": -0, "y": 1E+2}, "b": "abcd", "path": [{"x": 0, "y": 0}]})"},
       {R"({"a": {"x": 1}, "b": null})", R"({"a": {"x": 1, "y": 2}, "b": "abcde"})"}},
      {R"({"type":"string","minLength":2,"maxLength":3})",
       {R"("ab")", R"("\n\t")", "\"é€😀\""},
       {R"("a")", R"("abcd")", R"("\x")", R"("\u12")"}},
      {R"({"const":{"k":[1,2],"v":"x"}})", {R"({"k": [1, 2], "v": "x"})"}, {R"({"k": [1, 2]})"}},
      {R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})",
       {R"({"text": "free text, with \"quotes\" and ünïcödé"})"},
       {R"({"text": 1})"}},
      {R"({"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},"kids":{"type":"array",
          "items":{"$ref":"#/$defs/node"},"maxItems":2}},"required":["v"]}},"$ref":"#/$defs/node"})",
       {R"({"v": 1, "kids": [{"v": 2}, {"v": 3, "kids": []}]})"},
       {R"({"v": 1, "kids": [{}]})"}},
      {R"({"type":"object"})",
       {"{}", R"({"a": 1})", R"({"a": {"b": [1, "x", null, []]}, "c": true, "": -0.5e3})", R"({"a": 1, "a": 2})",
        R"({"k\"ey\u00e9": {}})"},
       {R"({"a":1})", R"({"a": 1,})", R"({a: 1})", R"({"a" : 1})", "{ }", "[1]", R"({"a": [1,2]})",
        R"({"a": tru})", R"({"a"})", "{\"a\nb\": 1}"}},
      {R"({"type":"object","additionalProperties":{"type":"integer"}})",
       {"{}", R"({"x": 1, "y": -2})"},
       {R"({"x": "1"})", R"({"x": 1.5})", R"({"x": null})"}},
      {R"({"description":"anything"})",
       {R"("s")", "1.5", "null", "false", R"([1, [2, {"k": false}]])", R"({"k": [], "l": {}})"},
       {"[1,2]", "tru", R"({"k": 1 })", "[ ]", "01"}},
      {R"({"type":"object","properties":{"tags":{"type":"array","maxItems":3},"meta":true},"required":["tags"]})",
       {R"({"tags": []})", R"({"tags": [1, "a", {"b": null}], "meta": "x"})"},
       {R"({"tags": [1, 2, 3, 4]})", R"({"meta": 1})"}},
      {R"({"type":"object","properties":{"n":{"type":"integer","minimum":-5,"maximum":123},
          "p":{"type":"number","exclusiveMinimum":0,"maximum":1.5},"big":{"type":"integer","minimum":1000},
          "t":{"type":"number","minimum":-0.25,"exclusiveMaximum":100}},"required":["n","p"]})",
       {R"({"n": -5, "p": 1.5})", R"({"n": 123, "p": 0.001, "big": 1000})", R"({"n": 0, "p": 1, "big": 98765432})",
        R"({"n": -0, "p": 1.499999999, "t": -0.25})", R"({"n": 12, "p": 0.5, "t": 99.999})",
        R"({"n": 7, "p": 0.25, "t": -0.1})"},
       {R"({"n": 124, "p": 1})", R"({"n": -6, "p": 1})", R"({"n": 1234, "p": 1})", R"({"n": 1, "p": 0})",
        R"({"n": 1, "p": -0.5})", R"({"n": 1, "p": 1.5000001})", R"({"n": 1, "p": 2})", R"({"n": 1, "p": 1e-3})",
        R"({"n": 1, "p": 1, "big": 999})", R"({"n": 1, "p": 1, "t": -0.3})", R"({"n": 1, "p": 1, "t": 100})",
        R"({"n": 1, "p": 0.0000000001})"}},
      // A discriminated union as pydantic writes it (oneOf + discriminator over $defs), and oneOf by type.
      {R"({"$defs":{"Cat":{"properties":{"pet_type":{"const":"cat","title":"Pet Type","type":"string"},
          "meows":{"title":"Meows","type":"integer","minimum":0}},"required":["pet_type","meows"],"title":"Cat",
          "type":"object"},"Dog":{"properties":{"pet_type":{"const":"dog","type":"string"},"barks":{"type":"number"}},
          "required":["pet_type","barks"],"type":"object"}},"properties":{"pet":{"discriminator":{"mapping":
          {"cat":"#/$defs/Cat","dog":"#/$defs/Dog"},"propertyName":"pet_type"},"oneOf":[{"$ref":"#/$defs/Cat"},
          {"$ref":"#/$defs/Dog"}],"title":"Pet"},"id":{"oneOf":[{"type":"string","maxLength":8},{"type":"integer"}]}},
          "required":["pet"],"title":"Model","type":"object"})",
       {R"({"pet": {"pet_type": "cat", "meows": 3}})", R"({"pet": {"pet_type": "dog", "barks": 1.5}, "id": "a1"})",
        R"({"pet": {"pet_type": "cat", "meows": 0}, "id": 7})"},
       {R"({"pet": {"pet_type": "cat", "barks": 1}})", R"({"pet": {"pet_type": "bird", "meows": 1}})",
        R"({"pet": {"pet_type": "dog", "barks": 1}, "id": 1.5})", R"({"pet": {"pet_type": "cat", "meows": -1}})",
        R"({"pet": {"meows": 1}})"}},
      // No minus sign where no value below zero is in range ("-0" is valid JSON Schema, but a strange 0).
      {R"({"type":"integer","minimum":0,"maximum":3})", {"0", "3"}, {"-0", "4", "-1", "03", "1.0"}},
      // Declared properties beside additionalProperties (pydantic's extra="allow"): only they are written.
      {R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string","maxLength":2}},"required":["a"],
          "additionalProperties":true})",
       {R"({"a": 1})", R"({"a": 1, "b": "xy"})"},
       {R"({"a": 1, "c": 2})", R"({"b": "x"})", R"({"a": 1, "b": "xyz"})"}},
      {R"({"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":{"type":"string"}})",
       {"{}", R"({"a": 3})"}, {R"({"a": "3"})", R"({"z": "3"})"}},
      // An unanchored pattern under a length bound longer than any token: counts far from it share masks.
      {R"({"type":"string","pattern":"ok","minLength":3,"maxLength":40})",
       {R"("xok")", R"("ok!")", R"("a line that says ok, then more text: okk")"},
       {R"("ok")", R"("o k and more")", R"("a line that says ok, then more text: okk!")"}},
      // Tuples as pydantic writes them (prefixItems with minItems = maxItems), an open one and a cut one.
      {R"({"type":"object","properties":{"point":{"type":"array","prefixItems":[{"type":"number"},{"type":"number"}],
          "minItems":2,"maxItems":2},"pair":{"type":"array","prefixItems":[{"type":"string","maxLength":3},
          {"enum":[1,2]}],"items":{"type":"integer"}},"cut":{"type":"array","prefixItems":[{"type":"integer"},
          {"type":"string"}],"maxItems":1},"none":{"type":"array","prefixItems":[]}},"required":["point"]})",
       {R"({"point": [1, 2.5]})", R"({"point": [-1, 0], "pair": ["abc", 2], "cut": [7], "none": []})"},
       {R"({"point": [1]})", R"({"point": [1, 2, 3]})", R"({"point": [1, "2"]})", R"({"point": [1,2]})",
        R"({"point": [1, 2], "pair": ["abcd", 1]})", R"({"point": [1, 2], "pair": ["a", 3]})",
        R"({"point": [1, 2], "cut": [7, "x"]})"}},
      // multipleOf: whole steps on integers, binary-exact decimal steps on numbers (Python's jsonschema divides
      // floats, so 0.01 is tested on its own below), with and without bounds.
      {R"({"type":"object","properties":{"qty":{"type":"integer","multipleOf":5},"price":{"type":"number",
          "multipleOf":0.25,"minimum":0,"maximum":100},"step":{"type":"integer","multipleOf":3,"minimum":-10,
          "maximum":10}},"required":["qty","price"]})",
       {R"({"qty": 0, "price": 0})", R"({"qty": -15, "price": 99.75, "step": -9})",
        R"({"qty": 1000000, "price": 100, "step": 9})", R"({"qty": 5, "price": 0.5, "step": 0})"},
       {R"({"qty": 7, "price": 1})", R"({"qty": 5, "price": 0.3})", R"({"qty": 5, "price": 100.25})",
        R"({"qty": 5, "price": 1, "step": 10})", R"({"qty": 5, "price": 1, "step": -12})",
        R"({"qty": 5, "price": 1e2})", R"({"qty": 5, "price": -0.25})"}},
      // Patterns and formats, as pydantic writes constr(pattern=...) and date fields.
      {R"({"type":"object","properties":{"code":{"type":"string","pattern":"^[A-Z]{3}-\\d{2,4}$"},
          "iban":{"type":"string","pattern":"^[A-Z]{2}\\d{2}[A-Z0-9]{4,12}$","maxLength":14},
          "day":{"type":"string","format":"date"},"note":{"type":"string","pattern":"o\"k","maxLength":6}},
          "required":["code","day"]})",
       {R"({"code": "ABC-12", "day": "2024-02-29"})",
        R"({"code": "XYZ-1234", "iban": "DE89ABCD1234", "day": "1999-12-31", "note": "o\"k"})",
        R"({"code": "ABC-12", "day": "2024-01-01", "note": "é o\"k!"})"},
       {R"({"code": "AB-12", "day": "2024-01-01"})", R"({"code": "ABC-12345", "day": "2024-01-01"})",
        R"({"code": "ABC-12", "day": "2024-13-01"})", R"({"code": "ABC-12", "day": "2024-01-01", "note": "ok"})",
        R"({"code": "ABC-12", "iban": "DE89ABCD1234567", "day": "2024-01-01"})",
        R"({"code": "ABC-12", "day": "2024-01-01", "note": "xyzo\"k!"})",
        R"({"code": "ABC-12", "day": "2024-01-01", "note": "o\u0022k"})"}},
  };
  return *cases;
}

std::shared_ptr<const CompiledGrammar> Compile(const std::string& schema, const LoadedVocabulary& vocab) {
  auto grammar = CompileJsonSchema(schema, vocab.vocabulary);
  INFO(schema << "\n" << grammar.status());
  REQUIRE(grammar.ok());
  return *grammar;
}

// Feeds the tokenizer's ids for `text`; true when every token is allowed (mask and Accept agree on each) and
// the result is complete.
bool AcceptsText(const LoadedVocabulary& vocab, std::shared_ptr<const CompiledGrammar> grammar,
                 const std::string& text) {
  GrammarMatcher matcher(std::move(grammar));
  const std::vector<int32_t> ids = vocab.tokenizer->Encode(text);
  REQUIRE(testing::OutputBytes(*vocab.tokenizer, ids) == text);
  for (int32_t id : ids) {
    const bool allowed = matcher.AllowedTokens().Test(id);
    const bool accepted = matcher.Accept(id).ok();
    INFO(text << " token " << id);
    REQUIRE(allowed == accepted);
    if (!accepted) return false;
  }
  return matcher.IsComplete();
}

// Samples uniformly among the allowed tokens until an end-of-generation token or `max_tokens`.
std::vector<int32_t> RandomWalk(std::shared_ptr<const CompiledGrammar> grammar, const TextTokenizer& tokenizer,
                                std::mt19937& rng, int max_tokens, bool& ended) {
  GrammarMatcher matcher(std::move(grammar));
  std::vector<int32_t> ids;
  ended = false;
  while (static_cast<int>(ids.size()) < max_tokens) {
    const TokenBitmask& mask = matcher.AllowedTokens();
    const int32_t count = mask.Count();
    REQUIRE(count > 0);
    int32_t pick = std::uniform_int_distribution<int32_t>(0, count - 1)(rng);
    int32_t id = 0;
    while (!mask.Test(id) || pick-- > 0) ++id;
    if (tokenizer.IsEndOfGeneration(id)) {
      REQUIRE(matcher.IsComplete());
      ended = true;
      return ids;
    }
    REQUIRE(matcher.Accept(id).ok());
    ids.push_back(id);
  }
  return ids;
}

using OrderedJson = nlohmann::ordered_json;

size_t CodePoints(const std::string& text) {
  size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

bool HasType(const OrderedJson& value, const std::string& type) {
  if (type == "integer") {
    return value.is_number_integer() ||
           (value.is_number_float() && std::floor(value.get<double>()) == value.get<double>());
  }
  return (type == "object" && value.is_object()) || (type == "array" && value.is_array()) ||
         (type == "string" && value.is_string()) || (type == "number" && value.is_number()) ||
         (type == "boolean" && value.is_boolean()) || (type == "null" && value.is_null());
}

std::string Violation(const OrderedJson& value, const OrderedJson& schema, const OrderedJson& root);

// The array and object rules of Violation.
std::string ContainerViolation(const OrderedJson& value, const OrderedJson& schema, const OrderedJson& root) {
  const OrderedJson any = OrderedJson::object();
  if (value.is_array()) {
    if (value.size() < schema.value("minItems", size_t{0}) ||
        value.size() > schema.value("maxItems", size_t{1} << 40)) {
      return "item count out of bounds";
    }
    const OrderedJson prefix = schema.value("prefixItems", OrderedJson::array());
    for (size_t i = 0; i < value.size(); ++i) {
      const OrderedJson item_schema = i < prefix.size() ? prefix[i] : schema.value("items", any);
      if (std::string v = Violation(value[i], item_schema, root); !v.empty()) return "item: " + v;
    }
  }
  if (value.is_object()) {
    const OrderedJson properties = schema.value("properties", OrderedJson::object());
    for (const OrderedJson& name : schema.value("required", OrderedJson::array())) {
      if (!value.contains(name.get<std::string>())) return "missing " + name.get<std::string>();
    }
    const OrderedJson additional = schema.value("additionalProperties", OrderedJson(!schema.contains("properties")));
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (!properties.contains(it.key()) && additional != OrderedJson(false)) {
        if (std::string v = Violation(it.value(), additional, root); !v.empty()) return it.key() + ": " + v;
        continue;
      }
      if (!properties.contains(it.key())) return "unexpected key " + it.key();
      if (std::string v = Violation(it.value(), properties[it.key()], root); !v.empty()) return it.key() + ": " + v;
    }
  }
  return "";
}

// An independent validator for the supported subset (objects also reject keys not in properties): "" when
// `value` is an instance of `schema`, else what is wrong.
std::string Violation(const OrderedJson& value, const OrderedJson& schema, const OrderedJson& root) {
  if (schema.is_boolean()) return schema.get<bool>() ? "" : "the false schema";
  if (schema.contains("$ref")) {
    return Violation(value, root.at(OrderedJson::json_pointer(schema["$ref"].get<std::string>().substr(1))), root);
  }
  if (schema.contains("const") && value != schema["const"]) return "not the const";
  if (schema.contains("enum") &&
      std::find(schema["enum"].begin(), schema["enum"].end(), value) == schema["enum"].end()) {
    return "not in enum";
  }
  if (schema.contains("const") || schema.contains("enum")) return "";  // the subset allows only type beside them
  if (schema.contains("anyOf")) {
    for (const OrderedJson& alternative : schema["anyOf"]) {
      if (Violation(value, alternative, root).empty()) return "";
    }
    return "no anyOf branch matches";
  }
  if (schema.contains("oneOf")) {
    int matches = 0;
    for (const OrderedJson& alternative : schema["oneOf"]) matches += Violation(value, alternative, root).empty();
    return matches == 1 ? "" : absl::StrCat(matches, " oneOf branches match");
  }
  if (schema.contains("type")) {
    const OrderedJson types = schema["type"].is_array() ? schema["type"] : OrderedJson::array({schema["type"]});
    bool any = false;
    for (const OrderedJson& type : types) any = any || HasType(value, type.get<std::string>());
    if (!any) return "wrong type";
  }
  if (value.is_number()) {
    const double number = value.get<double>();
    if ((schema.contains("minimum") && number < schema["minimum"].get<double>()) ||
        (schema.contains("maximum") && number > schema["maximum"].get<double>()) ||
        (schema.contains("exclusiveMinimum") && number <= schema["exclusiveMinimum"].get<double>()) ||
        (schema.contains("exclusiveMaximum") && number >= schema["exclusiveMaximum"].get<double>())) {
      return "number out of bounds";
    }
    if (schema.contains("multipleOf")) {
      const double quotient = number / schema["multipleOf"].get<double>();
      if (std::fabs(quotient - std::round(quotient)) > 1e-9 * std::max(1.0, std::fabs(quotient))) {
        return "not a multiple of multipleOf";
      }
    }
  }
  if (value.is_string()) {
    const size_t length = CodePoints(value.get<std::string>());
    if (length < schema.value("minLength", size_t{0}) || length > schema.value("maxLength", size_t{1} << 40)) {
      return "string length out of bounds";
    }
    if (schema.contains("pattern") &&
        !std::regex_search(value.get<std::string>(), std::regex(schema["pattern"].get<std::string>()))) {
      return "string does not match the pattern";
    }
  }
  return ContainerViolation(value, schema, root);
}

// Validates each (schema, instance text) with Python's jsonschema; returns the failures it reports, or nullopt
// when python3 has no jsonschema module.
std::optional<std::string> ValidateWithPython(const std::vector<std::pair<std::string, std::string>>& samples) {
  catena::testing::TempDir dir("grammar-test");
  std::string lines;
  for (const auto& [schema, text] : samples) {
    lines += nlohmann::json{{"schema", nlohmann::json::parse(schema)}, {"text", text}}.dump() + "\n";
  }
  const std::string path = dir.Write("samples.jsonl", lines).string();
  const std::string script = R"(
import json, sys
try:
    import jsonschema
except ImportError:
    sys.exit(77)
bad = 0
for line in open(sys.argv[1], encoding='utf-8'):
    sample = json.loads(line)
    try:
        jsonschema.Draft202012Validator(sample['schema']).validate(json.loads(sample['text']))
    except Exception as e:
        bad += 1
        print('INVALID', repr(sample['text']), str(e).splitlines()[0])
print('checked', bad)
sys.exit(1 if bad else 0))";
  catena::testing::Subprocess python({"/usr/bin/env", "python3", "-c", script, path});
  const auto code = python.Wait(std::chrono::seconds(120));
  REQUIRE(code.has_value());
  if (*code == 77) {
    WARN("python3 has no jsonschema module; instances were checked by the C++ validator only");
    return std::nullopt;
  }
  return *code == 0 ? "" : python.Stdout() + python.Stderr();
}

TEST_CASE("random walks through allowed tokens always produce instances of the schema", "[unit]") {
  std::vector<std::pair<std::string, std::string>> samples;
  for (const LoadedVocabulary* vocab : {&testing::Mistral(), &testing::Llama3()}) {
    std::mt19937 rng(1234);
    for (const SchemaCase& schema_case : Cases()) {
      auto grammar = Compile(schema_case.schema, *vocab);
      int ended_walks = 0;
      for (int walk = 0; walk < 25; ++walk) {
        bool ended = false;
        const std::vector<int32_t> ids = RandomWalk(grammar, *vocab->tokenizer, rng, 600, ended);
        if (!ended) continue;
        ++ended_walks;
        const std::string text = testing::OutputBytes(*vocab->tokenizer, ids);
        INFO(schema_case.schema << "\n" << text);
        OrderedJson instance;
        REQUIRE_NOTHROW(instance = OrderedJson::parse(text));
        const OrderedJson schema = OrderedJson::parse(schema_case.schema);
        CHECK(Violation(instance, schema, schema) == "");
        samples.emplace_back(schema_case.schema, text);
      }
      INFO(schema_case.schema);
      CHECK(ended_walks >= 6);  // free keys and nested any-values end less often under uniform sampling
    }
  }
  REQUIRE(samples.size() > 300);
  CHECK(ValidateWithPython(samples).value_or("") == "");
}

TEST_CASE("multipleOf 0.01 admits exactly the amounts in whole cents", "[unit]") {
  const char* schema = R"({"type":"number","multipleOf":0.01,"minimum":0,"exclusiveMaximum":1000})";
  for (const LoadedVocabulary* vocab : {&testing::Mistral(), &testing::Llama3()}) {
    auto grammar = Compile(schema, *vocab);
    for (const char* text : {"0.07", "12.5", "3", "999.99", "0", "0.1"}) {
      INFO(text);
      CHECK(AcceptsText(*vocab, grammar, text));
    }
    for (const char* text : {"0.071", "-0.01", "1e1", "0.005", "1000", "999.999"}) {
      INFO(text);
      CHECK_FALSE(AcceptsText(*vocab, grammar, text));
    }
    // Every random walk is an amount in [0, 1000) with at most two significant fraction digits.
    std::mt19937 rng(5);
    int ended_walks = 0;
    for (int walk = 0; walk < 40; ++walk) {
      bool ended = false;
      const std::string text = testing::OutputBytes(*vocab->tokenizer, RandomWalk(grammar, *vocab->tokenizer, rng,
                                                                                    60, ended));
      if (!ended) continue;
      ++ended_walks;
      INFO(text);
      const size_t point = text.find('.');
      const std::string fraction = point == std::string::npos ? "" : text.substr(point + 1);
      CHECK(fraction.find_last_not_of('0') + 1 <= 2);  // npos + 1 == 0 for an all-zero fraction
      CHECK(text.find_first_not_of("0123456789.") == std::string::npos);
      CHECK(std::stod(text) < 1000);
    }
    CHECK(ended_walks >= 10);
  }
}

TEST_CASE("the test validators catch instances that break the schema", "[unit]") {
  const OrderedJson schema = OrderedJson::parse(Cases()[0].schema);
  CHECK(Violation(OrderedJson::parse(R"({"name": "Ada", "age": 1})"), schema, schema) == "");
  CHECK(Violation(OrderedJson::parse(R"({"name": "Ada"})"), schema, schema) == "missing age");
  CHECK(Violation(OrderedJson::parse(R"({"name": "Ada", "age": 1.5})"), schema, schema) == "age: wrong type");
  CHECK(Violation(OrderedJson::parse(R"({"name": "Ada Lovelace Byron", "age": 1})"), schema, schema) ==
        "name: string length out of bounds");
  const OrderedJson tree = OrderedJson::parse(Cases()[9].schema);
  CHECK(Violation(OrderedJson::parse(R"({"v": 1, "kids": [{"w": 2}]})"), tree, tree) != "");
  const auto failures = ValidateWithPython({{Cases()[0].schema, R"({"name": "Ada"})"}});
  if (failures.has_value()) CHECK(failures->find("INVALID") != std::string::npos);
}

TEST_CASE("hand-written canonical instances are accepted token by token", "[unit]") {
  for (const LoadedVocabulary* vocab : {&testing::Mistral(), &testing::Llama3()}) {
    for (const SchemaCase& schema_case : Cases()) {
      auto grammar = Compile(schema_case.schema, *vocab);
      for (const std::string& text : schema_case.valid) {
        INFO(schema_case.schema << "\n" << text);
        CHECK(AcceptsText(*vocab, grammar, text));
      }
    }
  }
}

TEST_CASE("invalid instances and non-canonical spellings are rejected", "[unit]") {
  for (const LoadedVocabulary* vocab : {&testing::Mistral(), &testing::Llama3()}) {
    for (const SchemaCase& schema_case : Cases()) {
      auto grammar = Compile(schema_case.schema, *vocab);
      for (const std::string& text : schema_case.invalid) {
        INFO(schema_case.schema << "\n" << text);
        CHECK_FALSE(AcceptsText(*vocab, grammar, text));
      }
    }
  }
}

TEST_CASE("the mask agrees with Accept for every token at sampled states", "[unit]") {
  const LoadedVocabulary& vocab = testing::Mistral();
  std::mt19937 rng(99);
  for (size_t c : {size_t{0}, size_t{2}, size_t{4}, size_t{6}, size_t{10}, size_t{12}}) {
    auto grammar = Compile(Cases()[c].schema, vocab);
    bool ended = false;
    const std::vector<int32_t> walk = RandomWalk(grammar, *vocab.tokenizer, rng, 40, ended);
    for (size_t prefix = 0; prefix < walk.size(); prefix += 3) {
      GrammarMatcher matcher(grammar);
      for (size_t i = 0; i < prefix; ++i) REQUIRE(matcher.Accept(walk[i]).ok());
      const TokenBitmask mask = matcher.AllowedTokens();
      int32_t allowed = 0;
      for (int32_t id = 0; id < vocab.tokenizer->vocab_size(); ++id) {
        if (vocab.tokenizer->IsEndOfGeneration(id)) continue;
        GrammarMatcher probe(matcher);
        const bool accepted = probe.Accept(id).ok();
        allowed += accepted;
        INFO("case " << c << " prefix " << prefix << " token " << id << " " << vocab.tokenizer->TokenText(id));
        REQUIRE(mask.Test(id) == accepted);
      }
      CHECK(allowed > 0);
    }
  }
}

TEST_CASE("matchers on several threads share one compiled grammar and its mask cache", "[unit]") {
  const LoadedVocabulary& vocab = testing::Llama3();
  auto grammar = Compile(Cases()[1].schema, vocab);
  std::vector<std::string> texts(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < texts.size(); ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<uint32_t>(t));
      GrammarMatcher matcher(grammar);
      std::vector<int32_t> ids;
      for (int step = 0; step < 300 && !matcher.IsTerminated(); ++step) {
        const TokenBitmask& mask = matcher.AllowedTokens();
        int32_t pick = std::uniform_int_distribution<int32_t>(0, mask.Count() - 1)(rng);
        int32_t id = 0;
        while (!mask.Test(id) || pick-- > 0) ++id;
        if (!matcher.Accept(id).ok()) return;
        if (!vocab.tokenizer->IsEndOfGeneration(id)) ids.push_back(id);
      }
      if (matcher.IsTerminated()) texts[t] = testing::OutputBytes(*vocab.tokenizer, ids);
    });
  }
  for (std::thread& thread : threads) thread.join();
  const OrderedJson schema = OrderedJson::parse(Cases()[1].schema);
  for (const std::string& text : texts) {
    INFO(text);
    REQUIRE_FALSE(text.empty());
    CHECK(Violation(OrderedJson::parse(text), schema, schema) == "");
  }
  CHECK(grammar->cached_masks() > 5);
}

TEST_CASE("forced tokens spell the bytes the schema leaves no choice about", "[unit]") {
  for (const LoadedVocabulary* vocab : {&testing::Mistral(), &testing::Llama3()}) {
    GrammarMatcher matcher(Compile(Cases()[0].schema, *vocab));
    std::vector<int32_t> forced = matcher.ForcedTokens();
    CHECK(testing::OutputBytes(*vocab->tokenizer, forced) == R"({"name": ")");
    for (int32_t id : forced) REQUIRE(matcher.Accept(id).ok());
    CHECK(matcher.ForcedTokens().empty());  // free string text
    GrammarMatcher later(Compile(Cases()[0].schema, *vocab));
    std::vector<int32_t> ids = vocab->tokenizer->Encode("{\"name\": \"Ada\", ");
    for (int32_t id : ids) REQUIRE(later.Accept(id).ok());
    forced = later.ForcedTokens();
    ids.insert(ids.end(), forced.begin(), forced.end());
    CHECK(testing::OutputBytes(*vocab->tokenizer, ids) == R"({"name": "Ada", "age": )");
    for (int32_t id : forced) REQUIRE(later.Accept(id).ok());
  }
}

TEST_CASE("free-key objects force the colon after a key and fold key text into one cached state", "[unit]") {
  const LoadedVocabulary& vocab = testing::Llama3();
  const TextTokenizer& tok = *vocab.tokenizer;
  auto grammar = Compile(R"({"type":"object","additionalProperties":{"type":"integer"}})", vocab);
  GrammarMatcher matcher(grammar);
  for (int32_t id : tok.Encode(R"({"alpha)")) REQUIRE(matcher.Accept(id).ok());
  CHECK(matcher.ForcedTokens().empty());  // free key text
  matcher.AllowedTokens();
  const size_t cached = grammar->cached_masks();
  REQUIRE(matcher.Accept(tok.TokenId("beta")).ok());
  matcher.AllowedTokens();
  CHECK(grammar->cached_masks() == cached);  // same state: key text far from any bound
  REQUIRE(matcher.Accept(tok.TokenId("\"")).ok());
  std::vector<int32_t> forced = matcher.ForcedTokens();
  CHECK(testing::OutputBytes(tok, forced) == ": ");
  for (int32_t id : forced) REQUIRE(matcher.Accept(id).ok());
  CHECK_FALSE(matcher.AllowedTokens().Test(tok.TokenId("\"")));  // values are integers
  REQUIRE(matcher.Accept(tok.TokenId("7")).ok());
  CHECK(matcher.AllowedTokens().Test(tok.TokenId("}")));
  CHECK_FALSE(matcher.IsComplete());
  REQUIRE(matcher.Accept(tok.TokenId("}")).ok());
  CHECK(matcher.IsComplete());
}

TEST_CASE("any value nests at most as deep as the matcher's stack", "[unit]") {
  const LoadedVocabulary& vocab = testing::Llama3();
  const int32_t open = vocab.tokenizer->TokenId("[");
  const int32_t close = vocab.tokenizer->TokenId("]");
  GrammarMatcher matcher(Compile("true", vocab));
  for (int depth = 0; depth < grammar::kMaxDepth; ++depth) {
    INFO("depth " << depth);
    REQUIRE(matcher.AllowedTokens().Test(open));
    REQUIRE(matcher.Accept(open).ok());
  }
  CHECK_FALSE(matcher.AllowedTokens().Test(open));
  CHECK_FALSE(matcher.Accept(open).ok());
  for (int depth = 0; depth < grammar::kMaxDepth; ++depth) REQUIRE(matcher.Accept(close).ok());
  CHECK(matcher.IsComplete());
}

TEST_CASE("end of generation is allowed only when the instance is complete", "[unit]") {
  const LoadedVocabulary& vocab = testing::Mistral();
  const int32_t eos = vocab.tokenizer->eos_id();
  REQUIRE(eos >= 0);
  GrammarMatcher matcher(Compile(R"({"type":"integer"})", vocab));
  CHECK_FALSE(matcher.AllowedTokens().Test(eos));
  CHECK(matcher.Accept(eos).code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(matcher.Accept(vocab.tokenizer->TokenId("4")).ok());
  CHECK(matcher.IsComplete());
  CHECK(matcher.AllowedTokens().Test(eos));
  CHECK(matcher.AllowedTokens().Test(vocab.tokenizer->TokenId("2")));
  REQUIRE(matcher.Accept(eos).ok());
  CHECK(matcher.IsTerminated());
  CHECK(matcher.AllowedTokens().Count() == 0);
  CHECK(matcher.Accept(vocab.tokenizer->TokenId("2")).code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("byte tokens must form valid UTF-8 inside strings", "[unit]") {
  const LoadedVocabulary& vocab = testing::Mistral();
  const TextTokenizer& tok = *vocab.tokenizer;
  GrammarMatcher matcher(Compile(R"({"type":"string"})", vocab));
  REQUIRE(matcher.Accept(tok.TokenId("\"")).ok());
  GrammarMatcher surrogate = matcher;
  REQUIRE(matcher.Accept(tok.TokenId("<0xC3>")).ok());
  CHECK_FALSE(matcher.AllowedTokens().Test(tok.TokenId("\"")));
  CHECK_FALSE(matcher.Accept(tok.TokenId("\"")).ok());
  CHECK(matcher.Accept(tok.TokenId("<0xA9>")).ok());  // é
  CHECK(matcher.Accept(tok.TokenId("\"")).ok());
  REQUIRE(surrogate.Accept(tok.TokenId("<0xED>")).ok());
  CHECK_FALSE(surrogate.Accept(tok.TokenId("<0xA0>")).ok());  // would encode U+D800
  CHECK(surrogate.Accept(tok.TokenId("<0x9F>")).ok());
}

TEST_CASE("apply mask sets exactly the disallowed logits to minus infinity", "[unit]") {
  const LoadedVocabulary& vocab = testing::Llama3();
  GrammarMatcher matcher(Compile(Cases()[1].schema, vocab));
  for (int32_t id : vocab.tokenizer->Encode(R"({"unit": "celsius", "temp": 1)")) REQUIRE(matcher.Accept(id).ok());
  std::vector<float> logits(vocab.tokenizer->vocab_size() + 5, 1.0f);
  matcher.ApplyMask(logits);
  int32_t finite = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    REQUIRE((std::isfinite(logits[i]) == matcher.AllowedTokens().Test(static_cast<int32_t>(i))));
    finite += std::isfinite(logits[i]);
  }
  CHECK(finite == matcher.AllowedTokens().Count());
  CHECK(finite > 10);  // digits, ".", "e", ", "
  CHECK(finite < 2000);
}

TEST_CASE("schema errors name the JSON pointer of the offending part", "[unit]") {
  const LoadedVocabulary& vocab = testing::Mistral();
  const std::vector<std::tuple<std::string, absl::StatusCode, std::string>> cases = {
      {R"json({"type":"string","pattern":"^(?=a)"})json", absl::StatusCode::kUnimplemented, "#/pattern: lookahead"},
      {R"({"type":"string","pattern":"^[a"})", absl::StatusCode::kInvalidArgument, "#/pattern: missing ']'"},
      {R"({"type":"array","prefixItems":[{"type":"integer"}],"minItems":2})", absl::StatusCode::kUnimplemented,
       "#/minItems:"},
      {R"({"type":"array","prefixItems":[{"type":"integer"}],"minItems":2,"items":false})",
       absl::StatusCode::kInvalidArgument, "#/minItems:"},
      {R"({"type":"array","prefixItems":{"type":"integer"}})", absl::StatusCode::kInvalidArgument, "#/prefixItems:"},
      {R"({"type":"array","prefixItems":[{"type":"x"}]})", absl::StatusCode::kInvalidArgument,
       "#/prefixItems/0/type:"},
      {R"({"type":"object","properties":{"a":{"type":"integer","multipleOf":-2}}})",
       absl::StatusCode::kInvalidArgument, "#/properties/a/multipleOf:"},
      {R"({"type":"integer","minimum":"3"})", absl::StatusCode::kInvalidArgument, "#/minimum:"},
      {R"({"type":"integer","minimum":5,"maximum":4})", absl::StatusCode::kInvalidArgument, "#: no integer"},
      {R"({"type":"integer","minimum":1,"maximum":4,"multipleOf":5})", absl::StatusCode::kInvalidArgument,
       "#: no integer of at most 16 digits meets minimum/maximum and multipleOf"},
      {R"({"type":"integer","multipleOf":2.5})", absl::StatusCode::kUnimplemented, "#/multipleOf:"},
      {R"({"type":"number","multipleOf":1e-10})", absl::StatusCode::kUnimplemented, "#/multipleOf:"},
      {R"({"type":"number","multipleOf":0})", absl::StatusCode::kInvalidArgument, "#/multipleOf:"},
      {R"({"type":"integer","minimum":1.2,"maximum":1.8})", absl::StatusCode::kInvalidArgument, "#: no integer"},
      {R"({"type":"integer","exclusiveMinimum":3,"exclusiveMaximum":4})", absl::StatusCode::kInvalidArgument,
       "#: no integer"},
      {R"({"type":"number","minimum":1e12})", absl::StatusCode::kInvalidArgument, "#: no number"},
      {R"({"type":"integer","exclusiveMinimum":true})", absl::StatusCode::kInvalidArgument, "#/exclusiveMinimum:"},
      {R"({"type":"object","properties":{"a":{"type":"string"}},"required":["b"]})", absl::StatusCode::kInvalidArgument,
       "#/required/0:"},
      {R"({"type":"array","items":{"type":"strin"}})", absl::StatusCode::kInvalidArgument, "#/items/type:"},
      {R"({"type":"string","minLength":5,"maxLength":2})", absl::StatusCode::kInvalidArgument, "#/minLength:"},
      {R"({"type":"string","maxLength":-1})", absl::StatusCode::kInvalidArgument, "#/maxLength:"},
      {R"({"$ref":"#/$defs/missing"})", absl::StatusCode::kInvalidArgument, "#/$ref:"},
      {R"({"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":"yes"})",
       absl::StatusCode::kInvalidArgument, "#/additionalProperties:"},
      {R"({"type":"object","required":["a"]})", absl::StatusCode::kUnimplemented, "#/required:"},
      {R"({"type":"object","additionalProperties":5})", absl::StatusCode::kInvalidArgument, "#/additionalProperties:"},
      {R"({"minLength":1})", absl::StatusCode::kUnimplemented, "#/minLength:"},
      {"false", absl::StatusCode::kInvalidArgument, "#:"},
      {R"({"anyOf":[{"type":"string"},{"not":{}}]})", absl::StatusCode::kUnimplemented, "#/anyOf/1/not:"},
      {R"({"anyOf":[{"type":"string"},{"oneOf":[]}]})", absl::StatusCode::kInvalidArgument, "#/anyOf/1/oneOf:"},
      {R"({"oneOf":[{"type":"object"},{"type":"object"}]})", absl::StatusCode::kUnimplemented, "#/oneOf:"},
      {R"({"oneOf":[{"type":"integer"},{"type":"number"}]})", absl::StatusCode::kUnimplemented, "#/oneOf:"},
      {R"({"oneOf":[{"type":"object","properties":{"k":{"const":1}},"required":["k"]},
          {"type":"object","properties":{"k":{"enum":[2,1]}},"required":["k"]}]})",
       absl::StatusCode::kUnimplemented, "#/oneOf:"},
      {R"({"oneOf":[{"type":"string"}],"minLength":1})", absl::StatusCode::kUnimplemented, "#/minLength:"},
      {R"({"properties":{"a/b":{"type":"x"}}})", absl::StatusCode::kInvalidArgument, "#/properties/a~1b/type:"},
      {R"({"type":"string",)", absl::StatusCode::kInvalidArgument, "#: schema is not valid JSON"},
      {R"({"enum":[1,2],"type":"string"})", absl::StatusCode::kInvalidArgument, "#:"},
      {R"({"anyOf":[{"$ref":"#"},{"$ref":"#"}]})", absl::StatusCode::kInvalidArgument, "#"},
      {R"({"$defs":{"a":{"anyOf":[{"$ref":"#/$defs/b"},{"type":"null"}]},"b":{"$ref":"#/$defs/a"}},
          "$ref":"#/$defs/a"})",
       absl::StatusCode::kInvalidArgument, "#/$defs/"},
      {R"({"type":"object","properties":[]})", absl::StatusCode::kInvalidArgument, "#/properties:"},
      {R"({"type":"array","items":5})", absl::StatusCode::kInvalidArgument, "#/items:"},
      {R"({"type":"string","minLength":1.5})", absl::StatusCode::kInvalidArgument, "#/minLength:"},
      {R"({"type":"string","maxLength":"3"})", absl::StatusCode::kInvalidArgument, "#/maxLength:"},
      {R"({"type":["string",5]})", absl::StatusCode::kInvalidArgument, "#/type/1:"},
      {R"({"type":"object","required":"a"})", absl::StatusCode::kInvalidArgument, "#/required:"},
      {R"({"$ref":"http://example.com/s.json"})", absl::StatusCode::kUnimplemented, "#/$ref:"},
      {R"({"enum":[]})", absl::StatusCode::kInvalidArgument, "#/enum:"},
      {R"([1, 2])", absl::StatusCode::kInvalidArgument, "#:"},
  };
  for (const auto& [schema, code, prefix] : cases) {
    auto grammar = CompileJsonSchema(schema, vocab.vocabulary);
    INFO(schema << " -> " << grammar.status());
    REQUIRE_FALSE(grammar.ok());
    CHECK(grammar.status().code() == code);
    CHECK(std::string(grammar.status().message()).starts_with(prefix));
  }
}

}  // namespace
}  // namespace catena::inference
