// Fault cases of the OpenAI-compatible chat client against a real local server: malformed and truncated
// replies, slow and endless servers, retries (Retry-After, 5xx, exhaustion), the circuit breaker, error mapping,
// key redaction and cancellation from another thread.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "connectors/openai_chat_client.h"
#include "tests/connectors/openai_test_util.h"
#include "tests/support/http_test_server.h"

namespace catena::connectors {
namespace {

using std::chrono::milliseconds;
using testing::HttpTestServer;
using testing::RecordedRequest;
using testing::TestChunk;
using testing::TestResponse;
using namespace testutil;

const char* kOkReply =
    R"({"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"fine"}}]})";
const char* kDelta = R"({"choices":[{"index":0,"delta":{"content":"tok "}}]})";

OpenAiChatRequest Hello() {
  OpenAiChatRequest r;
  r.model = "m";
  r.messages = {{"user", "hello", {}, ""}};
  return r;
}

std::unique_ptr<OpenAiChatClient> Client(OpenAiClientOptions options) {
  auto client = OpenAiChatClient::Create(std::move(options));
  REQUIRE(client.ok());
  return std::move(*client);
}

std::unique_ptr<OpenAiChatClient> Client(const HttpTestServer& server) { return Client(TestOptions(server)); }

absl::StatusOr<OpenAiChatResponse> StreamAll(OpenAiChatClient& client, OpenAiChatRequest request,
                                             std::string* text = nullptr) {
  return client.Stream(request, [text](std::string_view d) {
    if (text != nullptr) *text += d;
    return true;
  });
}

TEST_CASE("chat complete reports a malformed JSON body as INTERNAL without retrying", "[unit]") {
  HttpTestServer server([](const RecordedRequest&) { return TestResponse::Json(200, "{\"choices\": [ {oops"); });
  auto reply = Client(server)->Complete(Hello());
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.status().code() == absl::StatusCode::kInternal);
  CHECK_THAT(std::string(reply.status().message()), Catch::Contains("not valid JSON"));
  CHECK(server.requests().size() == 1);
}

TEST_CASE("chat stream reports a chunk that is not JSON as INTERNAL", "[unit]") {
  HttpTestServer server([](const RecordedRequest&) { return TestResponse::Sse({kDelta, "{broken", "[DONE]"}); });
  auto reply = StreamAll(*Client(server), Hello());
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.status().code() == absl::StatusCode::kInternal);
  CHECK_THAT(std::string(reply.status().message()), Catch::Contains("{broken"));
}

TEST_CASE("chat stream that ends without [DONE] is UNAVAILABLE and not retried after tokens", "[unit]") {
  HttpTestServer server([](const RecordedRequest&) { return TestResponse::Sse({kDelta, kDelta}); });
  std::string text;
  auto reply = StreamAll(*Client(server), Hello(), &text);
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.status().code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(std::string(reply.status().message()), Catch::Contains("without [DONE]"));
  CHECK(text == "tok tok ");
  CHECK(server.requests().size() == 1);
}

TEST_CASE("chat stream whose connection closes mid-body is UNAVAILABLE", "[unit]") {
  TestResponse cut;
  cut.headers = {{"Content-Type", "text/event-stream"}};
  cut.body = std::string("data: ") + kDelta + "\n\ndata: {\"choices\":[{\"ind";
  cut.content_length = cut.body.size() + 500;  // promises more, then closes
  HttpTestServer server([cut](const RecordedRequest&) { return cut; });
  std::string text;
  auto reply = StreamAll(*Client(server), Hello(), &text);
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.status().code() == absl::StatusCode::kUnavailable);
  CHECK(text == "tok ");
  CHECK(server.requests().size() == 1);  // tokens were delivered: no retry that would repeat them
}

TEST_CASE("chat complete against a slow server hits the total timeout", "[unit]") {
  TestResponse slow = TestResponse::Json(200, kOkReply);
  slow.delay_before_headers = milliseconds(3000);
  HttpTestServer server([slow](const RecordedRequest&) { return slow; });
  OpenAiClientOptions options = TestOptions(server);
  options.timeout = absl::Milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  auto reply = Client(options)->Complete(Hello());
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(SecondsSince(start) < 1.5);
}

TEST_CASE("chat stream that goes silent hits the idle timeout", "[unit]") {
  TestResponse silent = TestResponse::Sse({kDelta});
  silent.finish_stream = false;
  HttpTestServer server([silent](const RecordedRequest&) { return silent; });
  OpenAiClientOptions options = TestOptions(server);
  options.idle_timeout = absl::Milliseconds(300);
  options.timeout = absl::Seconds(20);
  auto start = std::chrono::steady_clock::now();
  std::string text;
  auto reply = StreamAll(*Client(options), Hello(), &text);
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(text == "tok ");
  double took = SecondsSince(start);
  CHECK(took >= 0.25);
  CHECK(took < 2.0);
}

TEST_CASE("chat stream that never ends stops at the request deadline", "[unit]") {
  TestResponse endless = TestResponse::Sse({kDelta});
  endless.repeat_last_chunk_every = milliseconds(10);
  HttpTestServer server([endless](const RecordedRequest&) { return endless; });
  OpenAiClientOptions options = TestOptions(server);
  options.timeout = absl::Seconds(30);
  OpenAiChatRequest request = Hello();
  request.deadline = absl::Now() + absl::Milliseconds(500);
  auto start = std::chrono::steady_clock::now();
  std::string text;
  auto reply = StreamAll(*Client(options), request, &text);
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(text.size() > 8);
  double took = SecondsSince(start);
  CHECK(took >= 0.45);
  CHECK(took < 2.0);
}

TEST_CASE("chat complete waits for Retry-After on 429, then succeeds", "[unit][slow]") {
  TestResponse busy = TestResponse::Json(429, ErrorJson("Rate limit reached", "rate_limit"));
  busy.headers.push_back({"Retry-After", "1"});
  HttpTestServer server(HttpTestServer::Sequence({busy, TestResponse::Json(200, kOkReply)}));
  auto client = Client(server);
  std::vector<absl::Duration> waits;
  RetryEnv env;
  env.on_retry = [&](int, absl::Duration delay, std::string_view) { waits.push_back(delay); };
  client->transport().set_retry_env(env);
  auto start = std::chrono::steady_clock::now();
  auto reply = client->Complete(Hello());
  REQUIRE(reply.ok());
  CHECK(reply->content == "fine");
  CHECK(waits == std::vector<absl::Duration>{absl::Seconds(1)});
  CHECK(SecondsSince(start) >= 0.95);
  CHECK(server.requests().size() == 2);
}

TEST_CASE("chat complete retries a 500 with the same body, then succeeds", "[unit]") {
  HttpTestServer server(HttpTestServer::Sequence(
      {TestResponse::Json(500, ErrorJson("boom", "server_error")), TestResponse::Json(502, "bad gateway"),
       TestResponse::Json(200, kOkReply)}));
  auto reply = Client(server)->Complete(Hello());
  REQUIRE(reply.ok());
  CHECK(reply->content == "fine");
  auto requests = server.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[1].body == requests[0].body);
  CHECK(requests[2].body == requests[0].body);
}

TEST_CASE("chat stream retries a 503 before any token, then streams", "[unit]") {
  HttpTestServer server(HttpTestServer::Sequence(
      {TestResponse::Json(503, ErrorJson("overloaded")), TestResponse::Sse({kDelta, "[DONE]"})}));
  std::string text;
  auto reply = StreamAll(*Client(server), Hello(), &text);
  REQUIRE(reply.ok());
  CHECK(text == "tok ");
  CHECK(server.requests().size() == 2);
}

TEST_CASE("chat complete gives up after max attempts with the server's message", "[unit]") {
  HttpTestServer server([](const RecordedRequest&) { return TestResponse::Json(503, ErrorJson("engine overloaded")); });
  auto reply = Client(server)->Complete(Hello());
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.status().code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(std::string(reply.status().message()), Catch::Contains("HTTP 503") && Catch::Contains("engine overloaded"));
  CHECK(server.requests().size() == 3);
}

TEST_CASE("the circuit opens after repeated failures and names the host", "[unit]") {
  HttpTestServer server([](const RecordedRequest&) { return TestResponse::Json(500, ErrorJson("down")); });
  OpenAiClientOptions options = TestOptions(server);
  options.retry.max_attempts = 1;
  options.breaker = {.failure_threshold = 2, .open_duration = absl::Seconds(60)};
  auto client = Client(options);
  CHECK(client->Complete(Hello()).status().code() == absl::StatusCode::kUnavailable);
  CHECK(client->Complete(Hello()).status().code() == absl::StatusCode::kUnavailable);
  auto reply = client->Complete(Hello());
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.status().code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(std::string(reply.status().message()),
             Catch::Contains("circuit open") && Catch::Contains("127.0.0.1:" + std::to_string(server.port())));
  CHECK(server.requests().size() == 2);
  CHECK(client->transport().breaker().state() == CircuitBreaker::State::kOpen);
}

TEST_CASE("401 maps to UNAUTHENTICATED with the server's message and the key redacted", "[unit]") {
  HttpTestServer server([](const RecordedRequest& r) {
    return TestResponse::Json(401, ErrorJson("Incorrect API key provided: " + r.Header("authorization").substr(7)));
  });
  auto reply = Client(server)->Complete(Hello());
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.status().code() == absl::StatusCode::kUnauthenticated);
  std::string message(reply.status().message());
  CHECK_THAT(message, Catch::Contains("Incorrect API key provided: ***"));
  CHECK(KeyAbsent(message));
  CHECK(server.requests().size() == 1);  // 401 is not retried
}

TEST_CASE("the API key appears in no status message, whatever fails", "[unit]") {
  const std::string key = kApiKey;
  std::vector<TestResponse> faults = {
      TestResponse::Json(400, ErrorJson("bad key " + key)), TestResponse::Json(403, "{\"error\":\"" + key + "\"}"),
      TestResponse::Text(404, "no route for " + key), TestResponse::Json(500, ErrorJson(key, "server_error")),
      TestResponse::Json(200, "not json " + key), TestResponse::Sse({"{\"error\":{\"message\":\"" + key + "\"}}"}),
      TestResponse::Sse({"garbage " + key})};
  for (size_t i = 0; i < faults.size(); ++i) {
    HttpTestServer server([&](const RecordedRequest&) { return faults[i]; });
    auto client = Client(server);
    auto complete = client->Complete(Hello());
    auto stream = StreamAll(*client, Hello());
    INFO("fault " << i << ": " << complete.status() << " / " << stream.status());
    CHECK_FALSE(complete.ok());
    CHECK_FALSE(stream.ok());
    CHECK(KeyAbsent(std::string(complete.status().message())));
    CHECK(KeyAbsent(std::string(stream.status().message())));
  }
  auto missing = OpenAiChatClient::Create({.base_url = "http://127.0.0.1:9/v1", .api_key_ref = "env:CATENA_NO_SUCH_KEY_VAR"});
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(std::string(missing.status().message()), Catch::Contains("CATENA_NO_SUCH_KEY_VAR"));
}

TEST_CASE("cancelling from another thread ends a stream promptly", "[unit]") {
  TestResponse endless = TestResponse::Sse({kDelta});
  endless.repeat_last_chunk_every = milliseconds(20);
  HttpTestServer server([endless](const RecordedRequest&) { return endless; });
  OpenAiClientOptions options = TestOptions(server);
  options.timeout = absl::Seconds(30);
  auto client = Client(options);
  std::atomic<bool> cancel{false};
  OpenAiChatRequest request = Hello();
  request.cancel = &cancel;
  std::atomic<int> deltas{0};
  std::chrono::steady_clock::time_point cancelled_at;
  std::thread canceller([&] {
    while (deltas.load() < 3) std::this_thread::sleep_for(milliseconds(5));
    cancelled_at = std::chrono::steady_clock::now();
    cancel = true;
  });
  auto reply = client->Stream(request, [&](std::string_view) {
    ++deltas;
    return true;
  });
  canceller.join();
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.status().code() == absl::StatusCode::kCancelled);
  CHECK(SecondsSince(cancelled_at) < 0.3);
  CHECK(server.requests().size() == 1);
}

TEST_CASE("cancelling during a retry wait ends the call promptly", "[unit]") {
  TestResponse busy = TestResponse::Json(429, ErrorJson("slow down"));
  busy.headers.push_back({"Retry-After", "4"});
  HttpTestServer server([busy](const RecordedRequest&) { return busy; });
  auto client = Client(server);
  std::atomic<bool> cancel{false};
  OpenAiChatRequest request = Hello();
  request.cancel = &cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(300));
    cancel = true;
  });
  auto start = std::chrono::steady_clock::now();
  auto reply = client->Complete(request);
  canceller.join();
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.status().code() == absl::StatusCode::kCancelled);
  CHECK(SecondsSince(start) < 1.0);
  CHECK(server.requests().size() == 1);
}

}  // namespace
}  // namespace catena::connectors
