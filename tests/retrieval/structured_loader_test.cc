#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "retrieval/document_loader.h"
#include "tests/retrieval/loader_test_util.h"

namespace catena::retrieval {
namespace {

using nlohmann::json;

std::string ErrorOf(const std::string& source, const std::string& content, const LoaderOptions& options = {}) {
  auto documents = LoadDocument(source, content, options);
  REQUIRE_FALSE(documents.ok());
  CHECK(documents.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(documents.status().message());
}

TEST_CASE("csv rows become documents with typed metadata", "[unit]") {
  const std::string csv =
      "id,text,score,active,zip,note\r\n"
      "1,\"Hello, world\",3.5,true,02139,plain\r\n"
      "2,\"She said \"\"hi\"\"\r\nthen left\",-7,FALSE,10001,\r\n"
      "\r\n"
      "3,,1,true,1,empty text is skipped\r\n"
      "4,Last row,1e3,yes,0,\"multi\nline\"";
  const std::vector<LoadedDocument> documents = MustLoad("data.csv", csv);
  REQUIRE(documents.size() == 3);
  CHECK(documents[0].text == "Hello, world");
  CHECK(documents[0].position == "row 1");
  CHECK(documents[0].metadata ==
        json{{"id", 1}, {"score", 3.5}, {"active", true}, {"zip", "02139"}, {"note", "plain"}});
  CHECK(documents[1].text == "She said \"hi\"\nthen left");
  CHECK(documents[1].position == "row 2");
  CHECK(documents[1].metadata == json{{"id", 2}, {"score", -7}, {"active", false}, {"zip", 10001}, {"note", ""}});
  CHECK(documents[1].metadata["score"].is_number_integer());
  CHECK(documents[2].position == "row 4");
  CHECK(documents[2].metadata["score"].is_number_float());
  CHECK(documents[2].metadata["score"].get<double>() == 1000.0);
  CHECK(documents[2].metadata["active"] == "yes");
  CHECK(documents[2].metadata["note"] == "multi\nline");
}

TEST_CASE("csv type inference keeps anything ambiguous as a string", "[unit]") {
  const std::string csv =
      "text,v\n"
      "a,99999999999999999999\nb,+5\nc,-0.5\nd,.5\ne,1e\nf,nan\ng,inf\nh, 42\ni,TRUE\nj,0\nk,00\nl,-\n";
  const std::vector<LoadedDocument> documents = MustLoad("types.csv", csv);
  REQUIRE(documents.size() == 12);
  const std::vector<json> expected = {
      "99999999999999999999", 5, -0.5, 0.5, "1e", "nan", "inf", " 42", true, 0, "00", "-"};
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO(documents[i].text);
    CHECK(documents[i].metadata["v"] == expected[i]);
    CHECK(documents[i].metadata["v"].type() == expected[i].type());
  }
}

TEST_CASE("csv options pick the text column and the metadata columns", "[unit]") {
  const std::string csv = "id,title,body\n7,First,The body\n";
  LoaderOptions options;
  options.text_field = "body";
  options.metadata_fields = {"title"};
  const std::vector<LoadedDocument> documents = MustLoad("x.csv", csv, options);
  REQUIRE(documents.size() == 1);
  CHECK(documents[0].text == "The body");
  CHECK(documents[0].metadata == json{{"title", "First"}});
  options.metadata_fields = {"author"};
  CHECK_THAT(ErrorOf("x.csv", csv, options), Catch::Contains("no column 'author'; available columns: id, title, body"));
}

TEST_CASE("csv errors name the column, row and line", "[unit]") {
  CHECK(ErrorOf("a.csv", "id,body\n1,x\n") == "a.csv: CSV has no column 'text'; available columns: id, body");
  CHECK(ErrorOf("a.csv", "id,text\n1,x\n2,\"y\ny\",extra\n") == "a.csv: CSV row 2 (line 3) has 3 fields, expected 2");
  CHECK_THAT(ErrorOf("a.csv", "text\nok\n\"abc\n"), Catch::Contains("CSV line 3: quoted field is not closed"));
  CHECK_THAT(ErrorOf("a.csv", "text\n\"a\"b\n"),
             Catch::Contains("CSV line 2: unexpected character after a closing quote"));
  CHECK_THAT(ErrorOf("a.csv", "text,text\nx,y\n"), Catch::Contains("repeats column 'text'"));
  CHECK(MustLoad("empty.csv", "").empty());
}

TEST_CASE("a json array gives one document per item with nested metadata kept", "[unit]") {
  const std::string content = R"([
    {"id": 1, "body": {"text": "Nested one", "lang": "en"}, "tags": ["a", "b"]},
    {"id": 2, "body": {"text": "Nested two"}}
  ])";
  LoaderOptions options;
  options.text_field = "body.text";
  const std::vector<LoadedDocument> documents = MustLoad("items.json", content, options);
  REQUIRE(documents.size() == 2);
  CHECK(documents[0].text == "Nested one");
  CHECK(documents[0].position == "item 1");
  CHECK(documents[0].metadata == json::parse(R"({"id": 1, "body": {"lang": "en"}, "tags": ["a", "b"]})"));
  CHECK(documents[1].position == "item 2");
  CHECK(documents[1].metadata == json{{"id", 2}});
  options.metadata_fields = {"body.lang", "missing"};
  CHECK(MustLoad("items.json", content, options)[0].metadata == json{{"body.lang", "en"}});
}

TEST_CASE("a json object is one whole-file document", "[unit]") {
  const std::vector<LoadedDocument> documents = MustLoad("one.json", R"({"text": "Solo", "a.b": 3})");
  REQUIRE(documents.size() == 1);
  CHECK(documents[0].text == "Solo");
  CHECK(documents[0].position.empty());
  CHECK(documents[0].metadata == json{{"a.b", 3}});
  LoaderOptions options;
  options.text_field = "a.b";
  CHECK_THAT(ErrorOf("one.json", R"({"a.b": 3})", options),
             Catch::Contains("field 'a.b' is number, expected a string"));
}

TEST_CASE("json errors name the item or the parse position", "[unit]") {
  CHECK(ErrorOf("e.json", R"([{"text": "ok"}, {"title": "no text"}])") == "e.json: item 2: no field 'text'");
  CHECK(ErrorOf("e.json", R"([{"text": "ok"}, 5])") == "e.json: item 2: expected a JSON object, got number");
  CHECK_THAT(ErrorOf("e.json", "{\"text\": \"ok\",\n \"x\": }"),
             Catch::StartsWith("e.json: JSON: parse error at line 2, column"));
  CHECK_THAT(ErrorOf("e.json", "\"just a string\""), Catch::Contains("must be an object or an array of objects"));
}

TEST_CASE("jsonl gives one document per non-empty line and names bad lines", "[unit]") {
  const std::vector<LoadedDocument> documents =
      MustLoad("log.jsonl", "{\"text\": \"one\", \"k\": 1}\n\n  \n{\"text\": \"two\"}\r\n");
  REQUIRE(documents.size() == 2);
  CHECK(documents[0].position == "line 1");
  CHECK(documents[0].metadata == json{{"k", 1}});
  CHECK(documents[1].text == "two");
  CHECK(documents[1].position == "line 4");
  CHECK_THAT(ErrorOf("log.ndjson", "{\"text\": \"ok\"}\n{\"text\": oops}\n"),
             Catch::StartsWith("log.ndjson: line 2: parse error at line 1, column"));
  CHECK(ErrorOf("log.jsonl", "[1, 2]\n") == "log.jsonl: line 1: expected a JSON object, got array");
  CHECK(ErrorOf("log.jsonl", "{\"text\": 5}\n") == "log.jsonl: line 1: field 'text' is number, expected a string");
}

}  // namespace
}  // namespace catena::retrieval
