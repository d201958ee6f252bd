#include "retrieval/filter.h"

#include <catch2/catch.hpp>

namespace catena::retrieval {
namespace {

using Json = nlohmann::json;

MetadataSchema TestSchema() {
  return MetadataSchema::Create({{"lang", FieldType::kString},
                                 {"year", FieldType::kInt},
                                 {"score", FieldType::kFloat},
                                 {"draft", FieldType::kBool},
                                 {"tags", FieldType::kStringList},
                                 {"created", FieldType::kTimestamp}})
      .value();
}

struct MatchCase {
  std::string expression;
  Json metadata;
  bool matches;
};

void CheckMatches(const MetadataSchema& schema, const std::vector<MatchCase>& cases) {
  for (const MatchCase& c : cases) {
    INFO(c.expression << " on " << c.metadata.dump());
    const absl::StatusOr<Filter> filter = Filter::Parse(c.expression, schema);
    REQUIRE(filter.ok());
    CHECK(filter->Matches(c.metadata) == c.matches);
  }
}

TEST_CASE("filters match metadata by the documented semantics", "[unit]") {
  const Json en2023 = {{"lang", "en"}, {"year", 2023}, {"tags", {"cards", "games"}}};
  CheckMatches(TestSchema(),
               {
                   {R"(lang == "en" and year >= 2023 and tags contains "cards")", en2023, true},
                   {R"(lang == "en" and year >= 2024 and tags contains "cards")", en2023, false},
                   {R"(lang == 'en')", Json{{"lang", "de"}}, false},
                   {R"(lang == "en")", Json::object(), false},
                   {R"(year != 2023)", Json::object(), false},  // Missing fields fail every comparison, != included.
                   {R"(year != 2023)", Json{{"year", 2022}}, true},
                   {R"(not (year == 2023))", Json::object(), true},  // ...but `not` flips the result.
                   {R"(lang in ["en", 'de'])", Json{{"lang", "de"}}, true},
                   {R"(lang in [])", Json{{"lang", "de"}}, false},
                   {R"(lang not in ["en"])", Json{{"lang", "fr"}}, true},
                   {R"(lang not in ["en"])", Json::object(), false},
                   {R"(lang contains "ngl")", Json{{"lang", "english"}}, true},  // Substring on string fields.
                   {R"(tags contains "card")", en2023, false},                   // Whole elements on lists.
                   {R"(has(tags))", en2023, true},
                   {R"(has(tags))", Json{{"tags", nullptr}}, false},  // null counts as missing.
                   {R"(not has(tags))", Json{{"lang", "en"}}, true},
                   {R"(lang == "en" or lang == "de" and year > 2000)", Json{{"lang", "en"}, {"year", 1990}}, true},
                   {R"((lang == "en" or lang == "de") and year > 2000)", Json{{"lang", "en"}, {"year", 1990}}, false},
                   {R"(not lang == "en" or year == 1)", Json{{"lang", "de"}}, true},
                   {R"(not not lang == "en")", Json{{"lang", "en"}}, true},
                   {R"(score > 0.5)", Json{{"score", 1}}, true},
                   {R"(score > 0.5)", Json{{"score", 0.25}}, false},
                   {R"(year > 2022.5)", en2023, true},
                   {R"(year == 2023.0)", en2023, true},
                   {R"(year > -5)", Json{{"year", -4}}, true},
                   {R"(draft == false)", Json{{"draft", false}}, true},
                   {R"(draft != true)", Json{{"draft", true}}, false},
                   {R"(created >= "2023-01-01T00:00:00Z")", Json{{"created", int64_t{1672531200000}}}, true},
                   {R"(created >= "2023-01-01T01:00:00+01:00")", Json{{"created", int64_t{1672531199999}}}, false},
                   {R"(created < 1672531200)", Json{{"created", int64_t{1672531199999}}}, true},      // Unix seconds.
                   {R"(created == 1672531200000)", Json{{"created", int64_t{1672531200000}}}, true},  // Millis.
                   {R"(lang == "a\"b")", Json{{"lang", "a\"b"}}, true},
                   {R"(lang == 'it\'s' or lang == "tab\there")", Json{{"lang", "tab\there"}}, true},
                   {R"(lang == "caf\u00e9")", Json{{"lang", "café"}}, true},
                   {R"(lang == "日本")", Json{{"lang", "日本"}}, true},
                   {R"(lang < "b")", Json{{"lang", "abc"}}, true},
                   {"lang == \"en\"\n  and year == 2023", en2023, true},
                   {R"(lang == "en")", Json::array({1}), false},  // Non-objects never match.
               });
}

TEST_CASE("with an empty schema any field is allowed and types are checked at match time", "[unit]") {
  CheckMatches(MetadataSchema(), {
                                     {R"(x == 1)", Json{{"x", 1.0}}, true},
                                     {R"(x == 1)", Json{{"x", "1"}}, false},
                                     {R"(x != 1)", Json{{"x", "1"}}, true},
                                     {R"(x < 1)", Json{{"x", "0"}}, false},
                                     {R"(x contains 2)", Json{{"x", {1, 2}}}, true},
                                     {R"(x in [1, "a", true])", Json{{"x", true}}, true},
                                     {R"(x.y == "z")", Json{{"x.y", "z"}}, true},
                                     {R"(has == 1)", Json{{"has", 1}}, true},  // `has` is only a keyword before '('.
                                     {R"(big > 1)", Json{{"big", uint64_t{18446744073709551615ull}}}, true},
                                 });
}

TEST_CASE("invalid filters are rejected with the position and a precise message", "[unit]") {
  const struct {
    std::string expression;
    std::string error;
  } cases[] = {
      {R"(lang == "en" and year >=)", "filter:1:25: expected a value after '>=' but found end of input"},
      {R"(yeer == 2023)", "filter:1:1: unknown field 'yeer' (did you mean 'year'?)"},
      {R"(colour == "red")", "filter:1:1: unknown field 'colour'"},
      {R"(year > "2023")", "filter:1:8: field 'year' is int but is compared with string \"2023\""},
      {R"(lang == "en)", "filter:1:9: unterminated string"},
      {R"(year == 12abc)", "filter:1:9: invalid number '12abc'"},
      {R"(year == 1.)", "filter:1:9: invalid number '1.'"},
      {R"(year == 1.2.3)", "filter:1:9: invalid number '1.2.3'"},
      {R"(year == 99999999999999999999)", "filter:1:9: number '99999999999999999999' is out of range"},
      {R"(lang = "en")", "filter:1:6: unexpected '=' (use '==' to compare)"},
      {R"(!has(lang))", "filter:1:1: unexpected '!' (use 'not' or '!=')"},
      {"", "filter:1:1: expected a condition but found end of input"},
      {"   ", "filter:1:4: expected a condition but found end of input"},
      {R"((lang == "en")", "filter:1:14: expected ')' to close the '(' at filter:1:1 but found end of input"},
      {R"(lang == "en" year == 1)", "filter:1:14: expected 'and', 'or' or end of input but found 'year'"},
      {R"(lang "en")",
       "filter:1:6: expected an operator (==, !=, <, <=, >, >=, in, not in, contains) after 'lang' but found "
       "string \"en\""},
      {R"(lang in "en")", "filter:1:9: expected a list like [\"a\", \"b\"] after 'in' but found string \"en\""},
      {R"(lang not in "en")",
       "filter:1:13: expected a list like [\"a\", \"b\"] after 'not in' but found string \"en\""},
      {R"(lang in ["en" "de"])", "filter:1:15: expected ',' or ']' in the list but found string \"de\""},
      {R"(lang in ["en",])", "filter:1:15: expected a value after ',' but found ']'"},
      {R"(tags == "x")", "filter:1:6: field 'tags' is string_list; use 'contains'"},
      {R"(year contains 3)", "filter:1:6: 'contains' needs a string or string_list field but 'year' is int"},
      {R"(draft < true)", "filter:1:7: '<' cannot compare bool values"},
      {R"(draft == "yes")", "filter:1:10: field 'draft' is bool but is compared with string \"yes\""},
      {R"(score in [1, "a"])", "filter:1:14: field 'score' is float but is compared with string \"a\""},
      {R"(lang == 3)", "filter:1:9: field 'lang' is string but is compared with int 3"},
      {R"(lang == "\q")", "filter:1:10: unknown escape '\\q' in string"},
      {R"(lang == "\u12")", "filter:1:10: '\\u' must be followed by 4 hex digits"},
      {R"(created > "yesterday")",
       "filter:1:11: \"yesterday\" is not an RFC 3339 timestamp like \"2023-05-01T12:00:00Z\""},
      {R"(and == 1)", "filter:1:1: expected a condition but found 'and'"},
      {R"(has(and))", "filter:1:5: expected a field name but found 'and'"},
      {R"(has(lang)", "filter:1:9: expected ')' after the field name in has() but found end of input"},
      {R"(lang == "en" and)", "filter:1:17: expected a condition but found end of input"},
      {R"(lang == "en" $)", "filter:1:14: unexpected character '$'"},
      {"lang == é", "filter:1:9: unexpected byte 0xc3"},
      {"year == 1 and\n  lang ==", "filter:2:10: expected a value after '==' but found end of input"},
      {R"(lang == ["en"])", "filter:1:9: expected a value after '==' but found '['"},
      {R"(not)", "filter:1:4: expected a condition but found end of input"},
      {R"(lang == "en" or (year == 1 and))", "filter:1:31: expected a condition but found ')'"},
  };
  const MetadataSchema schema = TestSchema();
  for (const auto& c : cases) {
    INFO(c.expression);
    const absl::StatusOr<Filter> filter = Filter::Parse(c.expression, schema);
    REQUIRE_FALSE(filter.ok());
    CHECK(filter.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(filter.status().message()) == c.error);
  }
}

TEST_CASE("filters enforce the length and nesting limits without exhausting the stack", "[unit]") {
  const MetadataSchema schema;
  std::string long_chain = "a == 1";
  while (long_chain.size() < kMaxFilterLength - 20) long_chain += " or a == 1";
  CHECK(Filter::Parse(long_chain, schema).ok());
  CHECK(Filter::Parse(std::string(5000, ' '), schema).status().message() ==
        "filter: expression is 5000 bytes; the limit is 4096");
  const std::string ok_nesting = std::string(63, '(') + "a == 1" + std::string(63, ')');
  REQUIRE(Filter::Parse(ok_nesting, schema).ok());
  CHECK(Filter::Parse(ok_nesting, schema)->Matches(Json{{"a", 1}}));
  CHECK(Filter::Parse(std::string(2000, '(') + "a == 1", schema).status().message() ==
        "filter:1:65: expression nests deeper than 64 levels");
  std::string nots;
  for (int i = 0; i < 1000; ++i) nots += "not ";
  CHECK(Filter::Parse(nots + "a == 1", schema).status().message() ==
        "filter:1:257: expression nests deeper than 64 levels");
}

TEST_CASE("fields lists each mentioned field once in order", "[unit]") {
  const Filter filter = Filter::Parse(R"(year > 1 and (lang == "en" or has(tags)) and year < 3)", TestSchema()).value();
  CHECK(filter.Fields() == std::vector<std::string>{"year", "lang", "tags"});
  CHECK(filter.expression() == R"(year > 1 and (lang == "en" or has(tags)) and year < 3)");
}

}  // namespace
}  // namespace catena::retrieval
