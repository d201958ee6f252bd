// The typed service wrappers of the C++ SDK against a live catenad (built-in hashing embedder, the deterministic
// test chat models): every RPC of EmbeddingService, RetrievalService, MemoryService, PipelineService and
// ServerService is called through catena::sdk::Client and its result checked.
#include <catch2/catch.hpp>
#include <cmath>

#include "tests/sdk/cpp/sdk_test_util.h"

namespace catena::testing {
namespace {

using sdk::ServingStatus;

constexpr char kQa[] = R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: qa, description: "answers with the test model"}
inputs:
  question: {type: string, required: true}
nodes:
  answer:
    type: llm.chat
    with: {model: test, prompt: "{{ inputs.question }}"}
outputs:
  answer: "{{ nodes.answer.text }}"
)";

constexpr char kTransfer[] = R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: transfer}
inputs:
  amount: {type: int, required: true}
nodes:
  approve:
    type: handoff.human
    with: {reason: "approve transfer of {{ inputs.amount }} EUR"}
  decide:
    type: transform
    with: {status: "{{ 'approved' if nodes.approve.approved else 'rejected' }}"}
outputs:
  status: "{{ nodes.decide.status }}"
)";

CatenadProcess StartCatenad() { return CatenadProcess({"--set", "pipelines.test_models=true"}); }

std::string StringField(const google::protobuf::Struct& value, const std::string& key) {
  auto it = value.fields().find(key);
  return it == value.fields().end() ? "<missing>" : it->second.string_value();
}

TEST_CASE("the embedding wrapper lists the hashing embedder and embeds normalized vectors", "[integration]") {
  CatenadProcess catenad = StartCatenad();
  auto client = MakeClient(catenad.grpc_address());
  auto embedders = client->embedding().ListEmbedders({});
  REQUIRE(embedders.ok());
  bool found = false;
  for (const auto& embedder : embedders->embedders()) found |= embedder.name() == "hashing-384";
  CHECK(found);
  auto embedded = client->embedding().Embed(
      Parse<v1::EmbedRequest>(R"(inputs: "first text" inputs: "second text" normalize: true)"));
  REQUIRE(embedded.ok());
  CHECK(embedded->dimension() == 384);
  REQUIRE(embedded->embeddings_size() == 2);
  double norm = 0;
  for (float value : embedded->embeddings(1).values()) norm += value * value;
  CHECK(std::sqrt(norm) == Approx(1.0).epsilon(1e-4));
  auto missing = client->embedding().Embed(Parse<v1::EmbedRequest>(R"(model: "no-such-embedder" inputs: "x")"));
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("the retrieval wrapper creates, fills, searches, ingests and deletes a collection", "[integration]") {
  CatenadProcess catenad = StartCatenad();
  auto client = MakeClient(catenad.grpc_address());
  const sdk::RetrievalClient& retrieval = client->retrieval();
  auto created = retrieval.CreateCollection(Parse<v1::CreateCollectionRequest>(
      R"(name: "docs" spec { dimension: 384 fields { name: "lang" type: FIELD_TYPE_STRING } })"));
  REQUIRE(created.ok());
  CHECK(created->spec().dimension() == 384);
  CHECK(retrieval.CreateCollection(Parse<v1::CreateCollectionRequest>(R"(name: "docs" spec { dimension: 384 })"))
            .status()
            .code() == absl::StatusCode::kAlreadyExists);
  auto upserted = retrieval.Upsert(Parse<v1::UpsertRequest>(R"(collection: "docs"
      documents { id: "kangaroo" text: "The kangaroo hops across the Australian outback."
                  metadata { fields { key: "lang" value { string_value: "en" } } } }
      documents { id: "pasta" text: "Fresh pasta needs flour, eggs and patience."
                  metadata { fields { key: "lang" value { string_value: "en" } } } }
      documents { id: "velo" text: "Le velo est un moyen de transport ecologique."
                  metadata { fields { key: "lang" value { string_value: "fr" } } } })"));
  REQUIRE(upserted.ok());
  CHECK(std::vector<std::string>(upserted->ids().begin(), upserted->ids().end()) ==
        std::vector<std::string>{"kangaroo", "pasta", "velo"});

  auto listed = retrieval.ListCollections({});
  REQUIRE(listed.ok());
  REQUIRE(listed->collections_size() == 1);
  CHECK(listed->collections(0).name() == "docs");
  auto described = retrieval.DescribeCollection(Parse<v1::DescribeCollectionRequest>(R"(name: "docs")"));
  REQUIRE(described.ok());
  CHECK(described->document_count() == 3);

  auto dense = retrieval.Search(
      Parse<v1::SearchRequest>(R"(collection: "docs" query: "Fresh pasta needs flour, eggs and patience." k: 1)"));
  REQUIRE(dense.ok());
  REQUIRE(dense->hits_size() == 1);
  CHECK(dense->hits(0).document().id() == "pasta");
  CHECK(dense->hits(0).score() == Approx(1.0).margin(1e-3));
  auto sparse = retrieval.Search(Parse<v1::SearchRequest>(
      R"(collection: "docs" query: "transport" mode: SEARCH_MODE_SPARSE filter: "lang == \"fr\"")"));
  REQUIRE(sparse.ok());
  REQUIRE(sparse->hits_size() == 1);
  CHECK(sparse->hits(0).document().id() == "velo");
  CHECK(retrieval.Search(Parse<v1::SearchRequest>(R"(collection: "docs" query: "x" filter: "lang ==")"))
            .status()
            .code() == absl::StatusCode::kInvalidArgument);

  auto got = retrieval.Get(Parse<v1::GetRequest>(R"(collection: "docs" ids: "velo" ids: "missing" ids: "kangaroo")"));
  REQUIRE(got.ok());
  REQUIRE(got->documents_size() == 2);
  CHECK(got->documents(0).id() == "velo");
  CHECK(StringField(got->documents(1).metadata(), "lang") == "en");

  auto deleted = retrieval.Delete(Parse<v1::DeleteRequest>(R"(collection: "docs" filter: "lang == \"fr\"")"));
  REQUIRE(deleted.ok());
  CHECK(deleted->deleted() == 1);

  const std::string faq =
      "# Cards\n\nA lost card is blocked in the app. A lost card is blocked in the app.\n\n"
      "# Loans\n\nLoans need an income statement.";
  v1::IngestRequest ingest;
  ingest.set_collection("docs");
  ingest.mutable_splitter()->set_kind("markdown");
  ingest.mutable_splitter()->set_chunk_size(60);
  v1::RawDocument* raw = ingest.add_documents();
  raw->set_source("faq.md");
  raw->set_content(faq);
  auto ingested = retrieval.Ingest(ingest);
  REQUIRE(ingested.ok());
  CHECK(ingested->documents() == 1);
  CHECK(ingested->chunks() >= 2);
  CHECK(ingested->chunk_ids_size() == ingested->chunks());
  auto hits = retrieval.Search(
      Parse<v1::SearchRequest>(R"(collection: "docs" query: "lost card blocked" mode: SEARCH_MODE_SPARSE k: 1)"));
  REQUIRE(hits.ok());
  REQUIRE(hits->hits_size() == 1);
  CHECK(hits->hits(0).document().id().rfind("faq.md", 0) == 0);

  raw->set_source("bees.txt");
  raw->set_content("bees make honey");
  v1::RawDocument* second = ingest.add_documents();
  second->set_source("ants.txt");
  second->set_content("ants carry leaves");
  auto progress = retrieval.IngestStream(ingest).ReadAll();
  REQUIRE(progress.ok());
  REQUIRE(!progress->empty());
  CHECK(progress->back().documents_total() == 2);
  CHECK(progress->back().documents_done() == 2);
  CHECK(progress->back().has_result());
  CHECK(progress->back().result().documents() == 2);

  REQUIRE(retrieval.DeleteCollection(Parse<v1::DeleteCollectionRequest>(R"(name: "docs")")).ok());
  CHECK(retrieval.DescribeCollection(Parse<v1::DescribeCollectionRequest>(R"(name: "docs")")).status().code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("the memory wrapper keeps sessions, messages, facts and checkpoints and erases a user", "[integration]") {
  CatenadProcess catenad = StartCatenad();
  auto client = MakeClient(catenad.grpc_address());
  const sdk::MemoryClient& memory = client->memory();
  auto session = memory.CreateSession(Parse<v1::CreateSessionRequest>(R"(id: "s-1" user_id: "alice")"));
  REQUIRE(session.ok());
  CHECK(session->id() == "s-1");
  const auto append = Parse<v1::AppendMessagesRequest>(R"(session_id: "s-1" idempotency_key: "k1"
      messages { role: ROLE_USER content: "hi" } messages { role: ROLE_ASSISTANT content: "hello" }
      messages { role: ROLE_USER content: "card lost" })");
  auto seqs = memory.AppendMessages(append);
  REQUIRE(seqs.ok());
  CHECK(std::vector<int64_t>(seqs->seqs().begin(), seqs->seqs().end()) == std::vector<int64_t>{1, 2, 3});
  auto again = memory.AppendMessages(append);  // same idempotency key: applied once
  REQUIRE(again.ok());
  CHECK(again->seqs(2) == 3);
  auto fetched = memory.GetSession(Parse<v1::GetSessionRequest>(R"(id: "s-1")"));
  REQUIRE(fetched.ok());
  CHECK(fetched->message_count() == 3);
  auto messages = memory.ListMessages(Parse<v1::ListMessagesRequest>(R"(session_id: "s-1" reverse: true)"));
  REQUIRE(messages.ok());
  REQUIRE(messages->messages_size() == 3);
  CHECK(messages->messages(0).message().content() == "card lost");
  auto context = memory.GetContext(
      Parse<v1::GetContextRequest>(R"(session_id: "s-1" strategy: CONTEXT_STRATEGY_WINDOW last_n: 2)"));
  REQUIRE(context.ok());
  REQUIRE(context->messages_size() == 2);
  CHECK(context->messages(0).content() == "hello");

  REQUIRE(memory.CreateSession(Parse<v1::CreateSessionRequest>(R"(id: "s-2" user_id: "bob")")).ok());
  auto alice = memory.ListSessions(Parse<v1::ListSessionsRequest>(R"(user_id: "alice")"));
  REQUIRE(alice.ok());
  REQUIRE(alice->sessions_size() == 1);
  CHECK(alice->sessions(0).id() == "s-1");
  REQUIRE(memory.DeleteSession(Parse<v1::DeleteSessionRequest>(R"(id: "s-2")")).ok());
  CHECK(memory.GetSession(Parse<v1::GetSessionRequest>(R"(id: "s-2")")).status().code() == absl::StatusCode::kNotFound);

  REQUIRE(memory.PutFacts(Parse<v1::PutFactsRequest>(R"(user_id: "alice" facts { key: "city" value: "Oslo" })")).ok());
  auto facts = memory.GetFacts(Parse<v1::GetFactsRequest>(R"(user_id: "alice")"));
  REQUIRE(facts.ok());
  CHECK(facts->facts().at("city") == "Oslo");
  REQUIRE(memory
              .PutCheckpoint(Parse<v1::PutCheckpointRequest>(
                  R"(checkpoint { run_id: "run-1" step: 0 parent_step: -1 state: "s0" user_id: "alice" })"))
              .ok());
  REQUIRE(memory
              .PutCheckpoint(Parse<v1::PutCheckpointRequest>(
                  R"(checkpoint { run_id: "run-1" step: 1 parent_step: 0 state: "s1" user_id: "alice" })"))
              .ok());
  auto latest = memory.GetCheckpoint(Parse<v1::GetCheckpointRequest>(R"(run_id: "run-1" step: -1)"));
  REQUIRE(latest.ok());
  CHECK(latest->state() == "s1");
  auto first = memory.GetCheckpoint(Parse<v1::GetCheckpointRequest>(R"(run_id: "run-1" step: 0)"));
  REQUIRE(first.ok());
  CHECK(first->state() == "s0");
  auto checkpoints = memory.ListCheckpoints(Parse<v1::ListCheckpointsRequest>(R"(run_id: "run-1")"));
  REQUIRE(checkpoints.ok());
  CHECK(checkpoints->checkpoints_size() == 2);

  auto erased = memory.EraseUser(Parse<v1::EraseUserRequest>(R"(user_id: "alice")"));
  REQUIRE(erased.ok());
  CHECK(erased->sessions_erased() == 1);
  CHECK(erased->messages_erased() == 3);
  CHECK(erased->facts_erased() == 1);
  CHECK(erased->checkpoints_erased() == 2);
  CHECK(memory.GetCheckpoint(Parse<v1::GetCheckpointRequest>(R"(run_id: "run-1" step: -1)")).status().code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("the pipeline wrapper validates, stores, runs, streams, resumes and traces pipelines", "[integration]") {
  CatenadProcess catenad = StartCatenad();
  auto client = MakeClient(catenad.grpc_address());
  const sdk::PipelineClient& pipelines = client->pipelines();
  v1::ValidatePipelineRequest validate;
  validate.set_source(std::string(kQa).replace(std::string(kQa).find("llm.chat"), 8, "llm.chta"));
  validate.set_file_name("qa.yaml");
  auto report = pipelines.ValidatePipeline(validate);
  REQUIRE(report.ok());
  CHECK_FALSE(report->valid());
  REQUIRE(report->problems_size() >= 1);
  CHECK(report->problems(0).line() == 8);
  CHECK(report->problems(0).node() == "answer");

  v1::PutPipelineRequest put;
  put.set_source(kQa);
  auto stored = pipelines.PutPipeline(put);
  REQUIRE(stored.ok());
  CHECK(stored->name() == "qa");
  CHECK(stored->version().size() == 64);
  auto listed = pipelines.ListPipelines({});
  REQUIRE(listed.ok());
  REQUIRE(listed->pipelines_size() == 1);
  auto got = pipelines.GetPipeline(Parse<v1::GetPipelineRequest>(R"(name: "qa")"));
  REQUIRE(got.ok());
  CHECK(got->source() == kQa);

  auto run = pipelines.Run(Parse<v1::RunRequest>(R"(pipeline: "qa" run_id: "run-qa-1" user_id: "u1"
      inputs { fields { key: "question" value { string_value: "where is my card" } } })"));
  REQUIRE(run.ok());
  CHECK(run->state() == "completed");
  CHECK(StringField(run->outputs(), "answer") == "echo: where is my card");
  auto trace = pipelines.GetRun(Parse<v1::GetRunRequest>(R"(run_id: "run-qa-1")"));
  REQUIRE(trace.ok());
  CHECK(trace->pipeline() == "qa");
  CHECK(trace->user_id() == "u1");

  auto stream = pipelines.RunStream(Parse<v1::RunRequest>(
      R"(pipeline: "qa" inputs { fields { key: "question" value { string_value: "stream me" } } })"));
  std::string tokens;
  std::vector<v1::RunEvent> events;
  REQUIRE(stream
              .ForEach([&](v1::RunEvent&& event) {
                if (event.has_token()) tokens += event.token().text_delta();
                events.push_back(std::move(event));
              })
              .ok());
  REQUIRE(events.size() >= 3);
  CHECK(events.front().has_run_started());
  CHECK(events.back().has_final());
  CHECK(tokens == "echo: stream me");
  for (size_t i = 0; i < events.size(); ++i) CHECK(events[i].seq() == static_cast<int64_t>(i + 1));

  put.set_source(kTransfer);
  REQUIRE(pipelines.PutPipeline(put).ok());
  auto waiting = pipelines.Run(Parse<v1::RunRequest>(
      R"(pipeline: "transfer" run_id: "t-500" inputs { fields { key: "amount" value { number_value: 500 } } })"));
  REQUIRE(waiting.ok());
  CHECK(waiting->state() == "interrupted");
  CHECK(waiting->interrupt().reason() == "approve transfer of 500 EUR");
  auto resumed = pipelines.Resume(Parse<v1::ResumeRequest>(R"(run_id: "t-500" approved: true)")).ReadAll();
  REQUIRE(resumed.ok());
  REQUIRE(!resumed->empty());
  REQUIRE(resumed->back().has_final());
  CHECK(StringField(resumed->back().final().outputs(), "status") == "approved");
  auto finished = pipelines.GetRun(Parse<v1::GetRunRequest>(R"(run_id: "t-500")"));
  REQUIRE(finished.ok());
  CHECK(finished->state() == "completed");

  REQUIRE(pipelines.DeletePipeline(Parse<v1::DeletePipelineRequest>(R"(name: "qa")")).ok());
  CHECK(pipelines.GetPipeline(Parse<v1::GetPipelineRequest>(R"(name: "qa")")).status().code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("the server wrapper reports health, server info with the tenant, and pings", "[integration]") {
  CatenadProcess catenad = StartCatenad();
  auto client = MakeClient(catenad.grpc_address(), "acme-bank");
  const sdk::ServerClient& server = client->server();
  CHECK(server.Health().value() == ServingStatus::kServing);
  CHECK(server.Health("catena.v1.RetrievalService").value() == ServingStatus::kServing);
  CHECK(server.Health("catena.v1.NoSuchService").status().code() == absl::StatusCode::kNotFound);
  auto watch = server.WatchHealth("catena.v1.MemoryService", {.timeout = absl::Seconds(2)});
  auto first = watch.Next();
  REQUIRE(first.has_value());
  CHECK(sdk::ToServingStatus(*first) == ServingStatus::kServing);
  watch.Cancel();
  CHECK_FALSE(watch.Next().has_value());
  CHECK(watch.status().code() == absl::StatusCode::kCancelled);

  auto info = server.GetServerInfo();
  REQUIRE(info.ok());
  CHECK(info->tenant() == "acme-bank");
  CHECK(std::find(info->services().begin(), info->services().end(), "catena.v1.PipelineService") !=
        info->services().end());
  auto pong = server.Ping(Parse<v1::PingRequest>(R"(payload: "hello")"));
  REQUIRE(pong.ok());
  CHECK(pong->payload() == "hello");
}

}  // namespace
}  // namespace catena::testing
