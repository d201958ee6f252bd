// HTTP tools with real HTTP calls to a local server: URL templates with percent-encoding, secret headers, JSON
// bodies, response mapping, HTTP errors, redirects, size limits and timeouts; plus the host allowlist.
#include <catch2/catch.hpp>

#include <thread>

#include "absl/strings/str_cat.h"
#include "agents/http_tool.h"
#include "agents/tool_file.h"
#include "agents/tool_invoke.h"
#include "tests/support/http_test_server.h"

namespace catena::agents {
namespace {

using Json = nlohmann::ordered_json;
using catena::testing::HttpTestServer;
using catena::testing::RecordedRequest;
using catena::testing::TestResponse;

SecretResolver FakeSecrets() {
  return [](std::string_view ref) -> absl::StatusOr<std::string> {
    if (ref == "env:BANK_API_KEY") return std::string("s3cr3t");
    return absl::NotFoundError(absl::StrCat("secret ", std::string(ref), " is not set"));
  };
}

std::shared_ptr<const chains::Tool> OneTool(const std::string& yaml) {
  auto tools = ParseToolFile(yaml, "tools.yaml", {.resolve_secret = FakeSecrets()});
  INFO(tools.status());
  REQUIRE(tools.ok());
  REQUIRE(tools->size() == 1);
  return (*tools)[0];
}

std::string Header(int port) {
  return absl::StrCat("allowed_hosts: [\"127.0.0.1:", port, "\"]\ntools:\n");
}

TEST_CASE("HTTP tool GETs the templated URL with encoded arguments and secret headers, then picks items",
          "[integration]") {
  HttpTestServer server([](const RecordedRequest&) {
    return TestResponse::Json(200, R"({"account":"x","items":[{"id":1},{"id":2},{"id":3}]})");
  });
  auto tool = OneTool(Header(server.port()) + absl::StrCat(R"(
  - name: lookup_transactions
    description: Recent transactions of an account.
    parameters: {type: object, properties: {account_id: {type: string}, limit: {type: integer}}, required: [account_id]}
    http:
      url: "http://127.0.0.1:)", server.port(), R"(/accounts/{{ args.account_id }}/tx?limit={{ args.limit }}&q={{ args.q }}"
      headers: {Authorization: "Bearer {{ secret('env:BANK_API_KEY') }}", X-Account: "{{ args.account_id }}"}
    response: {pick: items, max_items: 2}
)"));
  auto output = InvokeTool(*tool, {}, R"({"account_id": "a b/c?d&e=é", "limit": 5})");
  INFO(output.status());
  REQUIRE(output.ok());
  CHECK(output->is_json);
  CHECK(Json::parse(output->content) == Json::parse(R"([{"id":1},{"id":2}])"));
  const std::vector<RecordedRequest> requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "GET");
  CHECK(requests[0].path == "/accounts/a%20b%2Fc%3Fd%26e%3D%C3%A9/tx?limit=5&q=");
  CHECK(requests[0].Header("authorization") == "Bearer s3cr3t");
  CHECK(requests[0].Header("x-account") == "a b/c?d&e=é");
  CHECK(requests[0].Header("accept") == "application/json");
}

TEST_CASE("HTTP tool POSTs a JSON body whose lone expressions keep their types", "[integration]") {
  HttpTestServer server([](const RecordedRequest& request) {
    return TestResponse::Json(201, R"({"transfer":{"id":"t-9","state":"pending"}})");
  });
  auto tool = OneTool(Header(server.port()) + absl::StrCat(R"(
  - name: transfer
    description: Sends money.
    parameters:
      type: object
      properties: {amount: {type: number}, to: {type: string}, tags: {type: array, items: {type: string}}}
      required: [amount, to]
    approval: {when: "args.amount > 1000"}
    http:
      method: post
      url: "http://127.0.0.1:)", server.port(), R"(/transfers"
      json: {amount: "{{ args.amount }}", memo: "Transfer to {{ args.to }}", tags: "{{ args.tags }}", fixed: 7,
             missing: "{{ args.nope }}"}
    response: {pick: transfer.id}
)"));
  CHECK(tool->definition().approval.mode == chains::ApprovalPolicy::Mode::kWhen);
  CHECK(tool->definition().approval.condition == "args.amount > 1000");
  auto output = InvokeTool(*tool, {}, R"({"amount": 12.5, "to": "DE89 \"quoted\"", "tags": ["rent", "june"]})");
  INFO(output.status());
  REQUIRE(output.ok());
  CHECK(output->content == R"("t-9")");
  const std::vector<RecordedRequest> requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "POST");
  CHECK(requests[0].path == "/transfers");
  CHECK(requests[0].Header("content-type") == "application/json");
  CHECK(Json::parse(requests[0].body) == Json::parse(R"({"amount":12.5,"memo":"Transfer to DE89 \"quoted\"",
                                                          "tags":["rent","june"],"fixed":7,"missing":null})"));
}

TEST_CASE("HTTP tool turns 4xx and 5xx replies into errors with the status and a body snippet", "[integration]") {
  HttpTestServer server([](const RecordedRequest& request) {
    if (request.path == "/missing") return TestResponse::Json(404, R"({"error":"no such account"})");
    if (request.path == "/busy") return TestResponse::Text(503, std::string(1000, 'x'));
    if (request.path == "/moved") {
      return TestResponse{.status = 302, .headers = {{"Location", "http://evil.example/steal"}}};
    }
    return TestResponse::Text(200, "plain text reply");
  });
  auto tool = OneTool(Header(server.port()) + absl::StrCat(R"(
  - name: fetch
    description: Fetches a path.
    parameters: {type: object, properties: {path: {type: string}}, required: [path]}
    http: {url: "http://127.0.0.1:)", server.port(), R"(/{{ args.path }}"}
)"));
  const std::string base = absl::StrCat("GET http://127.0.0.1:", server.port());
  auto missing = InvokeTool(*tool, {}, R"({"path":"missing"})");
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK(missing.status().message() == absl::StrCat("tool 'fetch': HTTP 404 from ", base,
                                                   "/missing: {\"error\":\"no such account\"}"));
  auto busy = InvokeTool(*tool, {}, R"({"path":"busy"})");
  CHECK(busy.status().code() == absl::StatusCode::kUnavailable);
  CHECK(busy.status().message() == absl::StrCat("tool 'fetch': HTTP 503 from ", base, "/busy: ",
                                                std::string(300, 'x'), "..."));
  auto moved = InvokeTool(*tool, {}, R"({"path":"moved"})");
  CHECK(moved.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(moved.status().message()),
             Catch::EndsWith("HTTP 302 from " + base + "/moved: redirect to 'http://evil.example/steal' not followed"));
  auto text = InvokeTool(*tool, {}, R"({"path":"text"})");
  REQUIRE(text.ok());
  CHECK(text->content == "plain text reply");
  CHECK(!text->is_json);
  CHECK(server.requests().size() == 4);  // the redirect was not followed
}

TEST_CASE("HTTP tool enforces max_response_bytes and its timeout", "[integration]") {
  HttpTestServer server([](const RecordedRequest& request) {
    TestResponse response = TestResponse::Json(200, absl::StrCat("[\"", std::string(5000, 'y'), "\"]"));
    if (request.path == "/slow") response.delay_before_headers = std::chrono::milliseconds(1500);
    return response;
  });
  auto tool = OneTool(Header(server.port()) + absl::StrCat(R"(
  - name: fetch
    description: Fetches a path.
    parameters: {type: object, properties: {path: {type: string}}, required: [path]}
    http: {url: "http://127.0.0.1:)", server.port(), R"(/{{ args.path }}", timeout: 300ms, max_response_bytes: 1000}
)"));
  auto big = InvokeTool(*tool, {}, R"({"path":"big"})");
  CHECK(big.status().code() == absl::StatusCode::kResourceExhausted);
  auto slow = InvokeTool(*tool, {}, R"({"path":"slow"})");
  CHECK(slow.status().code() == absl::StatusCode::kDeadlineExceeded);
  auto past = InvokeTool(*tool, {.deadline = absl::Now() - absl::Seconds(1)}, R"({"path":"big"})");
  CHECK(past.status().code() == absl::StatusCode::kDeadlineExceeded);
}

TEST_CASE("HTTP tool reports a missing pick path and a missing secret", "[integration]") {
  HttpTestServer server([](const RecordedRequest&) { return TestResponse::Json(200, R"({"data":{"rows":[]}})"); });
  auto tools = ParseToolFile(Header(server.port()) + absl::StrCat(R"(
  - name: rows
    description: Rows.
    http: {url: "http://127.0.0.1:)", server.port(), R"(/rows"}
    response: {pick: data.items}
  - name: keyed
    description: Needs a key.
    http: {url: "http://127.0.0.1:)", server.port(), R"(/rows", headers: {X-Key: "{{ secret('env:OTHER') }}"}}
)"), "tools.yaml", {.resolve_secret = FakeSecrets()});
  REQUIRE(tools.ok());
  REQUIRE(tools->size() == 2);
  CHECK((*tools)[0]->definition().source == "tools.yaml:4");  // line 3 is the blank one after tools:
  auto rows = InvokeTool(*(*tools)[0], {}, "{}");
  CHECK(rows.status().code() == absl::StatusCode::kNotFound);
  CHECK(rows.status().message() == "tool 'rows': the reply has no 'items' at 'data' (response.pick: data.items)");
  auto keyed = InvokeTool(*(*tools)[1], {}, "{}");
  CHECK(keyed.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(keyed.status().message()), Catch::Contains("secret env:OTHER is not set"));
  CHECK(server.requests().size() == 1);  // the keyed call never went out
}

TEST_CASE("host allowlist matches exact hosts, ports and subdomain wildcards", "[unit]") {
  const std::vector<std::string> allowed = {"api.bank.example", "127.0.0.1:8080", "*.corp.example", "[::1]:9000"};
  CHECK(HostAllowed(allowed, "api.bank.example", 443));
  CHECK(HostAllowed(allowed, "api.bank.example", 80));
  CHECK_FALSE(HostAllowed(allowed, "api.bank.example.evil.com", 443));
  CHECK_FALSE(HostAllowed(allowed, "bank.example", 443));
  CHECK(HostAllowed(allowed, "127.0.0.1", 8080));
  CHECK_FALSE(HostAllowed(allowed, "127.0.0.1", 8081));
  CHECK(HostAllowed(allowed, "docs.corp.example", 443));
  CHECK(HostAllowed(allowed, "a.b.corp.example", 443));
  CHECK_FALSE(HostAllowed(allowed, "corp.example", 443));
  CHECK_FALSE(HostAllowed(allowed, "evilcorp.example", 443));
  CHECK(HostAllowed(allowed, "::1", 9000));
  CHECK_FALSE(HostAllowed(allowed, "::1", 9001));
  CHECK(PercentEncode("a b/c?d&e=é~_.-") == "a%20b%2Fc%3Fd%26e%3D%C3%A9~_.-");
}

}  // namespace
}  // namespace catena::agents
