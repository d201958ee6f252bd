// ToolRegistry (tenants, shadowing, duplicates, names) and InvokeTool (JSON parsing, schema checks, deadlines,
// cancellation, error prefixes).
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "absl/time/clock.h"
#include "agents/function_tool.h"
#include "agents/tool_invoke.h"
#include "agents/tool_registry.h"

namespace catena::agents {
namespace {

using Json = nlohmann::ordered_json;

std::shared_ptr<const chains::Tool> Echo(const std::string& name, const std::string& source,
                                         const std::string& schema = R"({"type":"object","properties":{}})") {
  chains::ToolDefinition definition{.name = name, .description = "echo", .parameters_json_schema = schema,
                                    .source = source};
  return MakeFunctionTool(std::move(definition), [source](const chains::ToolCallContext& context, const Json& args) {
    return JsonOutput({{"from", source}, {"tenant", context.tenant}, {"args", args}});
  });
}

std::vector<std::string> Names(const std::vector<std::shared_ptr<const chains::Tool>>& tools) {
  std::vector<std::string> names;
  for (const auto& tool : tools) names.push_back(tool->definition().name + "@" + tool->definition().source);
  return names;
}

TEST_CASE("registry finds global tools for every tenant and tenant tools only for their tenant", "[unit]") {
  ToolRegistry registry;
  REQUIRE(registry.Add(Echo("search", "global.yaml:3")).ok());
  REQUIRE(registry.Add(Echo("weather", "global.yaml:9")).ok());
  REQUIRE(registry.Add(Echo("search", "bank.yaml:2"), "bank").ok());
  REQUIRE(registry.Add(Echo("ledger", "bank.yaml:7"), "bank").ok());

  CHECK(registry.Find("shop", "search")->definition().source == "global.yaml:3");
  CHECK(registry.Find("bank", "search")->definition().source == "bank.yaml:2");
  CHECK(registry.Find("bank", "ledger") != nullptr);
  CHECK(registry.Find("shop", "ledger") == nullptr);
  CHECK(registry.Find("", "ledger") == nullptr);
  CHECK(registry.Find("bank", "nope") == nullptr);
  CHECK(Names(registry.List("bank")) ==
        std::vector<std::string>{"ledger@bank.yaml:7", "search@bank.yaml:2", "weather@global.yaml:9"});
  CHECK(Names(registry.List("shop")) == std::vector<std::string>{"search@global.yaml:3", "weather@global.yaml:9"});
}

TEST_CASE("registry refuses duplicate names, naming both sources, and bad names or schemas", "[unit]") {
  ToolRegistry registry;
  REQUIRE(registry.Add(Echo("search", "tools.yaml:4")).ok());
  absl::Status duplicate = registry.Add(Echo("search", "mcp:docs"));
  CHECK(duplicate.code() == absl::StatusCode::kAlreadyExists);
  CHECK(duplicate.message() == "tool 'search' from mcp:docs is already defined by tools.yaml:4");
  REQUIRE(registry.Add(Echo("x", "a"), "t1").ok());
  CHECK(registry.Add(Echo("x", "b"), "t1").message() == "tool 'x' from b is already defined by a for tenant 't1'");

  absl::Status bad_name = registry.Add(Echo("get weather", "w.yaml:1"));
  CHECK(bad_name.code() == absl::StatusCode::kInvalidArgument);
  CHECK(bad_name.message() == "w.yaml:1: tool name 'get weather' has ' ' at position 4; only letters, digits, '_', "
                              "'.' and '-' are allowed");
  CHECK_THAT(std::string(registry.Add(Echo(std::string(65, 'a'), "s")).message()),
             Catch::Contains("must be 1 to 64 characters long, got 65"));
  CHECK_THAT(std::string(registry.Add(Echo("", "s")).message()), Catch::Contains("got 0"));
  CHECK(registry.Add(Echo("fine", "s", "[1, 2]")).message() ==
        "tool 'fine' (s): parameters must be a JSON Schema object");
  CHECK(registry.Add(nullptr).code() == absl::StatusCode::kInvalidArgument);
  CHECK(registry.List("").size() == 1);  // search; x belongs to tenant t1
}

TEST_CASE("registry is safe to add to while other threads look tools up", "[unit]") {
  ToolRegistry registry;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done) {
      for (const auto& tool : registry.List("t")) CHECK(registry.Find("t", tool->definition().name) == tool);
    }
  });
  for (int i = 0; i < 200; ++i) REQUIRE(registry.Add(Echo("tool" + std::to_string(i), "s"), i % 2 ? "t" : "").ok());
  done = true;
  reader.join();
  CHECK(registry.List("t").size() == 200);
  CHECK(registry.List("u").size() == 100);
}

const char* kTransferSchema = R"({"type":"object","properties":{"amount":{"type":"number"},
  "to":{"type":"string","minLength":1}},"required":["amount","to"],"additionalProperties":false})";

TEST_CASE("InvokeTool passes checked arguments and the caller's context to the tool", "[unit]") {
  auto tool = Echo("transfer", "test", kTransferSchema);
  chains::ToolCallContext context{.tenant = "bank"};
  auto output = InvokeTool(*tool, context, R"({"amount": 12.5, "to": "DE89"})");
  REQUIRE(output.ok());
  CHECK(output->is_json);
  CHECK(Json::parse(output->content) == Json::parse(R"({"from":"test","tenant":"bank",
                                                        "args":{"amount":12.5,"to":"DE89"}})"));
  auto empty = InvokeTool(*Echo("ping", "test"), context, "  ");
  REQUIRE(empty.ok());
  CHECK(Json::parse(empty->content)["args"] == Json::object());
}

TEST_CASE("InvokeTool reports bad JSON with its byte and schema violations with their path", "[unit]") {
  auto tool = Echo("transfer", "test", kTransferSchema);
  chains::ToolCallContext context;
  auto bad_json = InvokeTool(*tool, context, R"({"amount": 12,, "to": "x"})");
  CHECK(bad_json.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(bad_json.status().message()),
             Catch::StartsWith("tool 'transfer': arguments are not valid JSON: syntax error"));
  CHECK_THAT(std::string(bad_json.status().message()), Catch::EndsWith("at byte 15"));
  auto wrong_type = InvokeTool(*tool, context, R"({"amount": "12", "to": "x"})");
  CHECK(wrong_type.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(wrong_type.status().message() == "tool 'transfer': $.amount: expected number, got string");
  auto missing = InvokeTool(*tool, context, R"({"amount": 1})");
  CHECK_THAT(std::string(missing.status().message()), Catch::StartsWith("tool 'transfer': $"));
  CHECK_THAT(std::string(missing.status().message()), Catch::Contains("to"));
  auto extra = InvokeTool(*tool, context, R"({"amount": 1, "to": "x", "memo": "hi"})");
  CHECK_THAT(std::string(extra.status().message()), Catch::Contains("memo"));
  auto array = InvokeTool(*tool, context, "[1]");
  CHECK(array.status().message() == "tool 'transfer': arguments must be a JSON object, got array");
}

std::shared_ptr<const chains::Tool> Slow(absl::Duration duration, std::atomic<int>* calls) {
  return MakeFunctionTool({.name = "slow", .source = "test"}, [=](const chains::ToolCallContext&, const Json&) {
    ++*calls;
    absl::SleepFor(duration);
    return absl::StatusOr<chains::ToolOutput>(TextOutput("done"));
  });
}

TEST_CASE("InvokeTool honors the deadline and cancellation", "[unit]") {
  std::atomic<int> calls{0};
  auto tool = Slow(absl::Milliseconds(50), &calls);
  auto expired = InvokeTool(*tool, {.deadline = absl::Now() - absl::Seconds(1)}, "{}");
  CHECK(expired.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK_THAT(std::string(expired.status().message()), Catch::Contains("before the call started"));
  CHECK(calls == 0);
  auto overran = InvokeTool(*tool, {.deadline = absl::Now() + absl::Milliseconds(10)}, "{}");
  CHECK(overran.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK_THAT(std::string(overran.status().message()), Catch::StartsWith("tool 'slow': the call ran past its deadline"));
  CHECK(calls == 1);
  auto cancelled = InvokeTool(*tool, {.cancelled = [] { return true; }}, "{}");
  CHECK(cancelled.status().code() == absl::StatusCode::kCancelled);
  CHECK(calls == 1);
  auto in_time = InvokeTool(*tool, {.deadline = absl::Now() + absl::Seconds(10)}, "{}");
  REQUIRE(in_time.ok());
  CHECK(in_time->content == "done");
  CHECK(!in_time->is_json);
}

TEST_CASE("InvokeTool prefixes the tool's own errors with its name once", "[unit]") {
  auto failing = MakeFunctionTool({.name = "ledger", .source = "test"}, [](const chains::ToolCallContext&, const Json&) {
    return absl::StatusOr<chains::ToolOutput>(absl::NotFoundError("account 7 not found"));
  });
  auto result = InvokeTool(*failing, {}, "{}");
  CHECK(result.status().code() == absl::StatusCode::kNotFound);
  CHECK(result.status().message() == "tool 'ledger': account 7 not found");
  auto prefixed = MakeFunctionTool({.name = "ledger", .source = "test"}, [](const chains::ToolCallContext&, const Json&) {
    return absl::StatusOr<chains::ToolOutput>(absl::UnavailableError("tool 'ledger': HTTP 503"));
  });
  CHECK(InvokeTool(*prefixed, {}, "{}").status().message() == "tool 'ledger': HTTP 503");
}

}  // namespace
}  // namespace catena::agents
