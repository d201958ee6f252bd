// MemoryStore: sessions, message append/list with idempotency and paging, facts, checkpoints, validation and
// the ordering guarantees under concurrent writers.
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "tests/memory/store_fixture.h"

namespace catena::memory::testing {
namespace {

std::vector<int64_t> Seqs(const std::vector<StoredMessage>& messages) {
  std::vector<int64_t> seqs;
  for (const StoredMessage& message : messages) seqs.push_back(message.seq);
  return seqs;
}

TEST_CASE("sessions are created, listed per user, read back and deleted with their messages", "[unit]") {
  auto store = OpenStore({});
  REQUIRE(store->CreateSession("bank", NewSession("s1", "alice")).ok());
  REQUIRE(store->CreateSession("bank", NewSession("s2", "bob")).ok());
  auto generated = store->CreateSession("bank", NewSession("", "alice"));
  REQUIRE(generated.ok());
  CHECK(generated->id.size() == 16);
  CHECK(store->CreateSession("bank", NewSession("s1", "carol")).status().code() == absl::StatusCode::kAlreadyExists);

  auto alice = store->ListSessions("bank", "alice", {});
  REQUIRE(alice.ok());
  CHECK(alice->items.size() == 2);
  for (const Session& session : alice->items) CHECK(session.user_id == "alice");
  CHECK(store->ListSessions("bank", "", {})->items.size() == 3);

  REQUIRE(store->AppendMessages("bank", "s1", std::vector<Message>{UserSays("hi")}, "").ok());
  CHECK(store->GetSession("bank", "s1")->message_count == 1);
  REQUIRE(store->DeleteSession("bank", "s1").ok());
  CHECK(store->GetSession("bank", "s1").status().code() == absl::StatusCode::kNotFound);
  CHECK(store->DeleteSession("bank", "s1").code() == absl::StatusCode::kNotFound);
  // A new session under the old id starts empty.
  REQUIRE(store->CreateSession("bank", NewSession("s1", "alice")).ok());
  CHECK(store->ListMessages("bank", "s1", false, {})->items.empty());
}

TEST_CASE("list sessions pages through every session exactly once", "[unit]") {
  auto store = OpenStore({});
  for (int i = 0; i < 7; ++i) REQUIRE(store->CreateSession("t", NewSession("s" + std::to_string(i), "u")).ok());
  std::set<std::string> seen;
  PageSpec page{.page_size = 3};
  int pages = 0;
  do {
    auto result = store->ListSessions("t", "u", page);
    REQUIRE(result.ok());
    for (const Session& session : result->items) CHECK(seen.insert(session.id).second);
    page.page_token = result->next_page_token;
    ++pages;
  } while (!page.page_token.empty());
  CHECK(seen.size() == 7);
  CHECK(pages == 3);
}

TEST_CASE("appended messages get consecutive sequence numbers and keep every field", "[unit]") {
  auto store = OpenStore({});
  REQUIRE(store->CreateSession("t", NewSession("s", "u")).ok());
  Message tool_call{.role = Role::kAssistant,
                    .content = "",
                    .name = "planner",
                    .tool_calls = {{"call-1", "balance", R"({"account":"123"})"}},
                    .metadata_json = R"({"channel":"app"})"};
  Message tool_result{.role = Role::kTool, .content = "42.00 EUR", .tool_call_id = "call-1"};
  auto seqs = store->AppendMessages("t", "s",
                                    std::vector<Message>{UserSays("what is my balance?"), tool_call, tool_result}, "");
  REQUIRE(seqs.ok());
  CHECK(*seqs == std::vector<int64_t>{1, 2, 3});
  auto more = store->AppendMessages("t", "s", std::vector<Message>{AssistantSays("You have 42 EUR.")}, "");
  CHECK(*more == std::vector<int64_t>{4});

  auto listed = store->ListMessages("t", "s", false, {});
  REQUIRE(listed.ok());
  REQUIRE(listed->items.size() == 4);
  const StoredMessage& call = listed->items[1];
  CHECK(call.message.name == "planner");
  REQUIRE(call.message.tool_calls.size() == 1);
  CHECK(call.message.tool_calls[0].arguments_json == R"({"account":"123"})");
  CHECK(call.message.metadata_json == R"({"channel":"app"})");
  CHECK(listed->items[2].message.tool_call_id == "call-1");
  CHECK(listed->items[2].message.role == Role::kTool);
  // Estimator: ceil(19 code points / 4) + 4 = 9 for "what is my balance?".
  CHECK(listed->items[0].token_count == 9);
  CHECK(listed->items[0].created_at_unix_ms > 0);
}

TEST_CASE("a retried append with the same idempotency key is applied once and returns the same seqs", "[unit]") {
  auto store = OpenStore({});
  REQUIRE(store->CreateSession("t", NewSession("s", "u")).ok());
  const std::vector<Message> batch = {UserSays("transfer 100"), AssistantSays("done")};
  auto first = store->AppendMessages("t", "s", batch, "req-7");
  auto retry = store->AppendMessages("t", "s", batch, "req-7");
  REQUIRE(first.ok());
  REQUIRE(retry.ok());
  CHECK(*first == *retry);
  CHECK(store->GetSession("t", "s")->message_count == 2);
  auto other = store->AppendMessages("t", "s", batch, "req-8");
  CHECK(*other == std::vector<int64_t>{3, 4});
}

TEST_CASE("messages page forwards and backwards without gaps or repeats", "[unit]") {
  auto store = OpenStore({});
  REQUIRE(store->CreateSession("t", NewSession("s", "u")).ok());
  for (int i = 0; i < 25; ++i) {
    REQUIRE(store->AppendMessages("t", "s", std::vector<Message>{UserSays("m" + std::to_string(i))}, "").ok());
  }
  for (bool reverse : {false, true}) {
    std::vector<int64_t> all;
    PageSpec page{.page_size = 10};
    do {
      auto result = store->ListMessages("t", "s", reverse, page);
      REQUIRE(result.ok());
      for (int64_t seq : Seqs(result->items)) all.push_back(seq);
      page.page_token = result->next_page_token;
    } while (!page.page_token.empty());
    std::vector<int64_t> expected;
    for (int i = 1; i <= 25; ++i) expected.push_back(reverse ? 26 - i : i);
    CHECK(all == expected);
  }
  CHECK(store->ListMessages("t", "s", false, {.page_size = 5, .page_token = "%%%"}).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("bad input is rejected with INVALID_ARGUMENT naming the field", "[unit]") {
  auto store = OpenStore({});
  REQUIRE(store->CreateSession("t", NewSession("s", "u")).ok());
  auto message_of = [](const absl::Status& status) { return std::string(status.message()); };
  CHECK_THAT(message_of(store->CreateSession("t", NewSession("bad id!", "u")).status()), Catch::StartsWith("id:"));
  CHECK_THAT(message_of(store->CreateSession("t", NewSession("x", "")).status()), Catch::StartsWith("user_id:"));
  CHECK_THAT(message_of(store->AppendMessages("t", "s", std::vector<Message>{}, "").status()),
             Catch::StartsWith("messages:"));
  CHECK_THAT(message_of(store->AppendMessages("t", "s", std::vector<Message>{Message{}}, "").status()),
             Catch::StartsWith("messages[0].role"));
  Message tool{.role = Role::kTool, .content = "x"};
  CHECK_THAT(message_of(store->AppendMessages("t", "s", std::vector<Message>{UserSays("a"), tool}, "").status()),
             Catch::StartsWith("messages[1].tool_call_id"));
  Message bad_args{.role = Role::kAssistant, .tool_calls = {{"c", "f", "[1,2]"}}};
  CHECK_THAT(message_of(store->AppendMessages("t", "s", std::vector<Message>{bad_args}, "").status()),
             Catch::StartsWith("messages[0].tool_calls[0].arguments_json"));
  CHECK_THAT(
      message_of(store->AppendMessages("t", "s", std::vector<Message>{UserSays("a")}, std::string(129, 'k')).status()),
      Catch::StartsWith("idempotency_key"));
  CHECK(store->AppendMessages("t", "nope", std::vector<Message>{UserSays("a")}, "").status().code() ==
        absl::StatusCode::kNotFound);
  CHECK_THAT(message_of(store->ListMessages("t", "s", false, {.page_size = 1001}).status()),
             Catch::StartsWith("page.page_size"));
  // Nothing was written by the rejected calls.
  CHECK(store->GetSession("t", "s")->message_count == 0);
}

TEST_CASE("facts are upserted, deleted by an empty value and scoped to the user", "[unit]") {
  auto store = OpenStore({});
  REQUIRE(store->PutFacts("t", "alice", {{"language", "de"}, {"segment", "private"}}).ok());
  REQUIRE(store->PutFacts("t", "alice", {{"segment", "premium"}, {"language", ""}}).ok());
  REQUIRE(store->PutFacts("t", "alicia", {{"language", "fr"}}).ok());
  auto facts = store->GetFacts("t", "alice");
  REQUIRE(facts.ok());
  CHECK(*facts == std::map<std::string, std::string>{{"segment", "premium"}});
  CHECK(store->GetFacts("other-tenant", "alice")->empty());
  std::map<std::string, std::string> too_many;
  for (int i = 0; i < 257; ++i) too_many["k" + std::to_string(i)] = "v";
  CHECK(store->PutFacts("t", "alice", too_many).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("checkpoints resume from the latest step and replay along parent pointers", "[unit]") {
  auto store = OpenStore({});
  auto put = [&](int64_t step, int64_t parent, std::string state) {
    return store->PutCheckpoint(
        "t", {.run_id = "run-1", .step = step, .parent_step = parent, .state = state, .user_id = "u"});
  };
  REQUIRE(put(0, -1, "s0").ok());
  REQUIRE(put(1, 0, "s1").ok());
  REQUIRE(put(2, 1, "s2").ok());
  REQUIRE(put(5, 1, "branch").ok());  // replayed from step 1 after an interrupt
  CHECK(put(2, 1, "again").status().code() == absl::StatusCode::kAlreadyExists);
  CHECK(put(7, 6, "orphan").status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(put(3, 3, "self").status().code() == absl::StatusCode::kInvalidArgument);

  auto latest = store->GetCheckpoint("t", "run-1", -1);
  REQUIRE(latest.ok());
  CHECK(latest->step == 5);
  CHECK(latest->state == "branch");
  std::vector<std::string> chain;
  for (int64_t step = latest->step; step >= 0;) {
    auto checkpoint = store->GetCheckpoint("t", "run-1", step);
    REQUIRE(checkpoint.ok());
    chain.push_back(checkpoint->state);
    step = checkpoint->parent_step;
  }
  CHECK(chain == std::vector<std::string>{"branch", "s1", "s0"});

  auto listed = store->ListCheckpoints("t", "run-1", {.page_size = 3});
  REQUIRE(listed.ok());
  REQUIRE(listed->items.size() == 3);
  CHECK(listed->items[2].step == 2);
  CHECK(listed->items[0].state.empty());
  auto rest = store->ListCheckpoints("t", "run-1", {.page_size = 3, .page_token = listed->next_page_token});
  REQUIRE(rest->items.size() == 1);
  CHECK(rest->items[0].step == 5);
  CHECK(rest->next_page_token.empty());
  CHECK(store->GetCheckpoint("t", "run-2", -1).status().code() == absl::StatusCode::kNotFound);
  CHECK(store->GetCheckpoint("other", "run-1", 0).status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("a checkpoint batch is checked in order and written up to its first bad checkpoint", "[unit]") {
  auto store = OpenStore({});
  const auto checkpoint = [](std::string run, int64_t step, int64_t parent) {
    return memory::Checkpoint{.run_id = run, .step = step, .parent_step = parent, .state = "s", .user_id = "u"};
  };
  // Parents earlier in the same batch count; two runs interleave.
  std::vector<memory::Checkpoint> good = {checkpoint("a", 0, -1), checkpoint("b", 0, -1), checkpoint("a", 1, 0),
                                          checkpoint("b", 1, 0), checkpoint("a", 2, 1)};
  auto all = store->PutCheckpoints("t", good, false);
  REQUIRE(all.status.ok());
  CHECK(all.stored == 5);
  CHECK(store->GetCheckpoint("t", "a", -1)->step == 2);
  CHECK(store->GetCheckpoint("t", "b", -1)->step == 1);
  CHECK(store->GetCheckpoint("t", "a", 2)->created_at_unix_ms > 0);

  // A duplicate inside the batch, then a step after it: the first two are written, nothing after the duplicate.
  std::vector<memory::Checkpoint> duplicate = {checkpoint("c", 0, -1), checkpoint("c", 1, 0), checkpoint("c", 1, 0),
                                               checkpoint("c", 2, 1)};
  auto partial = store->PutCheckpoints("t", duplicate, false);
  CHECK(partial.stored == 2);
  CHECK(partial.status.code() == absl::StatusCode::kAlreadyExists);
  CHECK(partial.status.message() == "checkpoint 1 of run 'c' already exists");
  CHECK(store->GetCheckpoint("t", "c", -1)->step == 1);

  // Steps out of order inside one batch: an earlier record of the batch counts as existing, both as a parent
  // and as a duplicate, even below the run's newest step.
  std::vector<memory::Checkpoint> unordered = {checkpoint("f", 0, -1), checkpoint("f", 2, 0), checkpoint("f", 1, 0),
                                               checkpoint("f", 1, 0)};
  auto mixed = store->PutCheckpoints("t", unordered, false);
  CHECK(mixed.stored == 3);
  CHECK(mixed.status.code() == absl::StatusCode::kAlreadyExists);
  CHECK(store->GetCheckpoint("t", "f", -1)->step == 2);

  // A missing parent stops the batch at once: nothing is written.
  std::vector<memory::Checkpoint> orphan = {checkpoint("d", 3, 2), checkpoint("e", 0, -1)};
  auto none = store->PutCheckpoints("t", orphan, false);
  CHECK(none.stored == 0);
  CHECK(none.status.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(store->GetCheckpoint("t", "e", -1).status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("checkpoints survive reopening the store", "[unit]") {
  const std::string path = FreshDir("memory-reopen").string();
  {
    auto store = OpenStore({.path = path});
    REQUIRE(
        store->PutCheckpoint("t", {.run_id = "r", .step = 0, .parent_step = -1, .state = "x", .user_id = "u"}).ok());
  }
  auto store = OpenStore({.path = path});
  CHECK(store->GetCheckpoint("t", "r", -1)->state == "x");
}

// PutCheckpoints keeps each run's newest step in memory to skip its existence reads; these are the cases where
// that memory must not be trusted blindly: steps written by an earlier process, gaps, erasure and expiry.
TEST_CASE("checkpoint checks stay exact across reopening, gaps, erasure and expiry", "[unit]") {
  const std::string path = FreshDir("memory-tips").string();
  const auto checkpoint = [](int64_t step, int64_t parent) {
    return memory::Checkpoint{.run_id = "r", .step = step, .parent_step = parent, .state = "s", .user_id = "u"};
  };
  {
    auto store = OpenStore({.path = path});
    for (auto [step, parent] : {std::pair{0, -1}, {1, 0}, {5, 1}}) {
      REQUIRE(store->PutCheckpoint("t", checkpoint(step, parent)).ok());
    }
  }
  ManualClock clock;
  auto store = OpenStore({.path = path, .tenant_ttl_seconds = {{"short", 60}}, .clock = clock.AsClock()});
  CHECK(store->PutCheckpoint("t", checkpoint(2, 1)).ok());  // below the newest step on disk: read, free
  CHECK(store->PutCheckpoint("t", checkpoint(5, 2)).status().code() == absl::StatusCode::kAlreadyExists);
  CHECK(store->PutCheckpoint("t", checkpoint(6, 4)).status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(store->PutCheckpoint("t", checkpoint(6, 5)).ok());
  CHECK(store->PutCheckpoint("t", checkpoint(7, 6)).ok());
  CHECK(store->PutCheckpoint("t", checkpoint(7, 6)).status().code() == absl::StatusCode::kAlreadyExists);
  CHECK(store->PutCheckpoint("t", checkpoint(9, 8)).status().code() == absl::StatusCode::kFailedPrecondition);

  REQUIRE(store->EraseUser("t", "u").ok());
  CHECK(store->PutCheckpoint("t", checkpoint(8, 7)).status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(store->PutCheckpoint("t", checkpoint(0, -1)).ok());
  CHECK(store->PutCheckpoint("t", checkpoint(1, 0)).ok());

  // In a tenant with a 60 s TTL, a run's newest step expires like any record: its child has no parent.
  REQUIRE(store->PutCheckpoint("short", checkpoint(0, -1)).ok());
  REQUIRE(store->PutCheckpoint("short", checkpoint(1, 0)).ok());
  clock.Advance(61'000);
  CHECK(store->PutCheckpoint("short", checkpoint(2, 1)).status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(store->PutCheckpoint("short", checkpoint(1, 0)).status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(store->PutCheckpoint("short", checkpoint(0, -1)).ok());  // expired records are gone for every reader
}

TEST_CASE("concurrent writers to one session keep a total order without gaps", "[unit]") {
  auto store = OpenStore({});
  REQUIRE(store->CreateSession("t", NewSession("s", "u")).ok());
  constexpr int kThreads = 8, kPerThread = 50;
  std::vector<std::vector<int64_t>> assigned(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto seqs = store->AppendMessages(
            "t", "s", std::vector<Message>{UserSays(std::to_string(t) + ":" + std::to_string(i))}, "");
        if (seqs.ok()) assigned[t].push_back(seqs->front());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto listed = store->ListMessages("t", "s", false, {.page_size = 1000});
  REQUIRE(listed->items.size() == kThreads * kPerThread);
  std::vector<int> next_of_thread(kThreads, 0);
  for (size_t i = 0; i < listed->items.size(); ++i) {
    const StoredMessage& message = listed->items[i];
    CHECK(message.seq == static_cast<int64_t>(i) + 1);
    // Each writer's messages appear in the order it wrote them, under the seq it was told.
    const int thread = std::stoi(message.message.content.substr(0, message.message.content.find(':')));
    const int index = std::stoi(message.message.content.substr(message.message.content.find(':') + 1));
    CHECK(index == next_of_thread[thread]);
    CHECK(assigned[thread][index] == message.seq);
    ++next_of_thread[thread];
  }
}

TEST_CASE("concurrent writers to different sessions each get their own dense sequence", "[unit]") {
  auto store = OpenStore({});
  constexpr int kThreads = 8, kPerThread = 40;
  for (int t = 0; t < kThreads; ++t) REQUIRE(store->CreateSession("t", NewSession("s" + std::to_string(t), "u")).ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        (void)store->AppendMessages("t", "s" + std::to_string(t), std::vector<Message>{UserSays("x")}, "");
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    auto listed = store->ListMessages("t", "s" + std::to_string(t), false, {.page_size = 1000});
    std::vector<int64_t> expected(kPerThread);
    for (int i = 0; i < kPerThread; ++i) expected[i] = i + 1;
    CHECK(Seqs(listed->items) == expected);
  }
}

}  // namespace
}  // namespace catena::memory::testing
