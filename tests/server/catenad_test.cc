// Integration tests of the real catenad process: health per service, server info, request context from
// metadata, service selection, HTTP routes and metrics, and the C++ SDK against it.
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>

#include "catena/client.h"
#include "catena/v1/pipeline.grpc.pb.h"
#include "catena/v1/server.grpc.pb.h"
#include "common/version.h"
#include "tests/server/catenad_fixture.h"

namespace catena::testing {
namespace {

std::unique_ptr<sdk::Client> ClientFor(const CatenadProcess& catenad, std::string tenant = "") {
  auto client = sdk::Client::Create({.address = catenad.grpc_address(), .tenant = std::move(tenant)});
  REQUIRE(client.ok());
  return *std::move(client);
}

TEST_CASE("catenad on port 0 reports the server and its services SERVING, inference only with a model", "[integration]") {
  CatenadProcess catenad;
  auto client = ClientFor(catenad);
  CHECK(client->Health("").value() == sdk::ServingStatus::kServing);
  for (const char* service : {"catena.v1.ServerService", "catena.v1.EmbeddingService", "catena.v1.RetrievalService",
                              "catena.v1.MemoryService", "catena.v1.PipelineService"}) {
    INFO(service);
    CHECK(client->Health(service).value() == sdk::ServingStatus::kServing);
  }
  // No model is configured, so the inference service cannot serve yet.
  CHECK(client->Health("catena.v1.InferenceService").value() == sdk::ServingStatus::kNotServing);
  auto unknown = client->Health("catena.v1.NoSuchService");
  CHECK(unknown.status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("server info reports version, services and the tenant from x-catena-tenant", "[integration]") {
  CatenadProcess catenad;
  auto info = ClientFor(catenad)->ServerInfo();
  REQUIRE(info.ok());
  CHECK(info->version() == kVersion);
  CHECK(info->services_size() == 6);
  CHECK(info->services(0) == "catena.v1.ServerService");
  CHECK(info->tenant() == "default");
  CHECK(info->request_id().size() == 16);

  auto acme = ClientFor(catenad, "acme-bank")->ServerInfo();
  REQUIRE(acme.ok());
  CHECK(acme->tenant() == "acme-bank");

  auto bad = ClientFor(catenad, "../etc")->ServerInfo();
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("x-catena-tenant"));
}

TEST_CASE("a client-supplied x-request-id is echoed back", "[integration]") {
  CatenadProcess catenad;
  auto channel = grpc::CreateChannel(catenad.grpc_address(), grpc::InsecureChannelCredentials());
  auto stub = v1::ServerService::NewStub(channel);
  grpc::ClientContext context;
  context.AddMetadata("x-request-id", "req-42");
  v1::GetServerInfoResponse response;
  REQUIRE(stub->GetServerInfo(&context, v1::GetServerInfoRequest(), &response).ok());
  CHECK(response.request_id() == "req-42");
}

TEST_CASE("the service flag runs only the named services", "[integration]") {
  CatenadProcess catenad({"--service", "retrieval,memory"});
  auto client = ClientFor(catenad);
  CHECK(client->Health("catena.v1.RetrievalService").value() == sdk::ServingStatus::kServing);
  CHECK(client->Health("catena.v1.MemoryService").value() == sdk::ServingStatus::kServing);
  CHECK(client->Health("catena.v1.InferenceService").status().code() == absl::StatusCode::kNotFound);
  auto info = client->ServerInfo();
  REQUIRE(info.ok());
  CHECK(std::vector<std::string>(info->services().begin(), info->services().end()) ==
        std::vector<std::string>{"catena.v1.ServerService", "catena.v1.RetrievalService", "catena.v1.MemoryService"});
}

TEST_CASE("ping echoes its payload and validates the delay", "[integration]") {
  CatenadProcess catenad;
  auto client = ClientFor(catenad);
  CHECK(client->Ping("hello").value() == "hello");
  CHECK(client->Ping("later", absl::Milliseconds(50)).value() == "later");
  CHECK(client->Ping("x", absl::Seconds(11)).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a call whose deadline passes during a ping ends with DEADLINE_EXCEEDED", "[integration]") {
  CatenadProcess catenad;
  auto channel = grpc::CreateChannel(catenad.grpc_address(), grpc::InsecureChannelCredentials());
  auto stub = v1::ServerService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  v1::PingRequest request;
  request.set_delay_ms(5000);
  v1::PingResponse response;
  CHECK(stub->Ping(&context, request, &response).error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
  // The server is still healthy afterwards.
  CHECK(ClientFor(catenad)->Ping("after").value() == "after");
}

TEST_CASE("every service of the catalog answers on a fresh server (pipelines: an empty list)", "[integration]") {
  CatenadProcess catenad;
  auto channel = grpc::CreateChannel(catenad.grpc_address(), grpc::InsecureChannelCredentials());
  auto stub = v1::PipelineService::NewStub(channel);
  grpc::ClientContext context;
  v1::ListPipelinesResponse response;
  CHECK(stub->ListPipelines(&context, v1::ListPipelinesRequest(), &response).ok());
  CHECK(response.pipelines_size() == 0);
}

TEST_CASE("HTTP serves healthz, readyz and Prometheus metrics of gRPC calls", "[integration]") {
  CatenadProcess catenad;
  CHECK(HttpRequestTo(catenad.http_address(), "GET", "/healthz").body == "ok\n");
  HttpResult ready = HttpRequestTo(catenad.http_address(), "GET", "/readyz");
  CHECK(ready.status == 200);
  CHECK(ready.body == "ready\n");
  CHECK(HttpRequestTo(catenad.http_address(), "GET", "/nope").status == 404);
  CHECK(HttpRequestTo(catenad.http_address(), "POST", "/healthz").status == 405);

  auto client = ClientFor(catenad);
  REQUIRE(client->Ping("a").ok());
  REQUIRE(client->Ping("b").ok());
  REQUIRE(client->Ping("c", absl::Seconds(20)).status().code() == absl::StatusCode::kInvalidArgument);
  HttpResult metrics = HttpRequestTo(catenad.http_address(), "GET", "/metrics");
  REQUIRE(metrics.status == 200);
  CHECK_THAT(metrics.body,
             Catch::Contains("catena_grpc_requests_total{method=\"/catena.v1.ServerService/Ping\",code=\"OK\"} 2\n"));
  CHECK_THAT(metrics.body, Catch::Contains("catena_grpc_requests_total{method=\"/catena.v1.ServerService/Ping\","
                                           "code=\"INVALID_ARGUMENT\"} 1\n"));
  CHECK_THAT(metrics.body, Catch::Contains("# TYPE catena_grpc_request_duration_seconds histogram\n"));
  CHECK_THAT(
      metrics.body,
      Catch::Contains("catena_grpc_request_duration_seconds_count{method=\"/catena.v1.ServerService/Ping\"} 3\n"));
}

}  // namespace
}  // namespace catena::testing
