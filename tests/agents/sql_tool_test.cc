// SQL tools: arguments bound to :name parameters (an injection attempt is inert), rows as JSON objects, read-only
// by default, row caps, timeouts and cancellation, load errors with file:line:column, databases created from their
// init scripts, and the fraud example's tools (examples/fraud/tools.yaml) over its sample data.
#include "agents/sql_tool.h"

#include <catch2/catch.hpp>
#include <thread>

#include "absl/time/clock.h"
#include "agents/tool_file.h"
#include "agents/tool_invoke.h"
#include "tests/support/temp_dir.h"

namespace catena::agents {
namespace {

using Json = nlohmann::ordered_json;

constexpr char kScript[] = R"(
CREATE TABLE cards (card_id TEXT PRIMARY KEY, holder TEXT, limit_eur REAL, status TEXT NOT NULL, note TEXT, photo BLOB);
INSERT INTO cards VALUES ('C1', 'Ann', 500.5, 'active', NULL, x'414243');
INSERT INTO cards VALUES ('C2', 'Bob', 1000, 'active', 'vip', NULL);
INSERT INTO cards VALUES ('C3', 'Cy', 20, 'blocked', NULL, NULL);
)";

// A tool file over a database made from kScript in `dir`, with `tools` appended under `tools:`.
absl::StatusOr<std::vector<std::shared_ptr<const chains::Tool>>> Load(const catena::testing::TempDir& dir,
                                                                      const std::string& tools) {
  dir.Write("cards.sql", kScript);
  const auto file =
      dir.Write("tools.yaml", "databases:\n  cards: {path: db/cards.db, init: cards.sql}\ntools:\n" + tools);
  return LoadToolFile(file, {.data_dir = dir.path() / "data"});
}

std::shared_ptr<const chains::Tool> LoadOne(const catena::testing::TempDir& dir, const std::string& tool) {
  auto tools = Load(dir, tool);
  INFO(tools.status());
  REQUIRE(tools.ok());
  REQUIRE(tools->size() == 1);
  return tools->front();
}

Json Call(const chains::Tool& tool, const std::string& arguments) {
  auto output = InvokeTool(tool, {}, arguments);
  INFO(output.status());
  REQUIRE(output.ok());
  CHECK(output->is_json);
  return Json::parse(output->content);
}

std::string LoadError(const std::string& tools) {
  catena::testing::TempDir dir("sql-tool-error");
  auto loaded = Load(dir, tools);
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.status().code() == absl::StatusCode::kInvalidArgument);
  std::string message(loaded.status().message());
  const std::string prefix = (dir.path() / "tools.yaml").string();
  for (size_t at = message.find(prefix); at != std::string::npos; at = message.find(prefix)) {
    message.replace(at, prefix.size(), "tools.yaml");
  }
  return message;
}

const char kLookup[] = R"(  - name: lookup
    description: A card.
    parameters: {type: object, properties: {card: {type: string}}, required: [card]}
    sql:
      database: cards
      query: "SELECT card_id, holder, limit_eur, status, note, photo FROM cards WHERE card_id = :card"
)";

TEST_CASE("a SQL tool binds arguments to :name parameters and returns the rows as JSON objects", "[unit]") {
  catena::testing::TempDir dir("sql-tool");
  auto tool = LoadOne(dir, kLookup);
  CHECK(tool->definition().name == "lookup");
  CHECK(tool->definition().source == (dir.path() / "tools.yaml").string() + ":4");
  CHECK(std::filesystem::exists(dir.path() / "data" / "db" / "cards.db"));
  CHECK(Call(*tool, R"({"card": "C1"})") ==
        Json::parse(R"([{"card_id": "C1", "holder": "Ann", "limit_eur": 500.5, "status": "active", "note": null,
                         "photo": "QUJD"}])"));
  CHECK(Call(*tool, R"({"card": "C2"})")[0]["limit_eur"] == 1000);
  CHECK(Call(*tool, R"({"card": "C9"})") == Json::array());
  auto bad = InvokeTool(*tool, {}, R"({"card": 7})");
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("tool 'lookup': $.card"));
}

TEST_CASE("an injection attempt in an argument is bound as a value: it matches nothing and changes nothing", "[unit]") {
  catena::testing::TempDir dir("sql-tool-injection");
  auto tools = Load(dir, std::string(kLookup) + R"(  - name: set_note
    description: Notes on a card.
    parameters: {type: object, properties: {card: {type: string}, note: {type: string}}, required: [card, note]}
    sql: {database: cards, read_only: false, query: "UPDATE cards SET note = :note WHERE card_id = :card"}
)");
  INFO(tools.status());
  REQUIRE(tools.ok());
  const chains::Tool& lookup = *(*tools)[0];
  const chains::Tool& set_note = *(*tools)[1];
  CHECK(Call(lookup, R"({"card": "C1' OR '1'='1"})") == Json::array());
  CHECK(Call(lookup, R"({"card": "x'; DROP TABLE cards; --"})") == Json::array());
  CHECK(Call(set_note, R"({"card": "C1' OR card_id <> '", "note": "x"})") == Json{{"changes", 0}});
  CHECK(Call(set_note, R"({"card": "C2", "note": "'); DELETE FROM cards; --"})") == Json{{"changes", 1}});
  CHECK(Call(lookup, R"({"card": "C2"})")[0]["note"] == "'); DELETE FROM cards; --");
  CHECK(Call(lookup, R"({"card": "C1"})")[0]["note"].is_null());
  CHECK(Call(lookup, R"({"card": "C3"})").size() == 1);
}

TEST_CASE("SQL tools are read-only unless read_only: false; writes report changes or RETURNING rows", "[unit]") {
  CHECK(LoadError(R"(  - name: block
    description: Blocks.
    parameters: {type: object, properties: {card: {type: string}}}
    sql: {database: cards, query: "UPDATE cards SET status = 'blocked' WHERE card_id = :card"}
)") == "tools.yaml:7:35: tools[0]: sql.query: the statement writes to the database; set read_only: false to "
       "allow it (and consider approval: always)");
  catena::testing::TempDir dir("sql-tool-write");
  auto block = LoadOne(dir, R"(  - name: block
    description: Blocks.
    parameters: {type: object, properties: {card: {type: string}}, required: [card]}
    approval: always
    sql:
      database: cards
      read_only: false
      query: "UPDATE cards SET status = 'blocked' WHERE card_id = :card AND status = 'active' RETURNING card_id, status"
)");
  CHECK(block->definition().approval.mode == chains::ApprovalPolicy::Mode::kAlways);
  CHECK(Call(*block, R"({"card": "C1"})") == Json::parse(R"([{"card_id": "C1", "status": "blocked"}])"));
  CHECK(Call(*block, R"({"card": "C1"})") == Json::array());
}

TEST_CASE("max_rows caps the rows; the timeout and cancellation stop a runaway query", "[unit]") {
  catena::testing::TempDir dir("sql-tool-limits");
  auto tools = Load(dir, R"(  - name: count_up
    description: Numbers.
    parameters: {type: object, properties: {n: {type: integer}}}
    sql:
      database: cards
      max_rows: 3
      query: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < coalesce(:n, 10)) SELECT x FROM c"
  - name: forever
    description: Never ends.
    sql:
      database: cards
      timeout: 200ms
      query: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
)");
  INFO(tools.status());
  REQUIRE(tools.ok());
  CHECK(Call(*(*tools)[0], "{}") == Json::parse(R"([{"x": 1}, {"x": 2}, {"x": 3}])"));
  CHECK(Call(*(*tools)[0], R"({"n": 2})") == Json::parse(R"([{"x": 1}, {"x": 2}])"));
  const absl::Time start = absl::Now();
  auto timed_out = InvokeTool(*(*tools)[1], {}, "{}");
  CHECK(timed_out.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK_THAT(std::string(timed_out.status().message()), Catch::Contains("tool 'forever': the query was stopped at"));
  CHECK(absl::Now() - start < absl::Seconds(3));
  chains::ToolCallContext cancelled;
  cancelled.cancelled = [calls = std::make_shared<int>(0)] { return ++*calls > 3; };
  CHECK(InvokeTool(*(*tools)[1], cancelled, "{}").status().code() == absl::StatusCode::kCancelled);
}

TEST_CASE("SQL tool load errors name file:line:column, the field and SQLite's message", "[unit]") {
  CHECK(LoadError(R"(  - name: t
    description: d
    sql: {database: cards, query: "SELECT nope FROM cards"}
)") == "tools.yaml:6:35: tools[0]: sql.query: no such column: nope");
  CHECK(LoadError(R"(  - name: t
    description: d
    parameters: {type: object, properties: {card: {type: string}}}
    sql: {database: cards, query: "SELECT * FROM cards WHERE card_id = :cardd"}
)") == "tools.yaml:7:35: tools[0]: sql.query: parameter :cardd is not a property of parameters (card)");
  CHECK(LoadError(R"(  - name: t
    description: d
    sql: {database: cards, query: "SELECT * FROM cards WHERE card_id = ?"}
)") == "tools.yaml:6:35: tools[0]: sql.query: positional parameters (?) are not supported; write :name for a "
       "property of parameters");
  CHECK(LoadError(R"(  - name: t
    description: d
    sql: {database: cards, query: "SELECT 1; DELETE FROM cards"}
)") == "tools.yaml:6:35: tools[0]: sql.query: holds more than one statement; a SQL tool runs exactly one");
  CHECK(LoadError(R"(  - name: t
    description: d
    sql: {database: card, query: "SELECT 1", json_columns: [x], max_rows: 0}
)") == "tools.yaml:6:75: tools[0].sql.max_rows: must be a whole number from 1 to 10000");
  CHECK(LoadError(R"(  - name: t
    description: d
    sql: {database: card, query: "SELECT 1"}
)") == "tools.yaml:6:21: tools[0].sql.database: no database 'card' under databases (declared: cards)");
  CHECK(LoadError(R"(  - name: t
    description: d
    sql: {database: cards, query: "SELECT 1 AS y", json_columns: [x]}
)") == "tools.yaml:6:66: tools[0]: sql.json_columns: the query has no result column 'x' (columns: y)");
  CHECK(LoadError(R"(  - name: t
    description: d
    sql: {database: cards, query: "SELECT 1", timeout: forever}
    http: {url: "https://h.example/"}
)") == "tools.yaml:6:10: tools[0]: give either 'http' or 'sql', not both");
}

TEST_CASE("a database is created from its init script once, atomically, and later changes are kept", "[unit]") {
  catena::testing::TempDir dir("sql-tool-init");
  const auto script = dir.Write("cards.sql", kScript);
  const auto database = dir.path() / "a" / "b" / "cards.db";
  REQUIRE(EnsureSqliteDatabase(database, script).ok());
  REQUIRE(std::filesystem::exists(database));
  const auto size = std::filesystem::file_size(database);
  dir.Write("cards.sql", "this is not SQL");
  CHECK(EnsureSqliteDatabase(database, script).ok());  // exists: the script is not run again
  CHECK(std::filesystem::file_size(database) == size);
  const auto other = dir.path() / "other.db";
  absl::Status failed = EnsureSqliteDatabase(other, script);
  CHECK(failed.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(failed.message()), Catch::Contains("cards.sql: near \"this\": syntax error"));
  CHECK_FALSE(std::filesystem::exists(other));
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), {}) ==
        2);  // a/ and cards.sql: no temporary file left
  CHECK(EnsureSqliteDatabase(other, dir.path() / "missing.sql").code() == absl::StatusCode::kNotFound);
  const auto file = dir.Write("tools.yaml", R"(databases:
  cards: {path: other.db, init: cards.sql}
tools:
  - {name: t, description: d, sql: {database: cards, query: "SELECT 1"}}
)");
  auto loaded = LoadToolFile(file);  // one problem, at the init script; none repeated at the tool
  REQUIRE_FALSE(loaded.ok());
  CHECK(std::string(loaded.status().message()) == file.string() + ":2:33: databases.cards.init: init script " +
                                                      script.string() + ": near \"this\": syntax error");
}

TEST_CASE("concurrent calls each use their own connection: readers and a writer all succeed", "[unit]") {
  catena::testing::TempDir dir("sql-tool-threads");
  auto tools = Load(dir, std::string(kLookup) + R"(  - name: bump
    description: Raises the limit.
    parameters: {type: object, properties: {card: {type: string}}, required: [card]}
    sql: {database: cards, read_only: false, query: "UPDATE cards SET limit_eur = limit_eur + 1 WHERE card_id = :card"}
)");
  REQUIRE(tools.ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const chains::Tool& tool = *(*tools)[t % 2];
        if (!InvokeTool(tool, {}, R"({"card": "C3"})").ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);
  CHECK(Call(*(*tools)[0], R"({"card": "C3"})")[0]["limit_eur"] == 70.0);
}

// The fraud example's tool file over its sample data: the planted patterns are found, the clean cards have none.
TEST_CASE("the fraud example's tools find the planted patterns and block a card", "[unit]") {
  catena::testing::TempDir dir("sql-tool-fraud");
  auto tools = LoadToolFile(std::string(CATENA_SOURCE_DIR) + "/examples/fraud/tools.yaml", {.data_dir = dir.path()});
  INFO(tools.status());
  REQUIRE(tools.ok());
  std::map<std::string, std::shared_ptr<const chains::Tool>> by_name;
  for (const auto& tool : *tools) by_name[tool->definition().name] = tool;
  REQUIRE(by_name.size() == 4);
  CHECK(by_name["block_card"]->definition().approval.mode == chains::ApprovalPolicy::Mode::kAlways);
  auto patterns = [&](const std::string& card) {
    std::vector<std::string> found;
    for (const Json& flag : Call(*by_name["flag_patterns"], Json{{"card", card}}.dump())) {
      found.push_back(flag["pattern"].get<std::string>() + ":" + std::to_string(flag["transaction_ids"].size()));
    }
    return found;
  };
  CHECK(patterns("C1003") == std::vector<std::string>{"card_testing:12"});
  CHECK(patterns("C1005") == std::vector<std::string>{"impossible_travel:2"});
  CHECK(patterns("C1007") == std::vector<std::string>{"large_foreign_purchase:1"});
  for (const char* clean : {"C1001", "C1002", "C1004", "C1006", "C1008"}) {
    INFO(clean);
    CHECK(patterns(clean).empty());
  }
  const Json recent = Call(*by_name["lookup_transactions"], R"({"card": "C1003", "days": 11})");
  REQUIRE(recent.size() == 26);  // back to the card-testing burst, newest first
  CHECK(recent[0]["ts"] > recent[25]["ts"]);
  CHECK(std::count_if(recent.begin(), recent.end(),
                      [](const Json& row) { return row["merchant"] == "QuickPay Online Store"; }) == 12);
  CHECK(Call(*by_name["lookup_transactions"], R"({"card": "C1003"})").size() == 46);
  CHECK(Call(*by_name["block_card"], R"({"card": "C1003", "reason": "card testing"})")[0]["status"] == "blocked");
  CHECK(Call(*by_name["card_status"], R"({"card": "C1003"})")[0]["block_reason"] == "card testing");
  CHECK(Call(*by_name["card_status"], R"({"card": "C1005"})")[0]["status"] == "active");
}

}  // namespace
}  // namespace catena::agents
