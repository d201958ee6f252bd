// Tool files: what a valid file declares, and errors that name file:line:column, the field and a fix.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "agents/tool_file.h"
#include "tests/support/temp_dir.h"

namespace catena::agents {
namespace {

using Json = nlohmann::ordered_json;

std::string ErrorOf(const std::string& yaml) {
  auto tools = ParseToolFile(yaml, "tools.yaml");
  INFO(yaml);
  REQUIRE(!tools.ok());
  CHECK(tools.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(tools.status().message());
}

TEST_CASE("a tool file declares tools with their schema, approval and source line", "[unit]") {
  catena::testing::TempDir dir("agents-tool-file");
  const auto path = dir.Write("bank.yaml", R"(allowed_hosts: [api.bank.example, "127.0.0.1:8080"]
tools:
  - name: lookup_transactions
    description: Recent transactions of an account.
    parameters: {type: object, properties: {account_id: {type: string, minLength: 3}, limit: {type: integer, maximum: 50}}, required: [account_id]}
    http:
      method: GET
      url: "https://api.bank.example/accounts/{{ args.account_id }}/transactions?limit={{ args.limit }}"
      timeout: 5s
    approval: never
  - name: close_account
    description: Closes an account.
    http: {method: DELETE, url: "http://127.0.0.1:8080/accounts/{{ args.id }}"}
    approval: always
)");
  auto tools = LoadToolFile(path);
  INFO(tools.status());
  REQUIRE(tools.ok());
  REQUIRE(tools->size() == 2);
  const chains::ToolDefinition& lookup = (*tools)[0]->definition();
  CHECK(lookup.name == "lookup_transactions");
  CHECK(lookup.description == "Recent transactions of an account.");
  CHECK(lookup.source == path.string() + ":3");
  CHECK(Json::parse(lookup.parameters_json_schema) ==
        Json::parse(R"({"type":"object","properties":{"account_id":{"type":"string","minLength":3},
                        "limit":{"type":"integer","maximum":50}},"required":["account_id"]})"));
  CHECK(lookup.approval.mode == chains::ApprovalPolicy::Mode::kNever);
  const chains::ToolDefinition& close = (*tools)[1]->definition();
  CHECK(close.source == path.string() + ":11");
  CHECK(close.approval.mode == chains::ApprovalPolicy::Mode::kAlways);
  CHECK(Json::parse(close.parameters_json_schema) == Json::parse(R"({"type":"object","properties":{}})"));
  CHECK(LoadToolFile(dir.path() / "nope.yaml").status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("tool file errors name the line, column and field, with did-you-mean for unknown keys", "[unit]") {
  CHECK(ErrorOf(R"(allowed_hosts: [h.example]
tools:
  - name: t
    descripton: typo
    http: {url: "https://h.example/", methdo: GET}
)") == "tools.yaml:3:5: tools[0]: missing required key 'description'\n"
       "tools.yaml:4:5: tools[0]: unknown key 'descripton' (did you mean 'description'?); allowed: name, description, "
       "parameters, http, sql, response, approval");
  CHECK(ErrorOf(R"(allowed_hosts: [h.example]
tool:
  - name: t
)") == "tools.yaml:2:1: file: unknown key 'tool' (did you mean 'tools'?); allowed: allowed_hosts, databases, tools, mcp_servers\n"
       "tools.yaml: tools: must be a list of tools");
  CHECK_THAT(ErrorOf(R"(allowed_hosts: [h.example]
tools:
  - name: t
    description: d
    http: {url: "https://h.example/", methdo: GET}
)"), Catch::Contains("tools.yaml:5:39: tools[0].http: unknown key 'methdo' (did you mean 'method'?)"));
}

TEST_CASE("tool files refuse hosts outside the allowlist and templated hosts at load time", "[unit]") {
  CHECK(ErrorOf(R"(allowed_hosts: [api.bank.example]
tools:
  - name: t
    description: d
    http:
      url: "https://evil.example/x"
)") == "tools.yaml:6:12: tools[0]: http.url: host 'evil.example:443' is not in allowed_hosts (api.bank.example)");
  CHECK(ErrorOf(R"(allowed_hosts: ["127.0.0.1:8080"]
tools:
  - name: t
    description: d
    http: {url: "http://127.0.0.1:9090/x"}
)") == "tools.yaml:5:17: tools[0]: http.url: host '127.0.0.1:9090' is not in allowed_hosts (127.0.0.1:8080)");
  CHECK_THAT(ErrorOf(R"(allowed_hosts: [api.bank.example]
tools:
  - name: t
    description: d
    http: {url: "https://{{ args.host }}/x"}
)"), Catch::Contains("http.url: the scheme, host and port must be written literally"));
  CHECK_THAT(ErrorOf(R"(allowed_hosts: [api.bank.example]
tools:
  - name: t
    description: d
    http: {url: "ftp://api.bank.example/x"}
)"), Catch::Contains("http.url scheme 'ftp' is not http or https"));
  CHECK(ErrorOf(R"(tools:
  - name: t
    description: d
    http: {url: "https://api.bank.example/x"}
)") == "tools.yaml:4:11: tools[0].http: HTTP tools need a top-level allowed_hosts list");
}

TEST_CASE("tool files check names, limits, approval conditions, templates and YAML syntax", "[unit]") {
  const std::string head = "allowed_hosts: [h.example]\ntools:\n";
  CHECK_THAT(ErrorOf(head + "  - {name: 'bad name', description: d, http: {url: 'https://h.example/'}}\n"),
             Catch::Contains("tools.yaml:3:12: tools[0].name: tool name 'bad name' has ' ' at position 4"));
  CHECK(ErrorOf(head + "  - {name: a, description: d, http: {url: 'https://h.example/'}}\n"
                       "  - {name: a, description: e, http: {url: 'https://h.example/'}}\n") ==
        "tools.yaml:4:12: tools[1].name: tool 'a' is already declared at tools.yaml:3");
  CHECK(ErrorOf(head + "  - {name: a, description: d, http: {url: 'https://h.example/', timeout: soon}}\n") ==
        "tools.yaml:3:74: tools[0].http.timeout: must be a duration such as 5s or 500ms, above 0 and at most 10m");
  CHECK_THAT(ErrorOf(head + "  - {name: a, description: d, http: {url: 'https://h.example/', max_response_bytes: -1}}\n"),
             Catch::Contains("tools[0].http.max_response_bytes: must be a whole number of bytes from 1 to"));
  CHECK_THAT(ErrorOf(head + "  - {name: a, description: d, approval: {when: 'args.x >'}, http: {url: 'https://h.example/'}}\n"),
             Catch::Contains("tools.yaml:3:48: tools[0].approval.when: condition:1:"));
  CHECK_THAT(ErrorOf(head + "  - {name: a, description: d, approval: sometimes, http: {url: 'https://h.example/'}}\n"),
             Catch::Contains("tools[0].approval: must be never, always or {when:"));
  CHECK_THAT(ErrorOf(head + "  - {name: a, description: d, http: {url: 'https://h.example/{{ args.x '}}\n"),
             Catch::Contains("tools.yaml:3:"));
  CHECK_THAT(ErrorOf(head + "  - {name: a, description: d, http: {url: 'https://h.example/', method: BREW}}\n"),
             Catch::Contains("http.method 'BREW' is not GET, POST, PUT, PATCH or DELETE"));
  CHECK_THAT(ErrorOf(head + "  - {name: a, description: d, parameters: {type: string}, http: {url: 'https://h.example/'}}\n"),
             Catch::Contains("tools[0].parameters: the arguments schema must have type: object"));
  CHECK_THAT(ErrorOf("tools: [\n  {name: a\n"), Catch::StartsWith("tools.yaml:3:1: not valid YAML:"));
}

TEST_CASE("the tool file example in docs/agents.md loads", "[unit]") {
  std::ifstream in(std::string(CATENA_SOURCE_DIR) + "/docs/agents.md");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const size_t section = doc.find("## Tools");
  REQUIRE(section != std::string::npos);
  const size_t start = doc.find("```yaml\n", section);
  REQUIRE(start != std::string::npos);
  const size_t end = doc.find("```", start + 8);
  auto tools = ParseToolFile(doc.substr(start + 8, end - start - 8), "docs/agents.md");
  INFO(tools.status());
  REQUIRE(tools.ok());
  REQUIRE(tools->size() == 2);
  CHECK((*tools)[0]->definition().name == "lookup_transactions");
  CHECK((*tools)[1]->definition().approval.mode == chains::ApprovalPolicy::Mode::kWhen);
}

}  // namespace
}  // namespace catena::agents
