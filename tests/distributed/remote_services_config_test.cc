// Unit tests of distributed mode without servers: the services.* keys, the remote clients' fast failure and
// error wording, and their proto conversions.
#include "server/remote_services_config.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "absl/time/clock.h"
#include "remote/grpc_chat_model.h"
#include "remote/grpc_retrieval.h"
#include "server/server_config.h"
#include "tests/server/catenad_fixture.h"

namespace catena::server {
namespace {

absl::StatusOr<ServerOptions> OptionsFrom(const std::string& yaml, std::vector<ConfigOverride> overrides = {}) {
  const std::filesystem::path file = testing::MakeTempDir("remote-config") / "catenad.yaml";
  std::ofstream(file) << yaml;
  ConfigSchema schema;
  REQUIRE(RegisterServerConfig(schema).ok());
  auto config = Config::Load(schema, {.file_path = file.string(), .overrides = std::move(overrides)});
  if (!config.ok()) return config.status();
  return ServerOptionsFromConfig(*config);
}

TEST_CASE("without services addresses every engine is in-process", "[unit]") {
  auto options = OptionsFrom("server:\n  grpc_port: 0\n");
  REQUIRE(options.ok());
  CHECK_FALSE(options->remote.inference.has_value());
  CHECK_FALSE(options->remote.embedding.has_value());
  CHECK_FALSE(options->remote.retrieval.has_value());
  CHECK_FALSE(options->remote.memory.has_value());
}

TEST_CASE("services addresses of services this process does not run become remote clients", "[unit]") {
  auto options = OptionsFrom(
      "server:\n  services: [pipeline]\nservices:\n  deadline_ms: 5000\n  max_attempts: 2\n"
      "  retrieval:\n    address: retrieval.catena:50051\n    deadline_ms: 750\n"
      "  memory:\n    address: 10.0.0.7:6000\n");
  REQUIRE(options.ok());
  REQUIRE(options->remote.retrieval.has_value());
  CHECK(options->remote.retrieval->service == "retrieval");
  CHECK(options->remote.retrieval->address == "retrieval.catena:50051");
  CHECK(options->remote.retrieval->deadline == absl::Milliseconds(750));
  CHECK(options->remote.retrieval->max_attempts == 2);
  REQUIRE(options->remote.memory.has_value());
  CHECK(options->remote.memory->deadline == absl::Milliseconds(5000));
  CHECK_FALSE(options->remote.embedding.has_value());
}

TEST_CASE("a service this process runs itself ignores its own address", "[unit]") {
  auto options = OptionsFrom("services:\n  retrieval:\n    address: 127.0.0.1:7001\n",
                             {{.path = "server.services", .value = "retrieval,pipeline", .origin = "--service"}});
  REQUIRE(options.ok());
  CHECK_FALSE(options->remote.retrieval.has_value());
}

TEST_CASE("a services address without a port is rejected with its file and line", "[unit]") {
  auto options = OptionsFrom("server:\n  grpc_port: 0\nservices:\n  memory:\n    address: memory-host\n");
  REQUIRE_FALSE(options.ok());
  CHECK(options.status().code() == absl::StatusCode::kInvalidArgument);
  const std::string message(options.status().message());
  CHECK_THAT(message, Catch::Contains("catenad.yaml:5:"));
  CHECK_THAT(message, Catch::Contains("services.memory.address: 'memory-host' is not a host:port address"));
}

TEST_CASE("an unknown key under services names its path", "[unit]") {
  auto options = OptionsFrom("services:\n  retrieval:\n    adress: 127.0.0.1:7001\n");
  REQUIRE_FALSE(options.ok());
  CHECK_THAT(std::string(options.status().message()), Catch::Contains("services.retrieval.adress"));
}

TEST_CASE("a max backoff below the initial backoff is rejected", "[unit]") {
  auto options = OptionsFrom("services:\n  initial_backoff_ms: 500\n  max_backoff_ms: 100\n");
  REQUIRE_FALSE(options.ok());
  CHECK_THAT(std::string(options.status().message()), Catch::Contains("services.max_backoff_ms (100)"));
}

TEST_CASE("a call to a port nobody listens on fails fast with UNAVAILABLE naming service and address", "[unit]") {
  // Port 1 on loopback is never a gRPC server here; the connection is refused at once.
  remote::GrpcRetrieval retrieval({.service = "retrieval",
                                   .address = "127.0.0.1:1",
                                   .deadline = absl::Seconds(20),
                                   .max_attempts = 3,
                                   .initial_backoff = absl::Milliseconds(50),
                                   .max_backoff = absl::Milliseconds(100)});
  const absl::Time start = absl::Now();
  auto info = retrieval.Describe("default", "kb");
  const absl::Duration took = absl::Now() - start;
  REQUIRE_FALSE(info.ok());
  CHECK(info.status().code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(std::string(info.status().message()),
             Catch::StartsWith("retrieval service at 127.0.0.1:1 (RetrievalService.DescribeCollection): "));
  CHECK(took < absl::Seconds(10));
}

TEST_CASE("a remote call never outlives the configured deadline", "[unit]") {
  // 203.0.113.1 (TEST-NET-3) is unroutable: the connection attempt hangs until the deadline ends the call.
  remote::GrpcRetrieval retrieval(
      {.service = "retrieval", .address = "203.0.113.1:50051", .deadline = absl::Milliseconds(300)});
  const absl::Time start = absl::Now();
  auto info = retrieval.Describe("default", "kb");
  const absl::Duration took = absl::Now() - start;
  REQUIRE_FALSE(info.ok());
  CHECK((info.status().code() == absl::StatusCode::kDeadlineExceeded ||
         info.status().code() == absl::StatusCode::kUnavailable));
  CHECK_THAT(std::string(info.status().message()), Catch::StartsWith("retrieval service at 203.0.113.1:50051"));
  CHECK(took < absl::Seconds(5));
}

TEST_CASE("search hits come back with whole metadata numbers as integers", "[unit]") {
  v1::SearchHit hit;
  hit.mutable_document()->set_id("d1");
  hit.mutable_document()->set_text("text");
  auto& fields = *hit.mutable_document()->mutable_metadata()->mutable_fields();
  fields["page"].set_number_value(3);
  fields["ratio"].set_number_value(0.25);
  fields["lang"].set_string_value("en");
  hit.set_score(0.5f);
  const retrieval::SearchResult result = remote::SearchResultFromProto(hit);
  CHECK(result.document.id == "d1");
  CHECK(result.document.metadata.dump() == R"({"lang":"en","page":3,"ratio":0.25})");
  CHECK(result.score == 0.5f);
}

TEST_CASE("a search query keeps mode, fusion and limits on the wire", "[unit]") {
  retrieval::SearchQuery query;
  query.text = "lost card";
  query.k = 7;
  query.mode = retrieval::SearchMode::kHybrid;
  query.fusion = retrieval::Fusion::kWeighted;
  query.dense_weight = 0.3f;
  query.filter = "lang == \"en\"";
  const v1::SearchRequest request = remote::SearchRequestFor("kb", query);
  CHECK(request.collection() == "kb");
  CHECK(request.query() == "lost card");
  CHECK(request.k() == 7);
  CHECK(request.mode() == v1::SEARCH_MODE_HYBRID);
  CHECK(request.fusion() == "weighted");
  CHECK(request.dense_weight() == 0.3f);
  CHECK(request.filter() == "lang == \"en\"");
}

TEST_CASE("a chat request keeps roles, tool calls, sampling and the JSON schema on the wire", "[unit]") {
  chains::ChatRequest request{.model = "tiny",
                              .messages = {{.role = "system", .content = "be brief"},
                                           {.role = "assistant",
                                            .content = "",
                                            .tool_calls = {{.id = "c1", .name = "calc", .arguments_json = "{}"}}},
                                           {.role = "tool", .content = "4", .tool_call_id = "c1"}},
                              .max_tokens = 12,
                              .temperature = 0.5,
                              .top_k = 40,
                              .min_p = 0.05,
                              .repetition_penalty = 1.1,
                              .frequency_penalty = 0.5,
                              .presence_penalty = -0.25,
                              .logit_bias = {{15, 100}, {7, -2.5}, {15, -1}},
                              .seed = 42,
                              .stop = {"\n"},
                              .logprobs = 2,
                              .json_schema = R"({"type":"object"})"};
  const v1::ChatRequest proto = remote::ChatRequestToProto(request);
  CHECK(proto.model() == "tiny");
  REQUIRE(proto.messages_size() == 3);
  CHECK(proto.messages(0).role() == v1::ROLE_SYSTEM);
  CHECK(proto.messages(1).tool_calls(0).name() == "calc");
  CHECK(proto.messages(2).role() == v1::ROLE_TOOL);
  CHECK(proto.messages(2).tool_call_id() == "c1");
  CHECK(proto.sampling().max_tokens() == 12);
  CHECK(proto.sampling().temperature() == 0.5f);
  CHECK(proto.sampling().seed().value() == 42);
  CHECK(proto.sampling().top_p() == 1.0f);
  CHECK(proto.sampling().top_k() == 40);
  CHECK(proto.sampling().min_p() == 0.05f);
  CHECK(proto.sampling().repetition_penalty() == 1.1f);
  CHECK(proto.sampling().frequency_penalty() == 0.5f);
  CHECK(proto.sampling().presence_penalty() == -0.25f);
  REQUIRE(proto.sampling().logit_bias_size() == 2);
  CHECK(proto.sampling().logit_bias().at(15) == 99.0f);
  CHECK(proto.sampling().logit_bias().at(7) == -2.5f);
  CHECK(proto.sampling().logprobs());
  CHECK(proto.sampling().top_logprobs() == 2);
  CHECK(proto.sampling().stop(0) == "\n");
  CHECK(proto.response_format().kind() == v1::ResponseFormat::KIND_JSON_SCHEMA);
}

}  // namespace
}  // namespace catena::server
