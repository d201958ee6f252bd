// Tests for common/template: the Jinja2-compatible template and expression engine. Unit tests per feature,
// error messages with positions, resource limits, and the differential corpus whose goldens come from the
// reference jinja2 (tests/common/make_template_goldens.py).
#include "common/template/template.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.h"

namespace catena::tmpl {
namespace {

using catena::testing::ReadFile;

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// Renders `source` with `context`; fails the test on any error.
std::string Render(std::string_view source, const Json& context = Json::object(), TemplateOptions options = {}) {
  absl::StatusOr<Template> tmpl = Template::Parse(source, std::move(options));
  INFO(source);
  REQUIRE(tmpl.ok());
  absl::StatusOr<std::string> out = tmpl->Render(context);
  INFO(out.status().ToString());
  REQUIRE(out.ok());
  return *out;
}

// The parse or render error of `source` (OK when both succeed).
absl::Status RenderStatus(std::string_view source, const Json& context = Json::object(), TemplateOptions options = {}) {
  absl::StatusOr<Template> tmpl = Template::Parse(source, std::move(options));
  if (!tmpl.ok()) return tmpl.status();
  return tmpl->Render(context).status();
}

std::string Message(const absl::Status& status) { return std::string(status.message()); }

TEST_CASE("template prints variables, attributes and indices", "[unit][template]") {
  const Json ctx = Json::parse(R"({"name": "world", "user": {"name": "Ada", "tags": ["a", "b"]}, "xs": [1, 2, 3]})");
  CHECK(Render("Hello {{ name }}!", ctx) == "Hello world!");
  CHECK(Render("{{ user.name }} {{ user['name'] }} {{ user.tags[1] }} {{ xs[-1] }} {{ xs.0 }}", ctx) ==
        "Ada Ada b 3 1");
  CHECK(Render("{{ inputs.question }}", Json::parse(R"({"inputs": {"question": "why?"}})")) == "why?");
}

TEST_CASE("printing follows Python: True/False/None, float repr and repr of containers", "[unit][template]") {
  CHECK(Render("{{ true }} {{ false }} {{ none }} {{ 1.0 }} {{ 0.5 }} {{ 1e16 }} {{ 1/3 }}") ==
        "True False None 1.0 0.5 1e+16 0.3333333333333333");
  CHECK(Render("{{ [1, 'a', none, true, 2.5] }}") == "[1, 'a', None, True, 2.5]");
  CHECK(Render("{{ {'k': [\"it's\"], 'n': {}} }} {{ (1,) }} {{ (1, 2) }}") == "{'k': [\"it's\"], 'n': {}} (1,) (1, 2)");
  CHECK(FormatFloat(-0.0) == "-0.0");
  CHECK(FormatFloat(1234567890123456.0) == "1234567890123456.0");
  CHECK(FormatFloat(0.0001) == "0.0001");
  CHECK(FormatFloat(0.00001) == "1e-05");
}

TEST_CASE("values convert to and from JSON keeping object order", "[unit][template]") {
  const Json json = Json::parse(R"({"z": 1, "a": [true, null, 2.5, "s"], "m": {"y": {}, "x": []}})");
  const Value value = Value::FromJson(json);
  REQUIRE(value.is_dict());
  CHECK(value.map().entries().front().first.string_value() == "z");
  absl::StatusOr<nlohmann::ordered_json> back = ToOrderedJson(value);
  REQUIRE(back.ok());
  CHECK(back->dump() == json.dump());
  CHECK_FALSE(ToJson(Value::Undefined("x")).ok());
  CHECK(Render("{% for k in m %}{{ k }}{% endfor %}", json) == "yx");
}

// ToJsonText must write exactly what dumping ToOrderedJson writes (checkpoint states and events rely on it).
TEST_CASE("values write JSON text exactly as dumping their ordered JSON does", "[unit][template]") {
  const auto dumped = [](const Value& v) -> std::string {
    absl::StatusOr<Json> json = ToOrderedJson(v);
    return json.ok() ? json->dump(-1, ' ', false, Json::error_handler_t::replace) : "error";
  };
  const auto written = [](const Value& v) -> std::string {
    absl::StatusOr<std::string> text = ToJsonText(v);
    return text.ok() ? *text : "error";
  };
  const std::vector<std::string> strings = {"",
                                            "plain",
                                            "quote \" back \\ slash /",
                                            std::string("nul\0x", 5),
                                            "\b\f\n\r\t\x01\x1f\x7f",
                                            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                                            "bad \xff end",
                                            "cut \xe2\x82",
                                            "overlong \xc0\xaf",
                                            "surrogate \xed\xa0\x80",
                                            "past \xf4\x90\x80\x80",
                                            "lone \x80\x80 x"};
  std::vector<Value> scalars = {Value::None(),    Value(true),         Value(false),  Value(int64_t{0}),
                                Value(INT64_MIN), Value(INT64_MAX),    Value(0.1),    Value(-0.0),
                                Value(1.0),       Value(1e300),        Value(5e-324), Value(std::nan("")),
                                Value(-INFINITY), Value(123456789.125)};
  for (const std::string& text : strings) scalars.push_back(Value(text));
  for (const Value& scalar : scalars) CHECK(written(scalar) == dumped(scalar));

  std::mt19937 rng(7);
  const std::function<Value(int)> random_value = [&](int depth) -> Value {
    const int kind = static_cast<int>(rng() % (depth > 3 ? 4 : 7));
    if (kind < 4) return scalars[rng() % scalars.size()];
    if (kind == 4) {
      std::vector<Value> items;
      for (int n = static_cast<int>(rng() % 4); n > 0; --n) items.push_back(random_value(depth + 1));
      return Value::List(std::move(items));
    }
    Value map = Value::Dict();
    for (int n = static_cast<int>(rng() % 4); n > 0; --n) {
      if (kind == 6 && rng() % 3 == 0) {  // non-string keys, which may repeat one as text
        (void)map.map().SetKey(Value(static_cast<int64_t>(rng() % 3)), random_value(depth + 1));
      } else {
        map.map().Set(strings[rng() % strings.size()], random_value(depth + 1));
      }
    }
    return map;
  };
  for (int i = 0; i < 500; ++i) {
    const Value value = random_value(0);
    INFO(dumped(value));
    CHECK(written(value) == dumped(value));
  }
  CHECK(written(Value::List({Value(1), Value::Undefined("x")})) == "error");
}

TEST_CASE("arithmetic follows Python semantics", "[unit][template]") {
  CHECK(Render("{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 7.5 // 2 }}") ==
        "3 -4 2 3.5 1024 0.5 3.0");
  CHECK(Render("{{ 'ab' * 2 }} {{ [1] + [2] }} {{ 'a' ~ 1 ~ none }} {{ -(3) }}") == "abab [1, 2] a1None -3");
  CHECK(Message(RenderStatus("{{ 1 / 0 }}")) == "template:1:6: division by zero");
  CHECK(Message(RenderStatus("{{ 1 + 'a' }}")).find("unsupported operand type(s) for +: 'int' and 'str'") !=
        std::string::npos);
  CHECK_FALSE(RenderStatus("{{ 9223372036854775807 + 1 }}").ok());
}

TEST_CASE("comparisons, membership and boolean operators follow Python", "[unit][template]") {
  CHECK(Render("{{ 1 == 1.0 }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'a' in 'cat' }} {{ 2 not in [1] }}") ==
        "True True False True True");
  CHECK(Render("{{ 0 or 'x' }} {{ 'a' and 'b' }} {{ not none }} {{ 'y' if 0 else 'n' }}") == "x b True n");
  CHECK_FALSE(RenderStatus("{{ 'a' < 1 }}").ok());
}

TEST_CASE("filters bind tighter than arithmetic and comparisons", "[unit][template]") {
  const Json ctx = Json::parse(R"({"nodes": {"search": {"documents": []}}})");
  CHECK(Render("{{ nodes.search.documents | length == 0 }}", ctx) == "True");
  CHECK(Render("{{ -3 | abs }} {{ 1 + [1, 2] | length }} {{ 'x' | upper ~ 'y' }}") == "3 3 Xy");
}

TEST_CASE("if, elif and else pick the first true branch", "[unit][template]") {
  const std::string tmpl = "{% if n > 10 %}big{% elif n > 0 %}small{% else %}none{% endif %}";
  CHECK(Render(tmpl, Json{{"n", 11}}) == "big");
  CHECK(Render(tmpl, Json{{"n", 3}}) == "small");
  CHECK(Render(tmpl, Json{{"n", 0}}) == "none");
}

TEST_CASE("for loops expose loop variables and support else, filters and unpacking", "[unit][template]") {
  CHECK(Render("{% for x in 'abc' %}{{ loop.index }}{{ x }}{{ loop.revindex0 }}{% if not loop.last %},{% endif %}"
               "{% endfor %}") == "1a2,2b1,3c0");
  CHECK(Render("{% for x in [] %}x{% else %}empty{% endfor %}") == "empty");
  CHECK(Render("{% for x in range(6) if x is even %}{{ x }}/{{ loop.length }} {% endfor %}") == "0/3 2/3 4/3 ");
  CHECK(Render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", Json::parse(R"({"d": {"b": 1, "a": 2}})")) ==
        "b=1;a=2;");
  CHECK(Render("{% for x in [1, 2, 3] %}{{ loop.previtem }}<{{ x }}>{{ loop.nextitem }} {% endfor %}") ==
        "<1>2 1<2>3 2<3> ");
  CHECK(Message(RenderStatus("{% for a, b in [[1]] %}{% endfor %}")).find("not enough values to unpack") !=
        std::string::npos);
  CHECK(Message(RenderStatus("{% for x in 5 %}{% endfor %}")).find("'int' object is not iterable") !=
        std::string::npos);
}

TEST_CASE("break and continue control the innermost loop", "[unit][template]") {
  CHECK(Render("{% for x in range(10) %}{% if x is odd %}{% continue %}{% endif %}{% if x > 5 %}{% break %}"
               "{% endif %}{{ x }}{% endfor %}") == "024");
  CHECK(Message(RenderStatus("{% break %}")) == "template:1:4: 'break' outside of a loop");
}

TEST_CASE("set inside a loop does not leak but namespace attributes do", "[unit][template]") {
  CHECK(Render("{% set x = 1 %}{% for i in [1, 2] %}{% set x = x + i %}{{ x }}{% endfor %}{{ x }}") == "231");
  CHECK(Render("{% set ns = namespace(n=0) %}{% for i in [1, 2] %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}") ==
        "3");
  CHECK(Message(RenderStatus("{% set d = {} %}{% set d.x = 1 %}")).find("non-namespace") != std::string::npos);
  CHECK(Render("{% if true %}{% set y = 'kept' %}{% endif %}{{ y }}") == "kept");
}

TEST_CASE("macros take defaults, keywords, varargs, kwargs and a caller", "[unit][template]") {
  CHECK(Render("{% macro m(a, b=a * 2) %}{{ a }}-{{ b }}{% endmacro %}{{ m(2) }} {{ m(b=1, a=3) }}") == "2-4 3-1");
  CHECK(Render("{% macro m() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, k=2) }}") == "(1,){'k': 2}");
  CHECK(Render("{% macro box() %}[{{ caller('x') }}]{% endmacro %}{% call(v) box() %}<{{ v }}>{% endcall %}") ==
        "[<x>]");
  CHECK(Message(RenderStatus("{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}")) ==
        "template:1:34: macro 'm' takes not more than 1 argument(s)");
  CHECK(Message(RenderStatus("{% macro m(a) %}{% endmacro %}{{ m(b=1) }}")).find("no keyword argument 'b'") !=
        std::string::npos);
}

TEST_CASE("whitespace control, trim_blocks and lstrip_blocks match jinja2", "[unit][template]") {
  CHECK(Render("a  {%- if true -%}  b  {%- endif -%}  c") == "abc");
  CHECK(Render("a {{- 'b' -}} c") == "abc");
  TemplateOptions chat = ChatTemplateOptions();
  CHECK(Render("x\n  {% if true %}\n  y\n  {% endif %}\nz", Json::object(), chat) == "x\n  y\nz");
  TemplateOptions trim;
  trim.trim_blocks = true;
  CHECK(Render("{% if true %}\nline\n{% endif %}\n{{ 'v' }}\nend", Json::object(), trim) == "line\nv\nend");
  CHECK(Render("  {%+ if true %}x{% endif %}", Json::object(), chat) == "  x");
}

TEST_CASE("a single trailing newline is dropped unless keep_trailing_newline", "[unit][template]") {
  CHECK(Render("a\n") == "a");
  CHECK(Render("a\n\n") == "a\n");
  TemplateOptions keep;
  keep.keep_trailing_newline = true;
  CHECK(Render("a\n", Json::object(), keep) == "a\n");
  CHECK(Render("a\r\nb\rc") == "a\nb\nc");
}

TEST_CASE("raw blocks print tags literally and comments print nothing", "[unit][template]") {
  CHECK(Render("{% raw %}{{ x }}{% if %}{% endraw %}") == "{{ x }}{% if %}");
  CHECK(Render("a{# {{ x }} #}b{#- c -#} d") == "abd");
  CHECK(Message(RenderStatus("{# never closed")) == "template:1:1: unclosed comment: missing '#}'");
}

TEST_CASE("string filters match jinja2", "[unit][template]") {
  CHECK(Render("{{ ' Hi ' | trim | upper }} {{ 'hELLO wORLD' | capitalize }} {{ 'a-b c' | title }}") ==
        "HI Hello world A-B C");
  CHECK(Render("{{ 'aaa' | replace('a', 'b', 2) }} {{ 'x' | center(5) }}| {{ '%s+%s' | format(1, 2) }}") ==
        "bba   x  | 1+2");
  CHECK(Render("{{ 'one two three four' | truncate(9) }} {{ 'a b  c' | wordcount }} {{ '<&>' | e }}") ==
        "one... 3 &lt;&amp;&gt;");
  CHECK(Render("{{ 'a\nb' | indent(2) }}|{{ 'a\nb' | indent(2, true) }}") == "a\n  b|  a\n  b");
  CHECK(Render("{{ 'naïve café' | upper }} {{ 'ΣΟΦΊΑ' | lower }}") == "NAÏVE CAFÉ σοφία");
  CHECK(Render("{{ '3.7' | int }} {{ 'x' | int(5) }} {{ '2.5' | float }} {{ 2.5 | round }} {{ 2.675 | round(2) }}") ==
        "3 5 2.5 2.0 2.67");
  CHECK(Render("{{ u | default('d') }} {{ '' | default('e', true) }} {{ none | d('kept') }}") == "d e None");
}

TEST_CASE("sequence filters match jinja2", "[unit][template]") {
  const Json ctx = Json::parse(R"({"people": [{"n": "b", "a": 2}, {"n": "a", "a": 1}, {"n": "c", "a": 2}]})");
  CHECK(Render("{{ people | map(attribute='n') | join(',') }} {{ people | sort(attribute='a') | first }}", ctx) ==
        "b,a,c {'n': 'a', 'a': 1}");
  CHECK(Render("{{ people | selectattr('a', 'equalto', 2) | map(attribute='n') | list }}", ctx) == "['b', 'c']");
  CHECK(Render("{{ people | rejectattr('a', 'gt', 1) | list | length }} {{ people | sum(attribute='a') }}", ctx) ==
        "1 5");
  CHECK(
      Render(
          "{{ [3, 1, 2] | sort(reverse=true) }} {{ ['b', 'A', 'a'] | unique | list }} {{ [1, 2] | reverse | list }}") ==
      "[3, 2, 1] ['b', 'A'] [2, 1]");
  CHECK(Render("{{ [1, 2, 3] | select('odd') | list }} {{ ['a'] | map('upper') | list }} {{ [4, 9] | max }}") ==
        "[1, 3] ['A'] 9");
  CHECK(Render("{{ {'b': 1, 'a': 2} | dictsort }} {{ [1, 2, 3] | batch(2) | list }} {{ 'ab' | list }}") ==
        "[('a', 2), ('b', 1)] [[1, 2], [3]] ['a', 'b']");
  CHECK(Message(RenderStatus("{{ [1] | map('nope') | list }}")).find("unknown filter 'nope'") != std::string::npos);
}

TEST_CASE("tojson follows jinja2 by default and transformers in chat mode", "[unit][template]") {
  const Json ctx = Json::parse(R"({"d": {"b": "<é>", "a": [1, 2.0, null]}})");
  CHECK(Render("{{ d | tojson }}", ctx) == R"({"a": [1, 2.0, null], "b": "\u003c\u00e9\u003e"})");
  CHECK(Render("{{ d | tojson(indent=1) }}", ctx) ==
        "{\n \"a\": [\n  1,\n  2.0,\n  null\n ],\n \"b\": \"\\u003c\\u00e9\\u003e\"\n}");
  TemplateOptions hf = ChatTemplateOptions();
  CHECK(Render("{{ d | tojson }}", ctx, hf) == R"({"b": "<é>", "a": [1, 2.0, null]})");
  CHECK(Render("{{ d | tojson(separators=(',', ':'), sort_keys=true) }}", ctx, hf) ==
        R"({"a":[1,2.0,null],"b":"<é>"})");
  CHECK(Message(RenderStatus("{{ missing | tojson }}")).find("not JSON serializable") != std::string::npos);
}

TEST_CASE("tests answer jinja2's is-questions", "[unit][template]") {
  CHECK(Render("{{ x is defined }} {{ y is defined }} {{ y is undefined }} {{ none is none }} {{ x is not none }}",
               Json{{"x", 1}}) == "True False True True True");
  CHECK(Render("{{ 's' is string }} {{ {} is mapping }} {{ [] is iterable }} {{ 1 is number }} {{ 1.0 is integer }}") ==
        "True True True True False");
  CHECK(Render("{{ 1.5 is float }} {{ true is boolean }} {{ false is false }} {{ range is callable }}") ==
        "True True True True");
  CHECK(Render("{{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 2 is in [2] }} {{ 2 is eq 2 }}") ==
        "True True True True True");
  CHECK(Render("{{ 'ab' is lower }} {{ 'AB' is upper }} {{ 2 is equalto(3) }} {{ 1 is sameas 1 }}") ==
        "True True False True");
  CHECK(Message(RenderStatus("{{ x is nonsense }}")) == "template:1:9: unknown test 'nonsense'");
}

TEST_CASE("string, dict and list methods behave like Python's", "[unit][template]") {
  CHECK(Render("{{ ' x '.strip() }}|{{ 'a,b,c'.split(',', 1) }}|{{ ' a  b '.split() }}|{{ 'ab'.startswith('a') }}") ==
        "x|['a', 'b,c']|['a', 'b']|True");
  CHECK(Render("{{ 'x-y'.replace('-', '+') }} {{ '{}:{}'.format(1, 'a') }} {{ '-'.join(['a', 'b']) }}") ==
        "x+y 1:a a-b");
  CHECK(Render("{{ d.get('a') }} {{ d.get('z', 0) }} {{ d.keys() | list }} {{ d.values() | list }}",
               Json::parse(R"({"d": {"a": 1}})")) == "1 0 ['a'] [1]");
  CHECK(Render("{% set xs = [] %}{% set _ = xs.append(1) %}{% do xs.append(2) %}{{ xs }} {{ xs.pop() }} {{ xs }}") ==
        "[1, 2] 2 [1]");
}

TEST_CASE("undefined values are lenient by default", "[unit][template]") {
  CHECK(Render("[{{ missing }}][{{ obj.nope }}][{{ missing | length }}][{{ missing is defined }}]",
               Json{{"obj", Json::object()}}) == "[][][0][False]");
  CHECK(Render("{% for x in missing %}x{% endfor %}{% if missing %}x{% endif %}ok") == "ok");
  CHECK(Message(RenderStatus("{{ missing.attr }}")) == "template:1:4: 'missing' is undefined");
  CHECK(Message(RenderStatus("{{ obj.a.b }}", Json{{"obj", Json::object()}})) == "template:1:4: 'obj.a' is undefined");
}

TEST_CASE("strict_undefined fails with the missing variable path", "[unit][template]") {
  TemplateOptions strict;
  strict.name = "prompt";
  strict.strict_undefined = true;
  const Json ctx = Json::parse(R"({"inputs": {"question": "q"}})");
  CHECK(Message(RenderStatus("Q: {{ inputs.questoin }}", ctx, strict)) == "prompt:1:7: 'inputs.questoin' is undefined");
  CHECK(Message(RenderStatus("{% if nodes %}x{% endif %}", ctx, strict)) == "prompt:1:7: 'nodes' is undefined");
  CHECK(Message(RenderStatus("{{ inputs['x'] ~ 'y' }}", ctx, strict)) == "prompt:1:4: 'inputs['x']' is undefined");
  CHECK(Render("{{ inputs.question }} {{ nope is defined }} {{ nope | default('d') }}", ctx, strict) == "q False d");
}

TEST_CASE("syntax errors name the template, line and column", "[unit][template]") {
  TemplateOptions options;
  options.name = "prompt";
  auto error = [&](std::string_view source) { return Message(Template::Parse(source, options).status()); };
  CHECK(error("Hello\n{{ x }}\n{{ docs | lenght }}") == "prompt:3:11: unknown filter 'lenght'");
  CHECK(error("a\n{% for x in xs %}\n{{ x }}") ==
        "prompt:2:1: unclosed 'for' block: expected 'endfor' or 'else' before the end of the template");
  CHECK(error("{% if x %}{% endfor %}") ==
        "prompt:1:14: unexpected 'endfor': expected 'elif' or 'else' or 'endif' to close the 'if' block opened at line "
        "1");
  CHECK(error("{% frobnicate %}") == "prompt:1:4: unknown tag 'frobnicate'");
  CHECK(error("{{ 1 + }}") == "prompt:1:8: expected an expression, got end of print statement");
  CHECK(error("{{ 'open }}") == "prompt:1:4: unterminated string literal");
  CHECK(error("{{ (1 }}") == "prompt:1:7: unexpected '}', expected ')'");
  CHECK(error("x {{ y") == "prompt:1:3: unclosed variable tag: missing '}}'");
  CHECK(Template::Parse("{{ x }").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("raise_exception fails the render with its message", "[unit][template]") {
  TemplateOptions options;
  options.name = "chat";
  const absl::Status status =
      RenderStatus("ok\n  {{ raise_exception('Roles must alternate') }}", Json::object(), options);
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(Message(status) == "chat:2:6: Roles must alternate");
}

TEST_CASE("limits stop runaway templates instead of hanging or crashing", "[unit][template]") {
  TemplateOptions small;
  small.max_output_bytes = 1000;
  const absl::Status big = RenderStatus("{% for i in range(100) %}{{ 'x' * 20 }}{% endfor %}", Json::object(), small);
  CHECK(big.code() == absl::StatusCode::kResourceExhausted);
  CHECK(RenderStatus("{{ 'x' * 100000000000 }}").code() == absl::StatusCode::kResourceExhausted);
  CHECK(RenderStatus("{{ range(100000000000) | length }}").code() == absl::StatusCode::kResourceExhausted);
  TemplateOptions few_loops;
  few_loops.max_loop_iterations = 50000;
  const absl::Status loops = RenderStatus(
      "{% for i in range(100000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}", Json::object(), few_loops);
  CHECK(loops.code() == absl::StatusCode::kResourceExhausted);
  CHECK(Message(loops) == "template:1:29: loop iterations exceed max_loop_iterations (limit 50000)");
  const absl::Status deep = RenderStatus("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
  CHECK(deep.code() == absl::StatusCode::kResourceExhausted);
  CHECK(Message(deep).find("recursion depth") != std::string::npos);
  CHECK(Template::Parse("{{ " + std::string(5000, '(') + std::string(5000, ')') + " }}").status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(Template::Parse("{{ " + std::string(5000, '[') + " }}").status().code() == absl::StatusCode::kInvalidArgument);
  std::string chain = "{{ 1";
  for (int i = 0; i < 20000; ++i) chain += " + 1";
  CHECK(Message(Template::Parse(chain + " }}").status()).find("nests too deeply") != std::string::npos);
  CHECK(Render("{% set ns = namespace(x=[], t=()) %}{% for i in range(200000) %}{% set ns.x = [ns.x] %}"
               "{% set ns.t = (ns.t,) %}{% endfor %}{{ ns.x | length }} {{ (ns.x | string)[:4] }}") == "1 [[[[");
  CHECK(Message(RenderStatus("{% set ns = namespace(t=()) %}{% for i in range(1000) %}{% set ns.t = (ns.t,) %}"
                             "{% endfor %}{{ {ns.t: 1} }}"))
            .find("unhashable") != std::string::npos);
}

TEST_CASE("malformed and random input returns errors without crashing", "[unit][template]") {
  for (std::string_view source : {"{%", "{{", "{#", "{% if %}", "{% for %}", "{% for x in %}", "{% set %}",
                                  "{% macro %}", "{{ a[ }}", "{{ a. }}", "{{ | f }}", "{% endif %}", "{{ x is }}",
                                  "{% raw %}", "{{ 'a' 'b }}", "{% call %}", "{{ {1: } }}", "{{ ** }}"}) {
    INFO(source);
    CHECK_FALSE(RenderStatus(source).ok());
  }
  std::mt19937 rng(42);
  const std::string alphabet = "{}%#-+()[]'\"|.,: =<>*~abcxyz019\n\\ifendforsetmacro";
  for (int round = 0; round < 2000; ++round) {
    std::string source;
    const int length = static_cast<int>(rng() % 40);
    for (int i = 0; i < length; ++i) source.push_back(alphabet[rng() % alphabet.size()]);
    absl::StatusOr<Template> tmpl = Template::Parse(source);
    if (tmpl.ok()) (void)tmpl->Render(Json{{"a", 1}, {"x", Json::array({1, 2})}});
  }
  SUCCEED("no crash on 2000 random templates");
}

TEST_CASE("ReferencedVariables lists the context names a template reads", "[unit][template]") {
  absl::StatusOr<Template> tmpl = Template::Parse(
      "{{ inputs.question }}{% set local = 1 %}{{ local }}{% for d in docs %}{{ d }}{{ loop.index }}{% endfor %}"
      "{% macro m(p) %}{{ p }}{{ outer }}{% endmacro %}{{ range(3) | list }}{{ inputs.other }}");
  REQUIRE(tmpl.ok());
  CHECK(tmpl->ReferencedVariables() == std::vector<std::string>{"inputs", "docs", "outer"});
}

TEST_CASE("Expression evaluates pipeline conditions", "[unit][template]") {
  const Value ctx = Value::FromJson(Json::parse(R"({"nodes": {"search": {"documents": []}}, "n": 3})"));
  absl::StatusOr<Expression> expr = Expression::Parse("{{ nodes.search.documents | length == 0 }}");
  REQUIRE(expr.ok());
  absl::StatusOr<Value> value = expr->Evaluate(ctx);
  REQUIRE(value.ok());
  CHECK(value->is_bool());
  CHECK(value->bool_value());
  absl::StatusOr<Expression> math = Expression::Parse("n * 2 + 1");
  REQUIRE(math.ok());
  CHECK(math->Evaluate(ctx)->int_value() == 7);
  CHECK(math->ReferencedVariables() == std::vector<std::string>{"n"});
  TemplateOptions strict;
  strict.name = "condition";
  strict.strict_undefined = true;
  absl::StatusOr<Expression> missing = Expression::Parse("nodes.retrieve.ok", strict);
  REQUIRE(missing.ok());
  CHECK(Message(missing->EvaluateCondition(ctx).status()) == "condition:1:1: 'nodes.retrieve' is undefined");
  absl::StatusOr<Expression> leaf = Expression::Parse("nodes.search.ok", strict);
  REQUIRE(leaf.ok());
  CHECK(Message(leaf->EvaluateCondition(ctx).status()) == "condition:1:1: 'nodes.search.ok' is undefined");
  CHECK(Message(Expression::Parse("n +", strict).status()) ==
        "condition:1:4: expected an expression, got end of template");
  CHECK_FALSE(Expression::Parse("n n").ok());
}

TEST_CASE("callers can register extra global functions", "[unit][template]") {
  TemplateOptions options;
  options.globals["strftime_now"] = Value::Function("strftime_now", [](const CallArgs& args) -> absl::StatusOr<Value> {
    if (args.positional.size() != 1 || !args.positional[0].is_string()) {
      return absl::InvalidArgumentError("strftime_now expects a format");
    }
    return Value("26 Jul 2024");
  });
  options.globals["model"] = Value("catena-1");
  CHECK(Render("{{ strftime_now('%d %b %Y') }} {{ model }}", Json::object(), options) == "26 Jul 2024 catena-1");
  CHECK(Message(RenderStatus("{{ strftime_now() }}", Json::object(), options)) ==
        "template:1:4: strftime_now expects a format");
  absl::StatusOr<Template> tmpl = Template::Parse("{{ strftime_now('%Y') }}{{ x }}", options);
  REQUIRE(tmpl.ok());
  CHECK(tmpl->ReferencedVariables() == std::vector<std::string>{"x"});
  options.globals["items"] = Value::List({Value(1)});
  absl::StatusOr<Template> mutating = Template::Parse("{% do items.append(2) %}{{ items }}", options);
  REQUIRE(mutating.ok());
  CHECK(*mutating->Render(Json::object()) == "[1, 2]");
  CHECK(*mutating->Render(Json::object()) == "[1, 2]");
}

TEST_CASE("default-constructed templates and expressions are empty", "[unit][template]") {
  Template empty;
  CHECK(*empty.Render(Json::object()) == "");
  CHECK(empty.ReferencedVariables().empty());
  Expression none;
  CHECK(none.Evaluate(Value::Dict())->is_none());
}

TEST_CASE("templates are cheap to copy and render concurrently", "[unit][template]") {
  absl::StatusOr<Template> parsed =
      Template::Parse("{% macro item(x) %}<{{ x }}>{% endmacro %}{% for i in range(n) %}{{ item(i) }}{% endfor %}");
  REQUIRE(parsed.ok());
  std::vector<std::string> results(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([copy = *parsed, t, &results] {
      for (int round = 0; round < 50; ++round) {
        absl::StatusOr<std::string> out = copy.Render(Json{{"n", t}});
        results[static_cast<size_t>(t)] = out.ok() ? *out : std::string(out.status().message());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(results[0].empty());
  CHECK(results[3] == "<0><1><2>");
  CHECK(results[7] == "<0><1><2><3><4><5><6>");
}

TEST_CASE("a Value context may carry callables", "[unit][template]") {
  Value ctx = Value::Dict();
  ctx.map().Set("greet", Value::Function("greet", [](const CallArgs& args) -> absl::StatusOr<Value> {
                  return Value("hi " + ToStr(args.positional.at(0)));
                }));
  absl::StatusOr<Template> tmpl = Template::Parse("{{ greet('bob') }}");
  REQUIRE(tmpl.ok());
  CHECK(*tmpl->Render(ctx) == "hi bob");
  CHECK_FALSE(tmpl->Render(Value::List()).ok());
}

// Options of a corpus case from <case>.options.json (the keys make_template_goldens.py understands).
TemplateOptions CorpusOptions(const fs::path& stem) {
  TemplateOptions options;
  options.name = stem.filename().string();
  const fs::path path = stem.string() + ".options.json";
  if (!fs::exists(path)) return options;
  const Json json = Json::parse(ReadFile(path));
  options.trim_blocks = json.value("trim_blocks", false);
  options.lstrip_blocks = json.value("lstrip_blocks", false);
  options.keep_trailing_newline = json.value("keep_trailing_newline", false);
  options.strict_undefined = json.value("strict_undefined", false);
  if (json.value("hf_tojson", false)) options.tojson_style = JsonStyle::kHuggingFace;
  return options;
}

TEST_CASE("the conformance corpus renders byte-for-byte like jinja2", "[unit][template]") {
  const fs::path dir = fs::path(CATENA_SOURCE_DIR) / "tests/common/data/templates";
  REQUIRE(fs::is_directory(dir));
  int cases = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".jinja") continue;
    const fs::path stem = entry.path().parent_path() / entry.path().stem();
    ++cases;
    const fs::path json_path = stem.string() + ".json";
    const Json context = fs::exists(json_path) ? Json::parse(ReadFile(json_path)) : Json::object();
    const absl::Status status = RenderStatus(ReadFile(entry.path()), context, CorpusOptions(stem));
    INFO("case " << stem.filename().string() << ": " << status.ToString());
    if (fs::exists(stem.string() + ".error")) {
      CHECK_FALSE(status.ok());
      continue;
    }
    REQUIRE(fs::exists(stem.string() + ".expected"));
    absl::StatusOr<Template> tmpl = Template::Parse(ReadFile(entry.path()), CorpusOptions(stem));
    REQUIRE(tmpl.ok());
    absl::StatusOr<std::string> out = tmpl->Render(context);
    REQUIRE(out.ok());
    CHECK(*out == ReadFile(stem.string() + ".expected"));
  }
  CHECK(cases >= 40);
}

}  // namespace
}  // namespace catena::tmpl
