// Nodes backed by real components: embed on an EmbedderRegistry with the hashing embedder, retrieve on a
// RetrievalEngine in a temporary directory, memory.load/save/facts on a MemoryStore.
#include <catch2/catch.hpp>

#include "memory/memory_store.h"
#include "retrieval/retrieval_engine.h"
#include "tests/chains/fake_node_call.h"
#include "tests/chains/hashing_embedders.h"
#include "tests/support/temp_dir.h"

namespace catena::chains {
namespace {

using testing::CompileNode;
using testing::FakeCompileContext;
using testing::FakeNodeCall;
using testing::HashingEmbedders;
using testing::J;
using testing::ParamsOf;
using Json = nlohmann::ordered_json;

std::unique_ptr<FakeNodeCall> Run(const std::string& type, const Json& with, const RunServices& services) {
  FakeCompileContext compile;
  auto impl = CompileNode(type, with, compile);
  INFO(compile.Messages());
  REQUIRE(impl != nullptr);
  auto call = std::make_unique<FakeNodeCall>(services, ParamsOf(type, with));
  impl->Start(*call);
  REQUIRE(call->finish_count() == 1);  // these nodes finish inline
  return call;
}

TEST_CASE("embed returns the registry embedder's vectors for text and texts", "[unit]") {
  auto embedders = HashingEmbedders();
  auto call = Run("embed", Json{{"text", "lost card"}, {"texts", {"fees", "loans"}}}, {.embedders = embedders.get()});
  REQUIRE(call->output().ok());
  const nlohmann::json out = J(*call->output());
  CHECK(out["dimension"] == 384);
  CHECK(out["embedder"] == "hashing-384");
  auto expected = (*embedders->Find(""))->Embed(std::vector<std::string>{"lost card", "fees"},
                                                inference::EmbedInputKind::kDocument);
  REQUIRE(expected.ok());
  REQUIRE(out["vector"].size() == 384);
  REQUIRE(out["vectors"].size() == 2);
  for (int i = 0; i < 384; ++i) {
    CHECK(out["vector"][i].get<double>() == Approx(expected->Row(0)[i]));
    CHECK(out["vectors"][0][i].get<double>() == Approx(expected->Row(1)[i]));
  }
  auto unknown = Run("embed", Json{{"embedder", "glove"}, {"text", "x"}}, {.embedders = embedders.get()});
  CHECK(absl::IsNotFound(unknown->output().status()));
  FakeCompileContext compile;
  CompileNode("embed", Json::object(), compile);
  CHECK_THAT(compile.Messages(), Catch::Contains("needs one of these parameters: text, texts"));
}

struct RetrievalFixture {
  RetrievalFixture() : dir("chains-retrieve"), embedders(HashingEmbedders()) {
    auto opened = retrieval::RetrievalEngine::Open({.data_dir = dir.path(), .embedders = embedders});
    REQUIRE(opened.ok());
    engine = *std::move(opened);
    retrieval::CollectionSpec spec{.dimension = 384, .embedder = "hashing-384",
                                   .fields = {{"lang", retrieval::FieldType::kString}}};
    REQUIRE(engine->CreateCollection("t1", "kb", spec).ok());
    auto kb = engine->Find("t1", "kb");
    REQUIRE(kb.ok());
    auto ids = (*kb)->Upsert({
        {.id = "refunds", .text = "Refunds for card payments take five business days", .source = "faq.md",
         .metadata = {{"lang", "en"}}},
        {.id = "block", .text = "Block a lost or stolen card in the app under Cards", .metadata = {{"lang", "en"}}},
        {.id = "zinsen", .text = "Zinsen für Sparkonten werden monatlich gutgeschrieben", .metadata = {{"lang", "de"}}},
    });
    REQUIRE(ids.ok());
  }
  catena::testing::TempDir dir;
  std::shared_ptr<inference::EmbedderRegistry> embedders;
  std::unique_ptr<retrieval::RetrievalEngine> engine;
};

TEST_CASE("retrieve searches the tenant's collection and emits the documents it returns", "[integration]") {
  RetrievalFixture fixture;
  RunServices services{.retrieval = fixture.engine.get()};
  auto call = Run("retrieve", Json{{"collection", "kb"}, {"query", "how long do card refunds take"}, {"k", 2}},
                  services);
  REQUIRE(call->output().ok());
  const nlohmann::json out = J(*call->output());
  CHECK(out["count"] == 2);
  REQUIRE(out["documents"].size() == 2);
  CHECK(out["documents"][0]["id"] == "refunds");
  CHECK(out["documents"][0]["source"] == "faq.md");
  CHECK(out["documents"][0]["metadata"] == nlohmann::json{{"lang", "en"}});
  CHECK(out["documents"][0]["text"] == "Refunds for card payments take five business days");
  CHECK(out["scores"][0].get<double>() >= out["scores"][1].get<double>());
  CHECK(out["documents"][0]["score"] == out["scores"][0]);
  const std::vector<RunEvent> events = call->events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == RunEvent::Kind::kRetrieved);
  CHECK(J(events[0].data)["documents"] == out["documents"]);

  auto filtered = Run("retrieve", Json{{"collection", "kb"}, {"query", "card"}, {"filter", "lang == \"de\""},
                                       {"mode", "dense"}}, services);
  REQUIRE(filtered->output().ok());
  CHECK(J(*filtered->output())["documents"].size() == 1);
  CHECK(J(*filtered->output())["documents"][0]["id"] == "zinsen");
}

TEST_CASE("retrieve reports unknown collections, other tenants and bad modes", "[integration]") {
  RetrievalFixture fixture;
  RunServices services{.retrieval = fixture.engine.get()};
  CHECK(absl::IsNotFound(Run("retrieve", Json{{"collection", "nope"}, {"query", "q"}}, services)->output().status()));
  FakeCompileContext compile;
  const Json with = {{"collection", "kb"}, {"query", "card"}};
  auto impl = CompileNode("retrieve", with, compile);
  FakeNodeCall other_tenant(services, ParamsOf("retrieve", with));
  other_tenant.set_tenant("t2");
  impl->Start(other_tenant);
  CHECK(absl::IsNotFound(other_tenant.output().status()));
  FakeCompileContext bad;
  CompileNode("retrieve", Json{{"collection", "kb"}, {"query", "q"}, {"mode", "fuzzy"}, {"k", 0}}, bad);
  CHECK_THAT(bad.Messages(), Catch::Contains("parameter 'mode' must be one of dense, sparse, hybrid; got 'fuzzy'"));
  CHECK_THAT(bad.Messages(), Catch::Contains("parameter 'k' = 0 must be in [1, 1000]"));
  auto templated = Run("retrieve", Json{{"collection", "kb"}, {"query", "q"}, {"k", "five"}}, services);
  CHECK_THAT(std::string(templated->output().status().message()), Catch::Contains("parameter 'k' must be an int"));
}

struct MemoryFixture {
  MemoryFixture() : dir("chains-memory") {
    auto opened = memory::MemoryStore::Open({.path = (dir.path() / "db").string()});
    REQUIRE(opened.ok());
    store = *std::move(opened);
  }
  catena::testing::TempDir dir;
  std::unique_ptr<memory::MemoryStore> store;
};

TEST_CASE("memory.save creates the session and memory.load returns the conversation", "[integration]") {
  MemoryFixture fixture;
  RunServices services{.memory = fixture.store.get()};
  auto empty = Run("memory.load", Json{{"session", "s1"}}, services);
  REQUIRE(empty->output().ok());
  CHECK(J(*empty->output())["messages"] == nlohmann::json::array());

  const Json turn = {{"session", "s1"}, {"user_id", "u7"}, {"user", "I lost my card"}, {"assistant", "Blocked it."}};
  auto saved = Run("memory.save", turn, services);
  REQUIRE(saved->output().ok());
  CHECK(J(*saved->output()) == nlohmann::json::parse(R"({"count": 2, "seqs": [1, 2]})"));
  auto again = Run("memory.save", turn, services);  // a retry of the same node in the same run
  CHECK(J(*again->output())["seqs"] == nlohmann::json::parse("[1, 2]"));
  auto session = fixture.store->GetSession("t1", "s1");
  REQUIRE(session.ok());
  CHECK(session->user_id == "u7");
  CHECK(session->message_count == 2);

  auto loaded = Run("memory.load", Json{{"session", "s1"}, {"max_messages", 5}}, services);
  REQUIRE(loaded->output().ok());
  const nlohmann::json out = J(*loaded->output());
  CHECK(out["messages"] == nlohmann::json::parse(R"([{"role": "user", "content": "I lost my card"},
                                                     {"role": "assistant", "content": "Blocked it."}])"));
  CHECK(out["text"] == "user: I lost my card\nassistant: Blocked it.");
  auto last = Run("memory.load", Json{{"session", "s1"}, {"max_messages", 1}}, services);
  CHECK(J(*last->output())["messages"].size() == 1);
  CHECK(J(*last->output())["messages"][0]["role"] == "assistant");
}

TEST_CASE("memory.load applies token budgets and checks its strategy", "[integration]") {
  MemoryFixture fixture;
  RunServices services{.memory = fixture.store.get()};
  Json turns = Json::array();
  for (int i = 0; i < 30; ++i) turns.push_back({{"role", i % 2 ? "assistant" : "user"}, {"content", "word word word word"}});
  REQUIRE(Run("memory.save", Json{{"session", "s"}, {"messages", turns}}, services)->output().ok());
  auto all = Run("memory.load", Json{{"session", "s"}, {"max_messages", 100}}, services);
  CHECK(J(*all->output())["messages"].size() == 30);
  auto budget = Run("memory.load", Json{{"session", "s"}, {"strategy", "token_budget"}, {"max_tokens", 40}}, services);
  REQUIRE(budget->output().ok());
  const nlohmann::json out = J(*budget->output());
  CHECK(out["messages"].size() > 0);
  CHECK(out["messages"].size() < 30);
  CHECK(out["token_count"].get<int>() <= 40);
  auto semantic = Run("memory.load", Json{{"session", "s"}, {"strategy", "semantic"}}, services);
  CHECK_THAT(std::string(semantic->output().status().message()), Catch::Contains("needs parameter 'query'"));
  FakeCompileContext compile;
  CompileNode("memory.load", Json{{"session", "s"}, {"strategy", "newest"}}, compile);
  CHECK_THAT(compile.Messages(), Catch::Contains("parameter 'strategy' must be one of window, token_budget, summary, semantic"));
  FakeCompileContext save;
  CompileNode("memory.save", Json{{"session", "s"}}, save);
  CHECK_THAT(save.Messages(), Catch::Contains("needs one of these parameters: messages, user, assistant"));
  FakeCompileContext chat;
  CompileNode("llm.chat", Json{{"system", "x"}}, chat);
  CHECK_THAT(chat.Messages(), Catch::Contains("needs one of these parameters: messages, prompt"));
}

TEST_CASE("memory.facts sets, deletes and reads a user's facts", "[integration]") {
  MemoryFixture fixture;
  RunServices services{.memory = fixture.store.get()};
  auto set = Run("memory.facts", Json{{"user_id", "u1"}, {"set", {{"city", "Oslo"}, {"kids", 2}}}}, services);
  REQUIRE(set->output().ok());
  CHECK(J(*set->output()) == nlohmann::json::parse(R"({"facts": {"city": "Oslo", "kids": "2"}})"));
  auto removed = Run("memory.facts", Json{{"user_id", "u1"}, {"set", {{"kids", ""}}}}, services);
  CHECK(J(*removed->output()) == nlohmann::json::parse(R"({"facts": {"city": "Oslo"}})"));
  auto other = Run("memory.facts", Json{{"user_id", "u2"}}, services);
  CHECK(J(*other->output()) == nlohmann::json::parse(R"({"facts": {}})"));
  auto no_store = Run("memory.facts", Json{{"user_id", "u2"}}, {});
  CHECK(absl::IsFailedPrecondition(no_store->output().status()));
}

}  // namespace
}  // namespace catena::chains
