#include "retrieval/metadata_schema.h"

#include <catch2/catch.hpp>

namespace catena::retrieval {
namespace {

using Json = nlohmann::json;

MetadataSchema TestSchema() {
  return MetadataSchema::Create({{"lang", FieldType::kString},
                                 {"year", FieldType::kInt, true},
                                 {"score", FieldType::kFloat},
                                 {"draft", FieldType::kBool},
                                 {"tags", FieldType::kStringList},
                                 {"created", FieldType::kTimestamp}})
      .value();
}

TEST_CASE("metadata validation names the key and both types", "[unit]") {
  const MetadataSchema schema = TestSchema();
  CHECK(schema.Validate(Json{{"lang", "en"}, {"year", 2023}, {"other", {1, 2}}}).ok());
  const struct {
    Json metadata;
    std::string error;
  } cases[] = {
      {Json{{"year", "2023"}}, "metadata.year: expected int, got string \"2023\""},
      {Json{{"year", 2023.5}}, "metadata.year: expected int, got float 2023.5"},
      {Json{{"lang", 3}}, "metadata.lang: expected string, got int 3"},
      {Json{{"draft", nullptr}}, "metadata.draft: expected bool, got null"},
      {Json{{"tags", {"a", 1}}}, "metadata.tags: expected string_list, got list [\"a\",1]"},
      {Json{{"score", "high"}}, "metadata.score: expected float, got string \"high\""},
      {Json{{"created", true}}, "metadata.created: expected timestamp, got bool true"},
      {Json{{"created", "May 1"}},
       "metadata.created: \"May 1\" is not an RFC 3339 timestamp like \"2023-05-01T12:00:00Z\""},
      {Json{{"9lives", 1}}, "metadata: key \"9lives\" must match [A-Za-z_][A-Za-z0-9_.]{0,63}"},
      {Json{{std::string(65, 'k'), 1}},
       "metadata: key \"" + std::string(65, 'k') + "\" must match [A-Za-z_][A-Za-z0-9_.]{0,63}"},
      {Json::array({1}), "metadata: expected an object, got list [1]"},
  };
  for (const auto& c : cases) {
    INFO(c.metadata.dump());
    const absl::Status status = schema.Validate(c.metadata);
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(status.message()) == c.error);
  }
}

TEST_CASE("normalize turns whole doubles into ints and timestamps into unix milliseconds", "[unit]") {
  const MetadataSchema schema = TestSchema();
  const Json input = {
      {"year", 2023.0}, {"score", 3}, {"created", "2023-01-01T01:00:00+01:00"}, {"extra", 2.0}, {"lang", "en"}};
  const Json normalized = schema.Normalize(input).value();
  CHECK(normalized["year"].is_number_integer());
  CHECK(normalized["year"] == 2023);
  CHECK(normalized["score"].is_number_float());
  CHECK(normalized["created"] == int64_t{1672531200000});  // 2023-01-01T00:00:00Z
  CHECK(normalized["extra"].is_number_float());            // Undeclared keys are copied unchanged.
  CHECK(schema.Normalize(Json{{"created", 1672531200}}).value()["created"] == int64_t{1672531200000});
  CHECK(schema.Normalize(Json{{"created", 1.25}}).value()["created"] == 1250);
  CHECK(schema.Normalize(Json{{"created", "2023-01-01T00:00:00.5Z"}}).value()["created"] == int64_t{1672531200500});
  // Normalizing normalized metadata again (a document read back and upserted) changes nothing.
  CHECK(schema.Normalize(normalized).value() == normalized);
}

TEST_CASE("schemas reject invalid and duplicate field names", "[unit]") {
  CHECK(MetadataSchema::Create({{"a b", FieldType::kInt}}).status().message() ==
        "schema: field name 'a b' must match [A-Za-z_][A-Za-z0-9_.]{0,63}");
  CHECK(MetadataSchema::Create({{"a", FieldType::kInt}, {"a", FieldType::kBool}}).status().message() ==
        "schema: field 'a' is declared twice");
  CHECK(IsValidMetadataKey("doc.section_2"));
  CHECK_FALSE(IsValidMetadataKey(""));
}

}  // namespace
}  // namespace catena::retrieval
