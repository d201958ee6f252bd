// Helpers of the server's authentication tests (auth_*_test.cc): API keys written into a catenad's key file before
// it starts, a catenad started with auth enabled, gRPC contexts carrying a key and tenant, and a raw HTTP client
// that returns the headers the auth layer sets. Header-only; test code only.
#pragma once

#include <grpcpp/grpcpp.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "auth/key_store.h"
#include "tests/server/catenad_fixture.h"

namespace catena::testing {

// Keys of two tenants and a revoked key of tenant "alpha", written to `<data_dir>/auth/keys.json`.
struct TestKeys {
  std::string alpha;
  std::string beta;
  std::string revoked;
};

inline TestKeys WriteTestKeys(const std::filesystem::path& data_dir) {
  const auto file = auth::DefaultKeysFile(data_dir);
  const absl::Time now = absl::Now();
  auto alpha = auth::CreateKey(file, "alpha", absl::InfiniteFuture(), now);
  auto beta = auth::CreateKey(file, "beta", absl::InfiniteFuture(), now);
  auto revoked = auth::CreateKey(file, "alpha", absl::InfiniteFuture(), now);
  REQUIRE((alpha.ok() && beta.ok() && revoked.ok()));
  REQUIRE(auth::RevokeKey(file, revoked->record.id).ok());
  return {alpha->secret, beta->secret, revoked->secret};
}

// A pipeline "qa" answering with the deterministic test model (needs pipelines.test_models=true).
inline constexpr char kQaPipeline[] = R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: qa}
inputs:
  question: {type: string, required: true}
nodes:
  answer:
    type: llm.chat
    with: {model: test, prompt: "{{ inputs.question }}"}
outputs:
  answer: "{{ nodes.answer.text }}"
)";

// catenad with auth enabled and the test models on, plus `extra` arguments.
inline std::unique_ptr<CatenadProcess> StartSecured(const std::filesystem::path& data_dir,
                                                    std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--set", "auth.enabled=true", "--set", "pipelines.test_models=true"};
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<CatenadProcess>(args, std::vector<std::string>{}, data_dir);
}

// A client context with a 30 s deadline, `authorization: Bearer <key>` when key is set, and x-catena-tenant when
// tenant is set.
inline std::unique_ptr<grpc::ClientContext> AuthContext(const std::string& key, const std::string& tenant = "") {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (!key.empty()) context->AddMetadata("authorization", "Bearer " + key);
  if (!tenant.empty()) context->AddMetadata("x-catena-tenant", tenant);
  return context;
}

struct HttpReply {
  int status = 0;
  std::string body;
  std::string www_authenticate;
  std::string retry_after;
};

// One HTTP/1.1 request; `key` is sent as a Bearer token when set, `headers` as given.
inline HttpReply HttpCall(const std::string& address, const std::string& method, const std::string& target,
                          const std::string& key = "", const std::string& body = "",
                          const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  const size_t colon = address.rfind(':');
  boost::asio::ip::tcp::resolver resolver(io);
  stream.expires_after(std::chrono::seconds(60));
  stream.connect(resolver.resolve(address.substr(0, colon), address.substr(colon + 1)));
  http::request<http::string_body> request(http::string_to_verb(method), target, 11);
  request.set(http::field::host, address);
  request.set(http::field::content_type, "application/json");
  if (!key.empty()) request.set(http::field::authorization, "Bearer " + key);
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  return {static_cast<int>(response.result_int()), response.body(),
          std::string(response[http::field::www_authenticate]), std::string(response[http::field::retry_after])};
}

}  // namespace catena::testing
