// Call policy of the C++ SDK: deadlines (client default and per call, unary and streaming), cancellation, the
// tenant/token/extra headers as a server sees them, and retries with backoff on UNAVAILABLE for idempotent RPCs
// only (a catenad that starts late, a port where nothing listens).
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <map>
#include <mutex>
#include <thread>

#include "catena/v1/server.grpc.pb.h"
#include "tests/sdk/cpp/sdk_test_util.h"
#include "tests/support/temp_dir.h"

namespace catena::testing {
namespace {

// A ServerService that records the request headers of every call (an in-process stand-in for catenad, which
// does not report the authorization header back).
class RecordingServerService final : public v1::ServerService::Service {
 public:
  grpc::Status GetServerInfo(grpc::ServerContext* context, const v1::GetServerInfoRequest*,
                             v1::GetServerInfoResponse* response) override {
    Record(*context);
    response->set_version("9.9.9");
    return grpc::Status::OK;
  }
  grpc::Status Ping(grpc::ServerContext* context, const v1::PingRequest* request, v1::PingResponse* response) override {
    Record(*context);
    response->set_payload(request->payload());
    return grpc::Status::OK;
  }
  std::vector<std::multimap<std::string, std::string>> calls() {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }

 private:
  void Record(const grpc::ServerContext& context) {
    std::multimap<std::string, std::string> headers;
    for (const auto& [key, value] : context.client_metadata()) {
      headers.emplace(std::string(key.data(), key.size()), std::string(value.data(), value.size()));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    calls_.push_back(std::move(headers));
  }
  std::mutex mutex_;
  std::vector<std::multimap<std::string, std::string>> calls_;
};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST_CASE("every call carries the tenant, the bearer token and the per-call headers", "[integration]") {
  RecordingServerService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  REQUIRE(port > 0);
  const std::string address = "127.0.0.1:" + std::to_string(port);
  auto client = MakeClient(address, "acme", {.token = "s3cret"});
  REQUIRE(client->server().GetServerInfo().value().version() == "9.9.9");
  auto pong = client->server().Ping(Parse<v1::PingRequest>(R"(payload: "x")"), {.metadata = {{"x-request-id", "r-7"}}});
  REQUIRE(pong.ok());
  CHECK(client->Ping("legacy").value() == "legacy");
  auto anonymous = MakeClient(address, "");
  REQUIRE(anonymous->server().GetServerInfo().ok());
  server->Shutdown();

  auto calls = service.calls();
  REQUIRE(calls.size() == 4);
  for (int i = 0; i < 3; ++i) {
    CHECK(calls[i].count("authorization") == 1);
    CHECK(calls[i].find("authorization")->second == "Bearer s3cret");
    CHECK(calls[i].find("x-catena-tenant")->second == "acme");
  }
  CHECK(calls[1].find("x-request-id")->second == "r-7");
  CHECK(calls[0].count("x-request-id") == 0);
  CHECK(calls[3].count("authorization") == 0);
  CHECK(calls[3].count("x-catena-tenant") == 0);
}

TEST_CASE("a deadline that expires ends unary and streaming calls with DEADLINE_EXCEEDED", "[integration]") {
  CatenadProcess catenad({"--set", "pipelines.test_models=true"});
  auto client = MakeClient(catenad.grpc_address());
  const auto slow = Parse<v1::PingRequest>(R"(payload: "slow" delay_ms: 3000)");
  auto start = std::chrono::steady_clock::now();
  CHECK(client->server().Ping(slow, {.timeout = absl::Milliseconds(300)}).status().code() ==
        absl::StatusCode::kDeadlineExceeded);
  CHECK(SecondsSince(start) < 2.0);
  CHECK(client->server().Ping(slow, {.deadline = absl::Now() + absl::Milliseconds(200)}).status().code() ==
        absl::StatusCode::kDeadlineExceeded);

  sdk::ClientOptions options{.address = catenad.grpc_address(), .timeout = absl::Milliseconds(300)};
  auto strict = sdk::Client::Create(options).value();
  CHECK(strict->server()
            .Ping(Parse<v1::PingRequest>(R"(payload: "p" delay_ms: 2000)"), {.timeout = absl::Milliseconds(300)})
            .status()
            .code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(strict->pipelines().ListPipelines({}, {.deadline = absl::Now() - absl::Seconds(1)}).status().code() ==
        absl::StatusCode::kDeadlineExceeded);

  v1::RunRequest run;
  run.set_source("bad: [unclosed");
  auto stream = client->pipelines().RunStream(run, {.deadline = absl::Now() - absl::Seconds(1)});
  CHECK_FALSE(stream.Next().has_value());
  CHECK(stream.status().code() == absl::StatusCode::kDeadlineExceeded);
  // The same call with time left reaches the server and gets its validation error instead.
  auto valid_deadline = client->pipelines().RunStream(run, {.timeout = absl::Seconds(10)});
  CHECK_FALSE(valid_deadline.Next().has_value());
  CHECK(valid_deadline.status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a cancellation ends a call in flight and fails later calls before they are sent", "[integration]") {
  CatenadProcess catenad;
  auto client = MakeClient(catenad.grpc_address());
  auto cancellation = sdk::Cancellation::Create();
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancellation->Cancel();
  });
  auto start = std::chrono::steady_clock::now();
  auto result =
      client->server().Ping(Parse<v1::PingRequest>(R"(payload: "p" delay_ms: 5000)"), {.cancellation = cancellation});
  canceller.join();
  CHECK(result.status().code() == absl::StatusCode::kCancelled);
  CHECK(SecondsSince(start) < 3.0);
  CHECK(client->server().GetServerInfo({.cancellation = cancellation}).status().code() == absl::StatusCode::kCancelled);
  CHECK(client->server().GetServerInfo({.cancellation = sdk::Cancellation::Create()}).ok());
}

TEST_CASE("idempotent calls are retried until a catenad that starts late is up", "[integration][slow]") {
  const int port = FreePort();
  const std::string data_dir = MakeTempDir("sdkcpp-late").string();
  std::unique_ptr<Subprocess> late;
  std::thread starter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    late = std::make_unique<Subprocess>(
        std::vector<std::string>{BuiltProgram("catenad"), "--grpc-port", std::to_string(port), "--http-port", "0",
                                 "--data-dir", data_dir, "--log-level", "warn", "--service", "memory"});
  });
  sdk::ClientOptions options{
      .address = "127.0.0.1:" + std::to_string(port),
      .timeout = absl::Seconds(30),
      .retry = {
          .max_attempts = 1000, .initial_backoff = absl::Milliseconds(100), .max_backoff = absl::Milliseconds(300)}};
  auto client = sdk::Client::Create(options).value();
  auto start = std::chrono::steady_clock::now();
  auto pong = client->server().Ping(Parse<v1::PingRequest>(R"(payload: "late")"));
  starter.join();
  REQUIRE(pong.ok());
  CHECK(pong->payload() == "late");
  CHECK(SecondsSince(start) >= 0.5);  // it failed first and waited for the server
  late->Signal(SIGTERM);
  CHECK(late->Wait(std::chrono::seconds(10)).has_value());
}

TEST_CASE("UNAVAILABLE is not retried for non-idempotent calls and retries stop at max_attempts", "[integration]") {
  sdk::ClientOptions options{.address = "127.0.0.1:" + std::to_string(FreePort()),
                             .timeout = absl::Seconds(10),
                             .retry = {.max_attempts = 3,
                                       .initial_backoff = absl::Milliseconds(400),
                                       .max_backoff = absl::Milliseconds(400),
                                       .multiplier = 1}};
  auto client = sdk::Client::Create(options).value();
  auto timed = [](auto call) {
    auto start = std::chrono::steady_clock::now();
    absl::Status status = call();
    return std::make_pair(status, SecondsSince(start));
  };
  auto [create, create_s] = timed([&] {
    return client->retrieval().CreateCollection(Parse<v1::CreateCollectionRequest>(R"(name: "c")")).status();
  });
  CHECK(create.code() == absl::StatusCode::kUnavailable);
  CHECK(create_s < 0.35);  // one attempt, no backoff
  auto [unnamed, unnamed_s] = timed([&] {
    return client->retrieval().Upsert(Parse<v1::UpsertRequest>(R"(collection: "c" documents { text: "x" })")).status();
  });
  CHECK(unnamed.code() == absl::StatusCode::kUnavailable);
  CHECK(unnamed_s < 0.35);  // documents without ids: not idempotent

  // Idempotent: three attempts with two jittered pauses of at most 0.4 s. With full jitter a pause may be short,
  // so the upper bound is the check; the attempts are counted by the server-less failure being UNAVAILABLE.
  auto [info, info_s] = timed([&] { return client->server().GetServerInfo().status(); });
  CHECK(info.code() == absl::StatusCode::kUnavailable);
  CHECK(info_s < 3.0);

  // A deadline shorter than the retries bounds them.
  auto [bounded, bounded_s] = timed([&] {
    return client->server()
        .GetServerInfo({.timeout = absl::Seconds(1),
                        .retry = sdk::RetryOptions{.max_attempts = 100,
                                                   .initial_backoff = absl::Milliseconds(200),
                                                   .max_backoff = absl::Milliseconds(200),
                                                   .multiplier = 1}})
        .status();
  });
  CHECK(bounded.code() == absl::StatusCode::kUnavailable);
  CHECK(bounded_s < 1.5);
  CHECK(bounded_s > 0.3);  // it did retry: ~5 pauses averaging 0.1 s
}

TEST_CASE("bad retry options are rejected when the client is created", "[unit]") {
  auto bad = sdk::Client::Create({.retry = {.max_attempts = 0}});
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("max_attempts"));
  CHECK(sdk::Client::Create({.retry = {.multiplier = 0.5}}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(sdk::ValidateRetryOptions(sdk::NoRetries()).ok());
}

}  // namespace
}  // namespace catena::testing
