// Context strategies: window, token budget (estimator and a model tokenizer), incremental running summary and
// semantic recall, with deterministic fake models.
#include <catch2/catch.hpp>

#include "memory/token_counter.h"
#include "tests/memory/fakes.h"
#include "tests/memory/store_fixture.h"

namespace catena::memory::testing {
namespace {

std::vector<std::string> Contents(const std::vector<StoredMessage>& messages) {
  std::vector<std::string> contents;
  for (const StoredMessage& message : messages) contents.push_back(message.message.content);
  return contents;
}

// Appends "turn1".."turnN" (each "turnI word word word", 4 words, 20-21 code points).
void AppendTurns(MemoryStore& store, int from, int to) {
  std::vector<Message> batch;
  for (int i = from; i <= to; ++i) batch.push_back(UserSays("turn" + std::to_string(i) + " alpha beta gamma"));
  REQUIRE(store.AppendMessages("t", "s", batch, "").ok());
}

TEST_CASE("the estimator counts ceil(code points / 4) plus 4 per message", "[unit]") {
  CHECK(EstimateTextTokens("") == 0);
  CHECK(EstimateTextTokens("abcd") == 1);
  CHECK(EstimateTextTokens("abcde") == 2);
  CHECK(EstimateTextTokens("\xC3\xA4\xC3\xB6\xC3\xBC\xC3\x9F") == 1);  // 4 code points in 8 bytes
  CHECK(CountMessageTokens(UserSays("abcdefgh"), nullptr) == 6);
  WordTokenizer words;
  CHECK(CountMessageTokens(UserSays("one two three"), &words) == 7);
}

TEST_CASE("window returns the last N messages oldest first", "[unit]") {
  auto store = OpenStore({});
  REQUIRE(store->CreateSession("t", NewSession("s", "u")).ok());
  AppendTurns(*store, 1, 30);
  auto context = store->GetContext("t", {.session_id = "s", .strategy = ContextStrategy::kWindow, .last_n = 3});
  REQUIRE(context.ok());
  CHECK(Contents(context->messages) ==
        std::vector<std::string>{"turn28 alpha beta gamma", "turn29 alpha beta gamma", "turn30 alpha beta gamma"});
  CHECK(context->token_count == 3 * (6 + 4));  // 23 code points -> 6 tokens, + 4 overhead
  CHECK(store->GetContext("t", {.session_id = "s", .last_n = 0}).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("token budget keeps the newest messages that fit, counted by the model's tokenizer when known", "[unit]") {
  WordTokenizer words;
  auto store = OpenStore({.tokenizer_for_model = [&](std::string_view model) -> const inference::Tokenizer* {
    return model == "word-model" ? &words : nullptr;
  }});
  REQUIRE(store->CreateSession("t", NewSession("s", "u")).ok());
  AppendTurns(*store, 1, 10);
  // Estimator: 10 tokens per message -> 35 fits 3.
  auto estimated =
      store->GetContext("t", {.session_id = "s", .strategy = ContextStrategy::kTokenBudget, .max_tokens = 35});
  REQUIRE(estimated.ok());
  CHECK(estimated->messages.size() == 3);
  CHECK(estimated->token_count == 30);
  CHECK(estimated->messages.front().seq == 8);
  // Word tokenizer: 4 words + 4 overhead = 8 per message -> 35 fits 4.
  auto counted = store->GetContext(
      "t", {.session_id = "s", .strategy = ContextStrategy::kTokenBudget, .max_tokens = 35, .model = "word-model"});
  REQUIRE(counted.ok());
  CHECK(counted->messages.size() == 4);
  CHECK(counted->token_count == 32);
  // An unknown model falls back to the estimator.
  auto unknown = store->GetContext(
      "t", {.session_id = "s", .strategy = ContextStrategy::kTokenBudget, .max_tokens = 35, .model = "other"});
  CHECK(unknown->messages.size() == 3);
}

TEST_CASE("summary sends only new turns plus the previous summary to the model", "[unit]") {
  FakeSummarizer model;
  auto store = OpenStore({.summarizer = &model});
  REQUIRE(store->CreateSession("t", NewSession("s", "u")).ok());
  AppendTurns(*store, 1, 10);
  const ContextRequest request{.session_id = "s", .strategy = ContextStrategy::kSummary, .max_tokens = 40};
  // Recent window: max_tokens / 2 = 20 tokens -> the last 2 messages (10 each); turns 1..8 are summarized.
  auto first = store->GetContext("t", request);
  REQUIRE(first.ok());
  CHECK(first->summary == "SUMMARY(8 turns: turn1 turn2 turn3 turn4 turn5 turn6 turn7 turn8)");
  CHECK(Contents(first->messages) == std::vector<std::string>{"turn9 alpha beta gamma", "turn10 alpha beta gamma"});
  REQUIRE(model.calls().size() == 1);
  CHECK(model.calls()[0][0].role == "system");

  // Asking again without new turns calls nothing.
  REQUIRE(store->GetContext("t", request).ok());
  CHECK(model.calls().size() == 1);

  AppendTurns(*store, 11, 13);
  auto second = store->GetContext("t", request);
  REQUIRE(second.ok());
  REQUIRE(model.calls().size() == 2);
  const auto calls = model.calls();
  const auto& call = calls[1];
  // The previous summary travels in the system turn; only turns 9..11 are new to the model.
  CHECK_THAT(call[0].content, Catch::Contains(first->summary));
  REQUIRE(call.size() == 4);
  CHECK(call[1].content == "turn9 alpha beta gamma");
  CHECK(call[3].content == "turn11 alpha beta gamma");
  CHECK(second->summary == "SUMMARY(3 turns: turn9 turn10 turn11)");
  CHECK(Contents(second->messages) == std::vector<std::string>{"turn12 alpha beta gamma", "turn13 alpha beta gamma"});
  CHECK(second->token_count == 20 + EstimateTextTokens(second->summary));
}

TEST_CASE("summary and semantic strategies without their model fail with FAILED_PRECONDITION", "[unit]") {
  auto store = OpenStore({});
  REQUIRE(store->CreateSession("t", NewSession("s", "u")).ok());
  AppendTurns(*store, 1, 3);
  auto summary = store->GetContext("t", {.session_id = "s", .strategy = ContextStrategy::kSummary, .max_tokens = 10});
  CHECK(summary.status().code() == absl::StatusCode::kFailedPrecondition);
  auto semantic =
      store->GetContext("t", {.session_id = "s", .strategy = ContextStrategy::kSemantic, .query = "x", .k = 1});
  CHECK(semantic.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(semantic.status().message()), Catch::Contains("no embedder configured"));
}

TEST_CASE("semantic recall returns the k most similar earlier turns in conversation order", "[unit]") {
  FakeEmbedder embedder;
  auto store = OpenStore({.embedder = &embedder});
  REQUIRE(store->CreateSession("t", NewSession("s", "u")).ok());
  const std::vector<Message> turns = {UserSays("my mortgage rate is fixed until 2030"),
                                      UserSays("please call me on tuesday"), UserSays("the weather is nice"),
                                      UserSays("can I refinance the mortgage rate early"),
                                      UserSays("thanks for the help")};
  REQUIRE(store->AppendMessages("t", "s", turns, "").ok());
  auto recalled = store->GetContext(
      "t", {.session_id = "s", .strategy = ContextStrategy::kSemantic, .query = "mortgage rate", .k = 2});
  REQUIRE(recalled.ok());
  CHECK(Contents(recalled->messages) ==
        std::vector<std::string>{"my mortgage rate is fixed until 2030", "can I refinance the mortgage rate early"});
  CHECK(recalled->token_count == recalled->messages[0].token_count + recalled->messages[1].token_count);
  CHECK(store->GetContext("t", {.session_id = "s", .strategy = ContextStrategy::kSemantic, .query = "x", .k = 0})
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace catena::memory::testing
