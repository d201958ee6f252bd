// The fraud-triage example as `make run` serves it: a real catenad with tools.files = examples/fraud/tools.yaml
// (its database created under data_dir from transactions.sql), examples/pipelines/fraud-triage.yaml deployed and
// run with the CLI, the block approved or rejected with `catena pipeline resume`; the card's status is then read
// straight from the SQLite file.
#include <sqlite3.h>

#include <catch2/catch.hpp>

#include "nlohmann/json.hpp"
#include "tests/server/catenad_fixture.h"

namespace catena::testing {
namespace {

std::string Source(const std::string& relative) { return std::string(CATENA_SOURCE_DIR) + "/" + relative; }

RunResult Cli(const CatenadProcess& catenad, std::vector<std::string> args) {
  std::vector<std::string> command = {BuiltProgram("catena"), "--address", catenad.grpc_address()};
  command.insert(command.end(), args.begin(), args.end());
  RunResult result = RunToCompletion(command, std::chrono::seconds(30));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return result;
}

// The card's status column, read with SQLite directly (not through catenad's tools).
std::string CardStatus(const std::filesystem::path& database, const std::string& card) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT status FROM cards WHERE card_id = ?1", -1, &statement, nullptr) == SQLITE_OK);
  sqlite3_bind_text(statement, 1, card.c_str(), -1, SQLITE_TRANSIENT);
  std::string status = "no such card";
  if (sqlite3_step(statement) == SQLITE_ROW) status = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return status;
}

TEST_CASE("the fraud example on catenad: the block waits for approval, approve blocks the card, reject does not",
          "[integration]") {
  const std::filesystem::path dir = MakeTempDir("fraud-catenad");
  CatenadProcess catenad({"--service", "pipeline", "--set", "tools.files=" + Source("examples/fraud/tools.yaml")}, {},
                         dir / "data");
  const std::filesystem::path database = dir / "data" / "fraud" / "transactions.db";
  REQUIRE(std::filesystem::exists(database));
  CHECK(CardStatus(database, "C1003") == "active");
  Cli(catenad, {"pipeline", "deploy", Source("examples/pipelines/fraud-triage.yaml")});

  RunResult waiting = Cli(catenad, {"pipeline", "run", "fraud-triage", "--input", "card=C1003", "--run-id", "fraud-1"});
  CHECK_THAT(waiting.out, Catch::Contains("interrupted at node block: approve call of tool 'block_card'"));
  CHECK(CardStatus(database, "C1003") == "active");
  RunResult approved = Cli(catenad, {"pipeline", "resume", "fraud-1", "--approve"});
  const nlohmann::json outputs = nlohmann::json::parse(approved.out);
  CHECK(outputs["card_blocked"] == true);
  CHECK(outputs["valid"] == true);
  CHECK(outputs["report"]["risk"] == "high");
  CHECK(outputs["report"]["flags"][0]["pattern"] == "card_testing");
  CHECK(outputs["report"]["flags"][0]["transaction_ids"].size() == 12);
  CHECK(CardStatus(database, "C1003") == "blocked");

  Cli(catenad, {"pipeline", "run", "fraud-triage", "--input", "card=C1005", "--run-id", "fraud-2"});
  RunResult rejected = Cli(catenad, {"pipeline", "resume", "fraud-2", "--reject"});
  CHECK(nlohmann::json::parse(rejected.out)["card_blocked"] == false);
  CHECK(CardStatus(database, "C1005") == "active");

  RunResult clean = Cli(catenad, {"pipeline", "run", "fraud-triage", "--input", "card=C1001"});
  CHECK(nlohmann::json::parse(clean.out)["report"]["risk"] == "low");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace catena::testing
