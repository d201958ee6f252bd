// The HTTP side of auth on a real catenad (OpenAI-shaped 401/403 on the /v1 routes, open probe routes, per-config
// /metrics) and per-tenant quotas on both protocols: RESOURCE_EXHAUSTED / 429 with Retry-After naming the tenant
// and the limit, for the request rate and for calls in flight.
#include <catch2/catch.hpp>
#include <future>
#include <thread>

#include "catena/v1/pipeline.grpc.pb.h"
#include "catena/v1/server.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/server/auth_test_support.h"
#include "tests/support/temp_dir.h"

namespace catena::testing {
namespace {

using grpc::StatusCode;
using Json = nlohmann::json;

std::string ErrorType(const HttpReply& reply) {
  const Json body = Json::parse(reply.body, nullptr, false);
  INFO(reply.body);
  REQUIRE(body.contains("error"));
  CHECK(body["error"]["message"].is_string());
  return body["error"]["type"].get<std::string>();
}

std::string ChatBody(const std::string& model) {
  return R"({"model": ")" + model + R"(", "messages": [{"role": "user", "content": "hello"}]})";
}

TEST_CASE("HTTP routes require the bearer key and refuse with OpenAI-shaped errors", "[integration]") {
  const TempDir dir("auth-http");
  const TestKeys keys = WriteTestKeys(dir.path() / "data");
  auto catenad = StartSecured(dir.path() / "data");
  const std::string& http = catenad->http_address();
  auto pipelines =
      v1::PipelineService::NewStub(grpc::CreateChannel(catenad->grpc_address(), grpc::InsecureChannelCredentials()));
  v1::PutPipelineRequest put;
  put.set_source(kQaPipeline);
  v1::Pipeline stored;
  REQUIRE(pipelines->PutPipeline(AuthContext(keys.beta).get(), put, &stored).ok());

  for (const std::string& key : {std::string(), std::string("ck_wrong"), keys.revoked}) {
    for (const auto& [method, target, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
             {"GET", "/v1/models", ""},
             {"POST", "/v1/chat/completions", ChatBody("qa")},
             {"POST", "/v1/embeddings", R"({"model": "hashing-384", "input": "x"})"}}) {
      const HttpReply reply = HttpCall(http, method, target, key, body);
      INFO(target << " with key '" << key << "'");
      CHECK(reply.status == 401);
      CHECK(ErrorType(reply) == "authentication_error");
      CHECK_THAT(reply.www_authenticate, Catch::StartsWith("Bearer"));
    }
  }
  CHECK(HttpCall(http, "GET", "/v1/models", keys.alpha).status == 200);
  CHECK(HttpCall(http, "GET", "/healthz").status == 200);
  CHECK(HttpCall(http, "GET", "/readyz").status == 200);
  CHECK(HttpCall(http, "GET", "/metrics").status == 200);

  // The pipeline model "qa" belongs to beta: beta's key runs it (through the in-process channel), alpha's does not
  // see it, and alpha's key cannot claim tenant beta.
  const HttpReply beta = HttpCall(http, "POST", "/v1/chat/completions", keys.beta, ChatBody("qa"));
  INFO(beta.body);
  CHECK(beta.status == 200);
  CHECK(HttpCall(http, "POST", "/v1/chat/completions", keys.alpha, ChatBody("qa")).status == 404);
  const HttpReply claimed =
      HttpCall(http, "POST", "/v1/chat/completions", keys.alpha, ChatBody("qa"), {{"x-catena-tenant", "beta"}});
  CHECK(claimed.status == 403);
  CHECK(ErrorType(claimed) == "permission_error");
}

TEST_CASE("probes and /metrics can be put behind the key", "[integration]") {
  const TempDir dir("auth-closed");
  const TestKeys keys = WriteTestKeys(dir.path() / "data");
  auto catenad =
      StartSecured(dir.path() / "data", {"--set", "auth.open_metrics=false", "--set", "auth.open_health=false"});
  const std::string& http = catenad->http_address();
  CHECK(HttpCall(http, "GET", "/metrics").status == 401);
  CHECK(HttpCall(http, "GET", "/healthz").status == 401);
  CHECK(HttpCall(http, "GET", "/metrics", keys.alpha).status == 200);
  CHECK(HttpCall(http, "GET", "/healthz", keys.alpha).status == 200);
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(catenad->grpc_address(), grpc::InsecureChannelCredentials()));
  grpc::health::v1::HealthCheckResponse response;
  CHECK(health->Check(AuthContext("").get(), {}, &response).error_code() == StatusCode::UNAUTHENTICATED);
  CHECK(health->Check(AuthContext(keys.alpha).get(), {}, &response).ok());
}

grpc::Status Ping(v1::ServerService::Stub& stub, const std::string& key, int delay_ms = 0) {
  v1::PingRequest request;
  request.set_delay_ms(delay_ms);
  v1::PingResponse pong;
  return stub.Ping(AuthContext(key).get(), request, &pong);
}

TEST_CASE("a tenant over its request rate gets RESOURCE_EXHAUSTED and 429 with Retry-After", "[integration]") {
  const TempDir dir("auth-rate");
  const TestKeys keys = WriteTestKeys(dir.path() / "data");
  auto catenad =
      StartSecured(dir.path() / "data", {"--set", "auth.quota.requests_per_second=0.2", "--set", "auth.quota.burst=2",
                                         "--set", "auth.tenant_quotas=beta:requests_per_second=1000,beta:burst=500"});
  auto stub =
      v1::ServerService::NewStub(grpc::CreateChannel(catenad->grpc_address(), grpc::InsecureChannelCredentials()));
  CHECK(Ping(*stub, keys.alpha).ok());
  CHECK(Ping(*stub, keys.alpha).ok());
  const grpc::Status refused = Ping(*stub, keys.alpha);
  CHECK(refused.error_code() == StatusCode::RESOURCE_EXHAUSTED);
  CHECK_THAT(refused.error_message(), Catch::Contains("tenant 'alpha'") && Catch::Contains("0.2 requests/s"));
  const HttpReply limited = HttpCall(catenad->http_address(), "GET", "/v1/models", keys.alpha);
  CHECK(limited.status == 429);
  CHECK(ErrorType(limited) == "rate_limit_error");
  INFO(limited.retry_after);
  CHECK(std::stoi(limited.retry_after) >= 1);
  CHECK(std::stoi(limited.retry_after) <= 5);
  // Beta's override gives it a much larger budget, and alpha's exhaustion does not touch it.
  for (int i = 0; i < 30; ++i) REQUIRE(Ping(*stub, keys.beta).ok());
  // Health probes are not counted.
  CHECK(HttpCall(catenad->http_address(), "GET", "/healthz").status == 200);
}

TEST_CASE("a tenant at its concurrency limit is refused until a call finishes", "[integration]") {
  const TempDir dir("auth-inflight");
  const TestKeys keys = WriteTestKeys(dir.path() / "data");
  auto catenad = StartSecured(dir.path() / "data", {"--set", "auth.quota.max_in_flight=1"});
  auto stub =
      v1::ServerService::NewStub(grpc::CreateChannel(catenad->grpc_address(), grpc::InsecureChannelCredentials()));
  REQUIRE(Ping(*stub, keys.alpha).ok());
  auto slow = std::async(std::launch::async, [&] { return Ping(*stub, keys.alpha, 3000); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const grpc::Status refused = Ping(*stub, keys.alpha);
  CHECK(refused.error_code() == StatusCode::RESOURCE_EXHAUSTED);
  CHECK_THAT(refused.error_message(), Catch::Contains("tenant 'alpha'") && Catch::Contains("concurrency limit of 1"));
  const HttpReply limited = HttpCall(catenad->http_address(), "GET", "/v1/models", keys.alpha);
  CHECK(limited.status == 429);
  CHECK_FALSE(limited.retry_after.empty());
  CHECK(Ping(*stub, keys.beta).ok());  // another tenant is not affected
  CHECK(slow.get().ok());
  // The slot is given back before the status is sent, so the next call is admitted at once.
  CHECK(Ping(*stub, keys.alpha).ok());
}

}  // namespace
}  // namespace catena::testing
