#include "connectors/openai_embeddings_client.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/connectors/openai_test_util.h"
#include "tests/support/http_test_server.h"

namespace catena::connectors {
namespace {

using nlohmann::json;
using testing::HttpTestServer;
using testing::RecordedRequest;
using testing::TestResponse;
using namespace testutil;

// The vector the fake server gives `text`: {length, first byte, last byte}.
std::vector<float> FakeVector(const std::string& text) {
  return {static_cast<float>(text.size()), static_cast<float>(text.front()), static_cast<float>(text.back())};
}

// A server that embeds each input with FakeVector and lists the vectors in reverse order with their indexes.
TestResponse ReversedEmbeddings(const RecordedRequest& r, int drop = 0, int dims = 3) {
  json request = json::parse(r.body);
  json data = json::array();
  const json& inputs = request["input"];
  for (size_t i = inputs.size(); i-- > static_cast<size_t>(drop);) {
    std::vector<float> v = FakeVector(inputs[i].get<std::string>());
    v.resize(dims, 0.5f);
    data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", v}});
  }
  return TestResponse::Json(200, json{{"object", "list"}, {"data", data}, {"model", request["model"]}}.dump());
}

std::unique_ptr<OpenAiEmbeddingsClient> Client(const HttpTestServer& server, size_t batch_size, int dimensions) {
  OpenAiEmbeddingsOptions options;
  options.client = TestOptions(server);
  options.model = "embed-test";
  options.batch_size = batch_size;
  options.dimensions = dimensions;
  auto client = OpenAiEmbeddingsClient::Create(options);
  REQUIRE(client.ok());
  return std::move(*client);
}

TEST_CASE("embeddings are batched and returned in input order even when the server reorders them", "[unit]") {
  HttpTestServer server([](const RecordedRequest& r) { return ReversedEmbeddings(r); });
  std::vector<std::string> inputs = {"alpha", "be", "cxz", "delta!", "e"};
  auto vectors = Client(server, 2, 3)->Embed(inputs);
  REQUIRE(vectors.ok());
  REQUIRE(vectors->size() == inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) CHECK((*vectors)[i] == FakeVector(inputs[i]));
  auto requests = server.requests();
  REQUIRE(requests.size() == 3);
  std::vector<json> batches;
  for (const auto& r : requests) {
    CHECK(r.path == "/v1/embeddings");
    CHECK(r.Header("authorization") == std::string("Bearer ") + kApiKey);
    json body = json::parse(r.body);
    CHECK(body["model"] == "embed-test");
    CHECK(body["encoding_format"] == "float");
    CHECK_FALSE(body.contains("dimensions"));
    batches.push_back(body["input"]);
  }
  CHECK(batches == std::vector<json>{json{"alpha", "be"}, json{"cxz", "delta!"}, json{"e"}});
}

TEST_CASE("embeddings with an unexpected dimension are an error naming both sizes", "[unit]") {
  HttpTestServer server([](const RecordedRequest& r) { return ReversedEmbeddings(r, 0, 2); });
  auto vectors = Client(server, 8, 3)->Embed({"one", "two"});
  REQUIRE_FALSE(vectors.ok());
  CHECK(vectors.status().code() == absl::StatusCode::kInternal);
  CHECK_THAT(std::string(vectors.status().message()), Catch::Contains("2 dimensions, expected 3"));
}

TEST_CASE("embeddings with fewer vectors than inputs are an error naming the counts", "[unit]") {
  HttpTestServer server([](const RecordedRequest& r) { return ReversedEmbeddings(r, 1); });
  auto vectors = Client(server, 8, 0)->Embed({"one", "two", "three"});
  REQUIRE_FALSE(vectors.ok());
  CHECK(vectors.status().code() == absl::StatusCode::kInternal);
  CHECK_THAT(std::string(vectors.status().message()), Catch::Contains("2 vectors for 3 inputs"));
}

TEST_CASE("embeddings reject repeated indexes, non-numbers and malformed bodies", "[unit]") {
  CHECK_FALSE(ParseEmbeddingsJson(R"({"data":[{"index":0,"embedding":[1]},{"index":0,"embedding":[2]}]})", 2, 0).ok());
  CHECK_FALSE(ParseEmbeddingsJson(R"({"data":[{"index":5,"embedding":[1]}]})", 1, 0).ok());
  CHECK_FALSE(ParseEmbeddingsJson(R"({"data":[{"index":0,"embedding":["x"]}]})", 1, 0).ok());
  CHECK_FALSE(ParseEmbeddingsJson(R"({"data":[{"index":0,"embedding":[1,2]},{"index":1,"embedding":[1]}]})", 2, 0).ok());
  CHECK_FALSE(ParseEmbeddingsJson("{\"data\":", 1, 0).ok());
  auto ok = ParseEmbeddingsJson(R"({"data":[{"index":1,"embedding":[3,4]},{"index":0,"embedding":[1,2]}]})", 2, 2);
  REQUIRE(ok.ok());
  CHECK(*ok == std::vector<std::vector<float>>{{1, 2}, {3, 4}});
}

TEST_CASE("embeddings map server errors and retry 5xx", "[unit]") {
  HttpTestServer server(HttpTestServer::Sequence(
      {TestResponse::Json(500, ErrorJson("hiccup")), TestResponse::Json(400, ErrorJson("input too long"))}));
  auto vectors = Client(server, 8, 0)->Embed({"x"});
  REQUIRE_FALSE(vectors.ok());
  CHECK(vectors.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(vectors.status().message()), Catch::Contains("input too long"));
  CHECK(server.requests().size() == 2);
}

TEST_CASE("embeddings of no inputs make no request", "[unit]") {
  HttpTestServer server([](const RecordedRequest& r) { return ReversedEmbeddings(r); });
  auto vectors = Client(server, 8, 3)->Embed({});
  REQUIRE(vectors.ok());
  CHECK(vectors->empty());
  CHECK(server.requests().empty());
}

}  // namespace
}  // namespace catena::connectors
