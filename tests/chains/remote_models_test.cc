// RemoteChatModel and RemoteEmbedder against a local OpenAI-compatible test server: request mapping, streaming,
// tool calls, asynchrony (Chat never blocks its caller), cancellation, shutdown and dimension probing.
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "chains/remote_chat_model.h"
#include "chains/remote_embedder.h"
#include "tests/support/http_test_server.h"

namespace catena::chains {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using testing::HttpTestServer;
using testing::RecordedRequest;
using testing::TestResponse;

constexpr const char* kDelta = R"({"choices":[{"index":0,"delta":{"content":"hi "}}]})";

RemoteChatModelSpec Spec(const HttpTestServer& server, std::string name, std::string upstream) {
  RemoteChatModelSpec spec;
  spec.name = std::move(name);
  spec.upstream_model = std::move(upstream);
  spec.client.base_url = server.url() + "/v1";
  spec.client.api_key_ref = "literal:sk-remote";
  spec.client.timeout = absl::Seconds(10);
  spec.client.retry.max_attempts = 1;
  return spec;
}

std::shared_ptr<RemoteChatModel> Model(const HttpTestServer& server, bool stream = true) {
  RemoteChatModelSpec spec = Spec(server, "gpt-remote", "upstream-7b");
  spec.stream = stream;
  auto model = RemoteChatModel::Create({spec});
  REQUIRE(model.ok());
  return *model;
}

// Collects one call's deltas and result.
struct Collector {
  std::vector<std::string> deltas;
  std::promise<absl::StatusOr<ChatResult>> done;
  std::thread::id done_thread;
  std::function<void(std::string_view)> OnDelta() {
    return [this](std::string_view d) { deltas.emplace_back(d); };
  }
  std::function<void(absl::StatusOr<ChatResult>)> OnDone() {
    return [this](absl::StatusOr<ChatResult> r) {
      done_thread = std::this_thread::get_id();
      done.set_value(std::move(r));
    };
  }
};

ChatRequest Request() {
  ChatRequest r;
  r.model = "gpt-remote";
  r.messages = {{"user", "hello", {}, ""},
                {"assistant", "", {{"c1", "lookup", "{\"q\":1}"}}, ""},
                {"tool", "result", {}, "c1"}};
  r.tools = {{"lookup", "Look up", R"({"type":"object"})"}};
  r.json_schema = R"({"type":"object"})";
  r.temperature = 0.5;
  r.top_p = 0.9;
  r.seed = 11;
  r.max_tokens = 64;
  r.stop = {"END"};
  return r;
}

TEST_CASE("remote chat model maps the request and streams deltas and tool calls", "[unit]") {
  std::vector<std::string> sse = {
      kDelta, R"({"choices":[{"index":0,"delta":{"content":"there"}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t1","function":{"name":"lookup","arguments":"{\"q\""}}]}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":2}"}}]}}]})",
      R"({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":8,"completion_tokens":4,"total_tokens":12}})",
      "[DONE]"};
  HttpTestServer server([&](const RecordedRequest&) { return TestResponse::Sse(sse); });
  auto model = Model(server);
  CHECK(model->HasModel("gpt-remote"));
  CHECK_FALSE(model->HasModel(""));
  CHECK_FALSE(model->HasModel("upstream-7b"));
  Collector c;
  auto cancel = model->Chat(Request(), c.OnDelta(), c.OnDone());
  auto result = c.done.get_future().get();
  REQUIRE(result.ok());
  CHECK(c.deltas == std::vector<std::string>{"hi ", "there"});
  CHECK(result->text == "hi there");
  CHECK(result->finish_reason == "tool_calls");
  REQUIRE(result->tool_calls.size() == 1);
  CHECK(result->tool_calls[0].id == "t1");
  CHECK(result->tool_calls[0].name == "lookup");
  CHECK(result->tool_calls[0].arguments_json == "{\"q\":2}");
  CHECK(result->usage.prompt_tokens == 8);
  CHECK(result->usage.completion_tokens == 4);
  CHECK(c.done_thread != std::this_thread::get_id());
  json body = json::parse(server.requests().at(0).body);
  CHECK(server.requests()[0].Header("authorization") == "Bearer sk-remote");
  CHECK(body["model"] == "upstream-7b");
  CHECK(body["stream"] == true);
  CHECK(body["messages"][1]["tool_calls"][0]["function"]["name"] == "lookup");
  CHECK(body["messages"][2]["tool_call_id"] == "c1");
  CHECK(body["tools"][0]["function"]["name"] == "lookup");
  CHECK(body["response_format"]["type"] == "json_schema");
  CHECK(body["response_format"]["json_schema"]["schema"] == json{{"type", "object"}});
  CHECK(body["temperature"] == 0.5);
  CHECK(body["top_p"] == 0.9);
  CHECK(body["seed"] == 11);
  CHECK(body["max_tokens"] == 64);
  CHECK(body["stop"] == json{"END"});
}

TEST_CASE("remote chat model without streaming delivers the whole text as one delta", "[unit]") {
  HttpTestServer server([](const RecordedRequest&) {
    return TestResponse::Json(200, R"({"choices":[{"index":0,"finish_reason":"length","message":{"content":"abc"}}]})");
  });
  Collector c;
  auto model = Model(server, /*stream=*/false);
  model->Chat(Request(), c.OnDelta(), c.OnDone());
  auto result = c.done.get_future().get();
  REQUIRE(result.ok());
  CHECK(c.deltas == std::vector<std::string>{"abc"});
  CHECK(result->finish_reason == "length");
  CHECK_FALSE(json::parse(server.requests().at(0).body).contains("stream"));
}

TEST_CASE("remote chat model sends the sampler controls that are set, and none that are off", "[unit]") {
  HttpTestServer server([](const RecordedRequest&) {
    return TestResponse::Json(200, R"({"choices":[{"index":0,"finish_reason":"stop","message":{"content":"ok"}}]})");
  });
  auto model = Model(server, /*stream=*/false);
  ChatRequest request = Request();
  request.frequency_penalty = 0.5;
  request.presence_penalty = -0.25;
  request.logit_bias = {{15, 100}, {7, -2.5}, {15, -1}};  // entries for one token add up, as in the engine
  request.top_k = 40;
  request.min_p = 0.05;
  request.repetition_penalty = 1.1;
  for (const ChatRequest& sent : {request, Request()}) {
    Collector c;
    model->Chat(sent, c.OnDelta(), c.OnDone());
    REQUIRE(c.done.get_future().get().ok());
  }
  const json set = json::parse(server.requests().at(0).body);
  CHECK(set["frequency_penalty"] == 0.5);
  CHECK(set["presence_penalty"] == -0.25);
  CHECK(set["logit_bias"] == json{{"15", 99.0}, {"7", -2.5}});
  CHECK(set["top_k"] == 40);
  CHECK(set["min_p"] == 0.05);
  CHECK(set["repetition_penalty"] == 1.1);
  // An OpenAI server refuses top_k, min_p and repetition_penalty: "off" sends nothing.
  const json off = json::parse(server.requests().at(1).body);
  for (const char* key :
       {"frequency_penalty", "presence_penalty", "logit_bias", "top_k", "min_p", "repetition_penalty"}) {
    CHECK_FALSE(off.contains(key));
  }
}

TEST_CASE("remote chat returns at once while the server is slow", "[unit]") {
  TestResponse slow = TestResponse::Sse({kDelta, "[DONE]"});
  slow.delay_before_headers = milliseconds(600);
  HttpTestServer server([slow](const RecordedRequest&) { return slow; });
  auto model = Model(server);
  Collector c;
  auto start = std::chrono::steady_clock::now();
  auto cancel = model->Chat(Request(), c.OnDelta(), c.OnDone());
  CHECK(std::chrono::steady_clock::now() - start < milliseconds(200));
  auto future = c.done.get_future();
  CHECK(future.wait_for(milliseconds(100)) == std::future_status::timeout);
  auto result = future.get();
  REQUIRE(result.ok());
  CHECK(result->text == "hi ");
}

TEST_CASE("chat cancel aborts the remote HTTP stream promptly", "[unit]") {
  TestResponse endless = TestResponse::Sse({kDelta});
  endless.repeat_last_chunk_every = milliseconds(20);
  HttpTestServer server([endless](const RecordedRequest&) { return endless; });
  auto model = Model(server);
  Collector c;
  auto cancel = model->Chat(Request(), c.OnDelta(), c.OnDone());
  REQUIRE(cancel != nullptr);
  std::this_thread::sleep_for(milliseconds(150));
  auto cancelled_at = std::chrono::steady_clock::now();
  cancel->Cancel();
  auto future = c.done.get_future();
  REQUIRE(future.wait_for(std::chrono::seconds(2)) == std::future_status::ready);
  CHECK(std::chrono::steady_clock::now() - cancelled_at < milliseconds(300));
  auto result = future.get();
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == absl::StatusCode::kCancelled);
  CHECK_FALSE(c.deltas.empty());
  cancel->Cancel();  // again, after completion: harmless
}

TEST_CASE("destroying the remote chat model cancels calls in flight", "[unit]") {
  TestResponse endless = TestResponse::Sse({kDelta});
  endless.repeat_last_chunk_every = milliseconds(20);
  HttpTestServer server([endless](const RecordedRequest&) { return endless; });
  auto model = Model(server);
  Collector c;
  auto cancel = model->Chat(Request(), c.OnDelta(), c.OnDone());
  std::this_thread::sleep_for(milliseconds(100));
  model.reset();
  auto future = c.done.get_future();
  REQUIRE(future.wait_for(milliseconds(10)) == std::future_status::ready);
  CHECK(future.get().status().code() == absl::StatusCode::kCancelled);
}

TEST_CASE("remote chat errors keep their codes and name the model", "[unit]") {
  HttpTestServer server([](const RecordedRequest&) {
    return TestResponse::Json(404, R"({"error":{"message":"The model `upstream-7b` does not exist"}})");
  });
  auto model = Model(server);
  Collector c;
  model->Chat(Request(), c.OnDelta(), c.OnDone());
  auto result = c.done.get_future().get();
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(result.status().message()),
             Catch::Contains("gpt-remote") && Catch::Contains("does not exist"));
  Collector unknown;
  ChatRequest other = Request();
  other.model = "nope";
  model->Chat(other, unknown.OnDelta(), unknown.OnDone());
  CHECK(unknown.done.get_future().get().status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("remote chat model config errors name the model", "[unit]") {
  HttpTestServer server([](const RecordedRequest&) { return TestResponse::Json(200, "{}"); });
  RemoteChatModelSpec bad = Spec(server, "m1", "");
  bad.client.base_url = "ftp://x";
  auto model = RemoteChatModel::Create({bad});
  REQUIRE_FALSE(model.ok());
  CHECK_THAT(std::string(model.status().message()), Catch::Contains("'m1'") && Catch::Contains("base_url"));
  auto twice = RemoteChatModel::Create({Spec(server, "m1", ""), Spec(server, "m1", "")});
  REQUIRE_FALSE(twice.ok());
  CHECK_THAT(std::string(twice.status().message()), Catch::Contains("twice"));
}

TestResponse EmbeddingsReply(const RecordedRequest& r) {
  json request = json::parse(r.body);
  json data = json::array();
  for (size_t i = 0; i < request["input"].size(); ++i) {
    float len = static_cast<float>(request["input"][i].get<std::string>().size());
    data.push_back({{"index", i}, {"embedding", {3.0f * len, 4.0f * len}}});
  }
  return TestResponse::Json(200, json{{"data", data}}.dump());
}

TEST_CASE("remote embedder probes its dimension once and returns normalized vectors", "[unit]") {
  HttpTestServer server([](const RecordedRequest& r) { return EmbeddingsReply(r); });
  RemoteEmbedderSpec spec;
  spec.name = "remote-embed";
  spec.client.client.base_url = server.url() + "/v1";
  spec.client.model = "emb";
  spec.client.batch_size = 2;
  auto embedder = RemoteEmbedder::Create(spec);
  REQUIRE(embedder.ok());
  CHECK((*embedder)->info().dimension == 2);
  CHECK((*embedder)->info().kind == "openai-compatible");
  CHECK((*embedder)->info().name == "remote-embed");
  CHECK(server.requests().size() == 1);
  std::vector<std::string> texts = {"a", "bb", "ccc"};
  auto vectors = (*embedder)->Embed(texts, inference::EmbedInputKind::kDocument);
  REQUIRE(vectors.ok());
  REQUIRE(vectors->size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(vectors->Row(i)[0] == Approx(0.6));
    CHECK(vectors->Row(i)[1] == Approx(0.8));
  }
  CHECK(server.requests().size() == 3);  // the probe, then two batches
  CHECK_FALSE((*embedder)->Embed(std::vector<std::string>{""}, inference::EmbedInputKind::kQuery).ok());
}

TEST_CASE("remote embedder with a configured dimension rejects other sizes", "[unit]") {
  HttpTestServer server([](const RecordedRequest& r) { return EmbeddingsReply(r); });
  RemoteEmbedderSpec spec;
  spec.name = "remote-embed";
  spec.client.client.base_url = server.url() + "/v1";
  spec.client.model = "emb";
  spec.client.dimensions = 3;
  auto embedder = RemoteEmbedder::Create(spec);
  REQUIRE(embedder.ok());
  CHECK(server.requests().empty());
  auto vectors = (*embedder)->Embed(std::vector<std::string>{"x"}, inference::EmbedInputKind::kDocument);
  REQUIRE_FALSE(vectors.ok());
  CHECK_THAT(std::string(vectors.status().message()),
             Catch::Contains("remote-embed") && Catch::Contains("expected 3"));
}

}  // namespace
}  // namespace catena::chains
