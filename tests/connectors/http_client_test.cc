#include "connectors/http_client.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <string>
#include <vector>

#include "tests/support/http_test_server.h"

namespace catena::connectors {
namespace {

using std::chrono::milliseconds;
using testing::HttpTestServer;
using testing::RecordedRequest;
using testing::TestChunk;
using testing::TestResponse;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST_CASE("http client sends method, headers and body and returns status, lowercased headers and body", "[unit]") {
  HttpTestServer server([](const RecordedRequest& r) {
    TestResponse resp = TestResponse::Json(201, "{\"echo\":\"" + r.body + "\"}");
    resp.headers.push_back({"X-Request-Path", r.path});
    return resp;
  });
  auto client = HttpClient::Create();
  HttpRequest request;
  request.method = "POST";
  request.url = server.url() + "/v1/things?x=1";
  request.headers = {{"Content-Type", "text/plain"}, {"X-Custom", "abc"}};
  request.body = "hello";
  auto response = client->Send(request);
  REQUIRE(response.ok());
  CHECK(response->status == 201);
  CHECK(response->body == "{\"echo\":\"hello\"}");
  CHECK(response->Header("x-request-path") == "/v1/things?x=1");
  CHECK(response->Header("CONTENT-TYPE") == "application/json");
  CHECK(response->Header("absent") == "");
  auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "POST");
  CHECK(requests[0].Header("x-custom") == "abc");
  CHECK(requests[0].Header("expect") == "");
  CHECK(requests[0].body == "hello");
}

TEST_CASE("http client returns error statuses as responses, not errors", "[unit]") {
  HttpTestServer server([](const RecordedRequest&) { return TestResponse::Text(503, "busy"); });
  auto response = HttpClient::Create()->Send({.url = server.url() + "/"});
  REQUIRE(response.ok());
  CHECK(response->status == 503);
  CHECK(response->body == "busy");
}

TEST_CASE("http client reuses one keep-alive connection for sequential requests", "[unit]") {
  HttpTestServer server([](const RecordedRequest&) { return TestResponse::Text(200, "ok"); });
  auto client = HttpClient::Create();
  for (int i = 0; i < 5; ++i) {
    auto response = client->Send({.url = server.url() + "/ping"});
    REQUIRE(response.ok());
    CHECK(response->body == "ok");
  }
  CHECK(server.connections_accepted() == 1);
  CHECK(client->connections_opened() == 1);
  CHECK(server.requests().back().connection == 1);
}

TEST_CASE("http client opens a new connection after the server closes one", "[unit]") {
  HttpTestServer server([](const RecordedRequest&) {
    TestResponse r = TestResponse::Text(200, "bye");
    r.close_connection = true;
    return r;
  });
  auto client = HttpClient::Create();
  REQUIRE(client->Send({.url = server.url() + "/"}).ok());
  REQUIRE(client->Send({.url = server.url() + "/"}).ok());
  CHECK(server.connections_accepted() == 2);
}

TEST_CASE("http client times out when the server is slow to send headers", "[unit]") {
  TestResponse slow = TestResponse::Text(200, "late");
  slow.delay_before_headers = milliseconds(3000);
  HttpTestServer server(HttpTestServer::Sequence({slow}));
  HttpRequest request{.url = server.url() + "/slow"};
  request.idle_timeout = absl::Milliseconds(200);
  auto start = std::chrono::steady_clock::now();
  auto response = HttpClient::Create()->Send(request);
  CHECK(SecondsSince(start) < 1.5);
  REQUIRE(response.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(std::string(response.status().message()).find("idle timeout") != std::string::npos);
}

TEST_CASE("http client idle timeout fires when a stream stalls", "[unit]") {
  TestResponse stall;
  stall.chunked = true;
  stall.chunks = {{milliseconds(0), "first"}};
  stall.finish_stream = false;
  HttpTestServer server(HttpTestServer::Sequence({stall}));
  HttpRequest request{.url = server.url() + "/stall"};
  request.idle_timeout = absl::Milliseconds(250);
  std::string received;
  auto start = std::chrono::steady_clock::now();
  auto response = HttpClient::Create()->SendStreaming(request, [&](std::string_view chunk) {
    received.append(chunk);
    return true;
  });
  CHECK(SecondsSince(start) < 1.5);
  CHECK(received == "first");
  CHECK(response.status().code() == absl::StatusCode::kDeadlineExceeded);
}

TEST_CASE("http client total timeout ends a never-ending stream", "[unit]") {
  TestResponse endless;
  endless.chunked = true;
  endless.chunks = {{milliseconds(0), "tick\n"}};
  endless.repeat_last_chunk_every = milliseconds(30);
  HttpTestServer server(HttpTestServer::Sequence({endless}));
  HttpRequest request{.url = server.url() + "/endless"};
  request.timeout = absl::Milliseconds(400);
  int chunks = 0;
  auto start = std::chrono::steady_clock::now();
  auto response = HttpClient::Create()->SendStreaming(request, [&](std::string_view) {
    ++chunks;
    return true;
  });
  double elapsed = SecondsSince(start);
  CHECK(elapsed >= 0.35);
  CHECK(elapsed < 2.0);
  CHECK(chunks >= 3);
  CHECK(response.status().code() == absl::StatusCode::kDeadlineExceeded);
}

TEST_CASE("http client refuses responses over max_response_bytes", "[unit]") {
  TestResponse big = TestResponse::Text(200, std::string(1000, 'x'));
  TestResponse big_stream;
  big_stream.chunked = true;
  for (int i = 0; i < 10; ++i) big_stream.chunks.push_back({milliseconds(0), std::string(100, 'y')});
  HttpTestServer server(HttpTestServer::Sequence({big, big_stream}));
  auto client = HttpClient::Create();
  HttpRequest request{.url = server.url() + "/big"};
  request.max_response_bytes = 500;
  auto declared = client->Send(request);
  REQUIRE(declared.status().code() == absl::StatusCode::kResourceExhausted);
  CHECK(std::string(declared.status().message()).find("max_response_bytes (500 bytes)") != std::string::npos);
  auto streamed = client->Send(request);  // chunked: no Content-Length, the limit applies while receiving
  CHECK(streamed.status().code() == absl::StatusCode::kResourceExhausted);
}

TEST_CASE("http client reports a truncated body as UNAVAILABLE", "[unit]") {
  TestResponse truncated = TestResponse::Text(200, "only part");
  truncated.content_length = 100;
  HttpTestServer server(HttpTestServer::Sequence({truncated, TestResponse::Text(200, "whole")}));
  auto client = HttpClient::Create();
  auto response = client->Send({.url = server.url() + "/cut"});
  REQUIRE(response.status().code() == absl::StatusCode::kUnavailable);
  CHECK(std::string(response.status().message()).find("truncated") != std::string::npos);
  auto next = client->Send({.url = server.url() + "/cut"});
  REQUIRE(next.ok());
  CHECK(next->body == "whole");
}

TEST_CASE("http client delivers streamed chunks as they arrive", "[unit]") {
  TestResponse stream;
  stream.chunked = true;
  stream.chunks = {{milliseconds(0), "a"}, {milliseconds(150), "b"}, {milliseconds(150), "c"}};
  HttpTestServer server(HttpTestServer::Sequence({stream}));
  std::vector<std::pair<std::string, double>> arrivals;
  auto start = std::chrono::steady_clock::now();
  auto response = HttpClient::Create()->SendStreaming({.url = server.url() + "/s"}, [&](std::string_view chunk) {
    arrivals.emplace_back(std::string(chunk), SecondsSince(start));
    return true;
  });
  REQUIRE(response.ok());
  CHECK(response->status == 200);
  CHECK(response->body.empty());
  REQUIRE(arrivals.size() == 3);
  CHECK(arrivals[0].first == "a");
  CHECK(arrivals[2].first == "c");
  CHECK(arrivals[2].second - arrivals[0].second >= 0.25);  // "a" came before the server had sent "c"
}

TEST_CASE("http client streaming stops when the receiver returns false", "[unit]") {
  TestResponse endless;
  endless.chunked = true;
  endless.chunks = {{milliseconds(0), "x"}};
  endless.repeat_last_chunk_every = milliseconds(10);
  HttpTestServer server(HttpTestServer::Sequence({endless}));
  int calls = 0;
  auto response = HttpClient::Create()->SendStreaming({.url = server.url() + "/"}, [&](std::string_view) {
    return ++calls < 3;
  });
  CHECK(response.status().code() == absl::StatusCode::kCancelled);
  CHECK(calls == 3);
}

TEST_CASE("http client request cancelled from another thread ends while waiting for headers", "[unit]") {
  TestResponse slow = TestResponse::Text(200, "late");
  slow.delay_before_headers = milliseconds(5000);
  HttpTestServer server(HttpTestServer::Sequence({slow}));
  std::atomic<bool> cancel{false};
  HttpRequest request{.url = server.url() + "/"};
  request.cancel = &cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(150));
    cancel = true;
  });
  auto start = std::chrono::steady_clock::now();
  auto response = HttpClient::Create()->Send(request);
  canceller.join();
  CHECK(response.status().code() == absl::StatusCode::kCancelled);
  CHECK(SecondsSince(start) < 1.0);
}

TEST_CASE("http client streaming collects the body of an error status instead of streaming it", "[unit]") {
  HttpTestServer server([](const RecordedRequest&) {
    return TestResponse::Json(429, "{\"error\":{\"message\":\"slow down\"}}");
  });
  bool called = false;
  auto response = HttpClient::Create()->SendStreaming({.url = server.url() + "/"}, [&](std::string_view) {
    called = true;
    return true;
  });
  REQUIRE(response.ok());
  CHECK(response->status == 429);
  CHECK(response->body == "{\"error\":{\"message\":\"slow down\"}}");
  CHECK_FALSE(called);
}

TEST_CASE("http client maps refused connections and bad requests and hides query strings", "[unit]") {
  int port = 0;
  {
    HttpTestServer gone([](const RecordedRequest&) { return TestResponse{}; });
    port = gone.port();
  }
  auto client = HttpClient::Create();
  auto refused = client->Send({.url = "http://127.0.0.1:" + std::to_string(port) + "/x?api_key=sk-secret"});
  REQUIRE(refused.status().code() == absl::StatusCode::kUnavailable);
  CHECK(std::string(refused.status().message()).find("sk-secret") == std::string::npos);
  CHECK(client->Send({.url = "ftp://example.invalid/"}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(client->Send({.method = "get", .url = "http://127.0.0.1/"}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  HttpRequest injected{.url = "http://127.0.0.1/"};
  injected.headers = {{"X-A", "b\r\nX-Evil: 1"}};
  CHECK(client->Send(injected).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace catena::connectors
