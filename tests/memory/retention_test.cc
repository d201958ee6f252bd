// Retention and erasure: per-tenant TTL (expired data unreadable at once, physically gone after compaction) and
// "erase user", verified by scanning every record of the database.
#include <catch2/catch.hpp>

#include "memory/record_codec.h"
#include "tests/memory/fakes.h"
#include "tests/memory/store_fixture.h"

namespace catena::memory::testing {
namespace {

bool RawContains(const std::vector<RawRecord>& records, const std::string& needle) {
  for (const RawRecord& record : records) {
    if (record.key.find(needle) != std::string::npos || record.value.find(needle) != std::string::npos) return true;
  }
  return false;
}

size_t RawCountOfTenant(const std::vector<RawRecord>& records, const std::string& tenant) {
  size_t count = 0;
  for (const RawRecord& record : records) count += codec::TenantOf(record.key) == tenant;
  return count;
}

TEST_CASE("tenant TTL hides expired records at once and compaction removes them physically", "[unit]") {
  ManualClock clock;
  auto store = OpenStore({.default_ttl_seconds = 0, .tenant_ttl_seconds = {{"short", 60}}, .clock = clock.AsClock()});
  for (const std::string tenant : {"short", "forever"}) {
    REQUIRE(store->CreateSession(tenant, NewSession("s", "u")).ok());
    REQUIRE(store->AppendMessages(tenant, "s", std::vector<Message>{UserSays("hello")}, "key").ok());
    REQUIRE(store->PutFacts(tenant, "u", {{"language", "en"}}).ok());
    REQUIRE(store->PutCheckpoint(tenant, {.run_id = "r", .step = 0, .state = "x", .user_id = "u"}).ok());
  }
  clock.Advance(59'000);
  CHECK(store->GetSession("short", "s").ok());
  clock.Advance(2'000);
  CHECK(store->GetSession("short", "s").status().code() == absl::StatusCode::kNotFound);
  CHECK(store->ListSessions("short", "", {})->items.empty());
  CHECK(store->GetFacts("short", "u")->empty());
  CHECK(store->GetCheckpoint("short", "r", -1).status().code() == absl::StatusCode::kNotFound);
  CHECK(store->GetSession("forever", "s").ok());
  CHECK(store->GetFacts("forever", "u")->size() == 1);

  auto before = store->ScanRaw();
  REQUIRE(before.ok());
  CHECK(RawCountOfTenant(*before, "short") >= 4);  // still on disk, only hidden
  REQUIRE(store->Compact().ok());
  auto after = store->ScanRaw();
  REQUIRE(after.ok());
  CHECK(RawCountOfTenant(*after, "short") == 0);
  CHECK(RawCountOfTenant(*after, "forever") == RawCountOfTenant(*before, "forever"));
}

TEST_CASE("a session recreated after expiry does not inherit its expired messages", "[unit]") {
  ManualClock clock;
  auto store = OpenStore({.default_ttl_seconds = 10, .clock = clock.AsClock()});
  REQUIRE(store->CreateSession("t", NewSession("s", "u")).ok());
  REQUIRE(store->AppendMessages("t", "s", std::vector<Message>{UserSays("old secret")}, "k").ok());
  clock.Advance(11'000);
  REQUIRE(store->CreateSession("t", NewSession("s", "u")).ok());
  CHECK(store->ListMessages("t", "s", false, {})->items.empty());
  auto seqs = store->AppendMessages("t", "s", std::vector<Message>{UserSays("new")}, "k");
  CHECK(*seqs == std::vector<int64_t>{1});
}

TEST_CASE("erase user removes every message, summary, fact and checkpoint of that user and counts them", "[unit]") {
  FakeSummarizer summarizer;
  auto store = OpenStore({.summarizer = &summarizer});
  for (const std::string user : {"victim-user", "other-user"}) {
    for (int s = 0; s < 2; ++s) {
      const std::string session = user + "-s" + std::to_string(s);
      REQUIRE(store->CreateSession("bank", NewSession(session, user)).ok());
      std::vector<Message> batch;
      for (int i = 0; i < 10; ++i) batch.push_back(UserSays(user + " secret message number " + std::to_string(i)));
      REQUIRE(store->AppendMessages("bank", session, batch, "idem-" + session).ok());
      REQUIRE(
          store->GetContext("bank", {.session_id = session, .strategy = ContextStrategy::kSummary, .max_tokens = 40})
              .ok());
    }
    REQUIRE(store->PutFacts("bank", user, {{"language", "de"}, {"iban", user + "-iban"}}).ok());
    REQUIRE(
        store->PutCheckpoint("bank", {.run_id = user + "-run", .step = 0, .state = user + "-state", .user_id = user})
            .ok());
    REQUIRE(store->PutCheckpoint("bank", {.run_id = user + "-run", .step = 1, .parent_step = 0, .user_id = user}).ok());
  }
  // The same user id in another tenant is a different person.
  REQUIRE(store->PutFacts("insurer", "victim-user", {{"language", "fr"}}).ok());

  auto counts = store->EraseUser("bank", "victim-user");
  REQUIRE(counts.ok());
  CHECK(counts->sessions == 2);
  CHECK(counts->messages == 20);
  CHECK(counts->summaries == 2);
  CHECK(counts->facts == 2);
  CHECK(counts->checkpoints == 2);

  auto records = store->ScanRaw();
  REQUIRE(records.ok());
  size_t bank_records = 0;
  for (const RawRecord& record : *records) {
    if (codec::TenantOf(record.key) != "bank") continue;
    ++bank_records;
    INFO(record.column_family << " key=" << record.key);
    CHECK(record.key.find("victim-user") == std::string::npos);
    CHECK(record.value.find("victim-user") == std::string::npos);
  }
  CHECK(bank_records > 0);
  CHECK(RawContains(*records, "other-user secret message number 3"));
  CHECK(store->GetFacts("insurer", "victim-user")->size() == 1);
  CHECK(store->ListSessions("bank", "victim-user", {})->items.empty());
  auto again = store->EraseUser("bank", "victim-user");
  CHECK(again->sessions + again->messages + again->facts + again->checkpoints == 0);
}

TEST_CASE("tenant TTL list entries parse and reject malformed items", "[unit]") {
  auto parsed = ParseTenantTtls({"bank=3600", "demo=0"});
  REQUIRE(parsed.ok());
  CHECK(parsed->at("bank") == 3600);
  CHECK(parsed->at("demo") == 0);
  CHECK_THAT(std::string(ParseTenantTtls({"bank"}).status().message()), Catch::Contains("'bank'"));
  CHECK(ParseTenantTtls({"bank=-1"}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ParseTenantTtls({"=5"}).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace catena::memory::testing
