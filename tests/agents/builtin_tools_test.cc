// The built-in tools through InvokeTool: calculator, current_datetime with a fixed clock, retrieval_search on a
// real RetrievalEngine and memory_lookup on a real MemoryStore in temporary directories.
#include <catch2/catch.hpp>

#include "absl/time/civil_time.h"
#include "agents/builtin_tools.h"
#include "agents/tool_invoke.h"
#include "chains/run_services.h"
#include "inference/embedder_registry.h"
#include "inference/hashing_embedder.h"
#include "memory/memory_store.h"
#include "retrieval/retrieval_engine.h"
#include "tests/support/temp_dir.h"

namespace catena::agents {
namespace {

using Json = nlohmann::ordered_json;

Json JsonOf(const absl::StatusOr<chains::ToolOutput>& output) {
  INFO(output.status());
  REQUIRE(output.ok());
  REQUIRE(output->is_json);
  return Json::parse(output->content);
}

TEST_CASE("AddBuiltinTools registers the four built-ins once", "[unit]") {
  ToolRegistry registry;
  REQUIRE(AddBuiltinTools(registry).ok());
  std::vector<std::string> names;
  for (const auto& tool : registry.List("any")) {
    names.push_back(tool->definition().name);
    CHECK(tool->definition().source == "builtin");
    CHECK(Json::parse(tool->definition().parameters_json_schema)["type"] == "object");
  }
  CHECK(names == std::vector<std::string>{"calculator", "current_datetime", "memory_lookup", "retrieval_search"});
  CHECK(AddBuiltinTools(registry).code() == absl::StatusCode::kAlreadyExists);
}

TEST_CASE("calculator tool returns the value as text and errors with positions", "[unit]") {
  auto tool = NewCalculatorTool();
  auto output = InvokeTool(*tool, {}, R"({"expression": "(1 + 2) * sqrt(16) / 4"})");
  REQUIRE(output.ok());
  CHECK(output->content == "3");
  CHECK(!output->is_json);
  CHECK(InvokeTool(*tool, {}, R"({"expression": "0.1 + 0.2"})")->content == "0.30000000000000004");
  auto error = InvokeTool(*tool, {}, R"J({"expression": "1 / (2 - 2)"})J");
  CHECK(error.status().message() == "tool 'calculator': division by zero at position 3");
  auto missing = InvokeTool(*tool, {}, R"({"expr": "1"})");
  CHECK(missing.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(missing.status().message()), Catch::Contains("expression"));
}

TEST_CASE("current_datetime gives ISO-8601 with the zone's offset and weekday", "[unit]") {
  // 2024-07-01 10:30:00 UTC was a Monday; Berlin is UTC+2 in summer, New York UTC-4, Kolkata UTC+5:30.
  const absl::Time fixed = absl::FromCivil(absl::CivilSecond(2024, 7, 1, 10, 30, 0), absl::UTCTimeZone());
  auto tool = NewCurrentDatetimeTool([fixed] { return fixed; });
  CHECK(JsonOf(InvokeTool(*tool, {}, "{}")) ==
        Json::parse(R"({"datetime":"2024-07-01T10:30:00+00:00","timezone":"UTC","weekday":"Monday",
                        "unix_seconds":1719829800})"));
  CHECK(JsonOf(InvokeTool(*tool, {}, R"({"timezone":"Europe/Berlin"})"))["datetime"] == "2024-07-01T12:30:00+02:00");
  Json new_york = JsonOf(InvokeTool(*tool, {}, R"({"timezone":"America/New_York"})"));
  CHECK(new_york["datetime"] == "2024-07-01T06:30:00-04:00");
  CHECK(new_york["weekday"] == "Monday");
  CHECK(JsonOf(InvokeTool(*tool, {}, R"({"timezone":"Asia/Kolkata"})"))["datetime"] == "2024-07-01T16:00:00+05:30");
  Json tokyo = JsonOf(InvokeTool(*tool, {}, R"({"timezone":"Pacific/Kiritimati"})"));  // UTC+14: already Tuesday
  CHECK(tokyo["datetime"] == "2024-07-02T00:30:00+14:00");
  CHECK(tokyo["weekday"] == "Tuesday");
  auto unknown = InvokeTool(*tool, {}, R"({"timezone":"Mars/Olympus"})");
  CHECK(unknown.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(unknown.status().message()), Catch::Contains("unknown time zone 'Mars/Olympus'"));
  auto now = JsonOf(InvokeTool(*NewCurrentDatetimeTool(), {}, "{}"));
  CHECK(std::abs(now["unix_seconds"].get<int64_t>() - absl::ToUnixSeconds(absl::Now())) <= 5);
}

struct Services {
  Services() : dir("agents-builtin") {
    auto embedders = std::make_shared<inference::EmbedderRegistry>();
    auto hashing = inference::HashingEmbedder::Create();
    REQUIRE(hashing.ok());
    REQUIRE(embedders->Register(std::shared_ptr<const inference::Embedder>(std::move(*hashing))).ok());
    auto engine = retrieval::RetrievalEngine::Open({.data_dir = dir.path() / "retrieval", .embedders = embedders});
    REQUIRE(engine.ok());
    retrieval = *std::move(engine);
    auto store = memory::MemoryStore::Open({.path = (dir.path() / "memory").string()});
    REQUIRE(store.ok());
    memory = *std::move(store);
    services.retrieval = retrieval.get();
    services.memory = memory.get();
  }
  catena::testing::TempDir dir;
  std::unique_ptr<retrieval::RetrievalEngine> retrieval;
  std::unique_ptr<memory::MemoryStore> memory;
  chains::RunServices services;
};

void AddDocuments(retrieval::RetrievalEngine& engine) {
  retrieval::CollectionSpec spec{.dimension = 384, .embedder = "hashing-384",
                                 .fields = {{"lang", retrieval::FieldType::kString}}};
  REQUIRE(engine.CreateCollection("bank", "faq", spec).ok());
  auto faq = engine.Find("bank", "faq");
  REQUIRE(faq.ok());
  REQUIRE((*faq)->Upsert({
      {.id = "refunds", .text = "Refunds for card payments take five business days", .source = "faq.md",
       .metadata = {{"lang", "en"}}},
      {.id = "block", .text = "Block a lost or stolen card in the app under Cards", .metadata = {{"lang", "en"}}},
      {.id = "zinsen", .text = "Zinsen für Sparkonten werden monatlich gutgeschrieben", .metadata = {{"lang", "de"}}},
  }).ok());
}

TEST_CASE("retrieval_search searches the caller's tenant's collection", "[integration]") {
  Services fixture;
  AddDocuments(*fixture.retrieval);
  auto tool = NewRetrievalSearchTool();
  chains::ToolCallContext context{.tenant = "bank", .services = &fixture.services};
  Json out = JsonOf(InvokeTool(*tool, context, R"({"collection":"faq","query":"how long do card refunds take",
                                                    "top_k":2})"));
  REQUIRE(out["results"].size() == 2);
  CHECK(out["results"][0]["id"] == "refunds");
  CHECK(out["results"][0]["source"] == "faq.md");
  CHECK(out["results"][0]["text"] == "Refunds for card payments take five business days");
  CHECK(out["results"][0]["metadata"] == Json{{"lang", "en"}});
  CHECK(out["results"][0]["score"].get<double>() >= out["results"][1]["score"].get<double>());
  Json german = JsonOf(InvokeTool(*tool, context, R"({"collection":"faq","query":"card","filter":"lang == \"de\""})"));
  REQUIRE(german["results"].size() == 1);
  CHECK(german["results"][0]["id"] == "zinsen");

  chains::ToolCallContext other{.tenant = "shop", .services = &fixture.services};
  CHECK(InvokeTool(*tool, other, R"({"collection":"faq","query":"card"})").status().code() ==
        absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(InvokeTool(*tool, context, R"({"collection":"faq","query":"q","top_k":0})")
                             .status().message()), Catch::Contains("$.top_k"));
  auto no_service = InvokeTool(*tool, {.tenant = "bank"}, R"({"collection":"faq","query":"card"})");
  CHECK(no_service.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(no_service.status().message() == "tool 'retrieval_search': the retrieval service is not configured for this run");
}

TEST_CASE("memory_lookup returns a session's newest messages, oldest first", "[integration]") {
  Services fixture;
  std::vector<memory::Message> turns = {{.role = memory::Role::kUser, .content = "I lost my card"},
                                        {.role = memory::Role::kAssistant, .content = "I blocked it."},
                                        {.role = memory::Role::kUser, .content = "Thanks, send a new one"}};
  REQUIRE(fixture.memory->CreateSession("bank", {.id = "s1", .user_id = "u1"}).ok());
  REQUIRE(fixture.memory->AppendMessages("bank", "s1", turns, "").ok());
  auto tool = NewMemoryLookupTool();
  chains::ToolCallContext context{.tenant = "bank", .services = &fixture.services};
  CHECK(JsonOf(InvokeTool(*tool, context, R"({"session_id":"s1","last_n":2})")) ==
        Json::parse(R"({"session_id":"s1","messages":[{"role":"assistant","content":"I blocked it."},
                        {"role":"user","content":"Thanks, send a new one"}]})"));
  CHECK(JsonOf(InvokeTool(*tool, context, R"({"session_id":"s1"})"))["messages"].size() == 3);
  chains::ToolCallContext other{.tenant = "shop", .services = &fixture.services};
  CHECK(JsonOf(InvokeTool(*tool, other, R"({"session_id":"s1"})"))["messages"] == Json::array());
  CHECK(InvokeTool(*tool, {}, R"({"session_id":"s1"})").status().code() == absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace catena::agents
