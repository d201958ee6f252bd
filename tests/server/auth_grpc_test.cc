// Authentication and tenant isolation of a real catenad's gRPC services with auth.enabled: every service refuses
// calls without a valid key, health stays open, a key of one tenant can neither read nor change another tenant's
// collections, sessions, pipelines or runs, and keys created, revoked and rotated with `catena keys` take effect
// without a restart.
#include <catch2/catch.hpp>
#include <functional>
#include <thread>

#include "catena/v1/embedding.grpc.pb.h"
#include "catena/v1/inference.grpc.pb.h"
#include "catena/v1/memory.grpc.pb.h"
#include "catena/v1/pipeline.grpc.pb.h"
#include "catena/v1/retrieval.grpc.pb.h"
#include "catena/v1/server.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/server/auth_test_support.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace catena::testing {
namespace {

using grpc::StatusCode;

// One stub per service on one channel.
struct Stubs {
  explicit Stubs(const std::string& address)
      : channel(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
        server(v1::ServerService::NewStub(channel)),
        inference(v1::InferenceService::NewStub(channel)),
        embedding(v1::EmbeddingService::NewStub(channel)),
        retrieval(v1::RetrievalService::NewStub(channel)),
        memory(v1::MemoryService::NewStub(channel)),
        pipeline(v1::PipelineService::NewStub(channel)),
        health(grpc::health::v1::Health::NewStub(channel)) {}
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::ServerService::Stub> server;
  std::unique_ptr<v1::InferenceService::Stub> inference;
  std::unique_ptr<v1::EmbeddingService::Stub> embedding;
  std::unique_ptr<v1::RetrievalService::Stub> retrieval;
  std::unique_ptr<v1::MemoryService::Stub> memory;
  std::unique_ptr<v1::PipelineService::Stub> pipeline;
  std::unique_ptr<grpc::health::v1::Health::Stub> health;
};

// The status of one cheap call of every service (and one streaming call) made with `key` and `tenant`.
std::vector<std::pair<std::string, grpc::Status>> CallEveryService(Stubs& stubs, const std::string& key,
                                                                   const std::string& tenant = "") {
  std::vector<std::pair<std::string, grpc::Status>> statuses;
  v1::GetServerInfoResponse info;
  statuses.emplace_back("ServerService", stubs.server->GetServerInfo(AuthContext(key, tenant).get(), {}, &info));
  v1::ListModelsResponse models;
  statuses.emplace_back("InferenceService", stubs.inference->ListModels(AuthContext(key, tenant).get(), {}, &models));
  v1::EmbedRequest embed;
  embed.add_inputs("hello");
  v1::EmbedResponse embedded;
  statuses.emplace_back("EmbeddingService", stubs.embedding->Embed(AuthContext(key, tenant).get(), embed, &embedded));
  v1::ListCollectionsResponse collections;
  statuses.emplace_back("RetrievalService",
                        stubs.retrieval->ListCollections(AuthContext(key, tenant).get(), {}, &collections));
  v1::ListSessionsResponse sessions;
  statuses.emplace_back("MemoryService", stubs.memory->ListSessions(AuthContext(key, tenant).get(), {}, &sessions));
  v1::ListPipelinesResponse pipelines;
  statuses.emplace_back("PipelineService",
                        stubs.pipeline->ListPipelines(AuthContext(key, tenant).get(), {}, &pipelines));
  v1::RunRequest run;
  run.set_source(kQaPipeline);
  (*run.mutable_inputs()->mutable_fields())["question"].set_string_value("hi");
  auto context = AuthContext(key, tenant);
  auto stream = stubs.pipeline->RunStream(context.get(), run);
  v1::RunEvent event;
  while (stream->Read(&event)) {
  }
  statuses.emplace_back("PipelineService.RunStream", stream->Finish());
  return statuses;
}

TEST_CASE("with auth enabled every service refuses calls without a valid key and serves a valid one", "[integration]") {
  const TempDir dir("auth-grpc");
  const TestKeys keys = WriteTestKeys(dir.path() / "data");
  auto catenad = StartSecured(dir.path() / "data");
  Stubs stubs(catenad->grpc_address());

  for (const auto& [key, why] : std::vector<std::pair<std::string, std::string>>{
           {"", "no key"}, {"ck_not-a-real-key", "unknown key"}, {keys.revoked, "revoked key"}}) {
    for (const auto& [service, status] : CallEveryService(stubs, key)) {
      INFO(why << ": " << service << ": " << status.error_message());
      CHECK(status.error_code() == StatusCode::UNAUTHENTICATED);
    }
  }
  for (const auto& [service, status] : CallEveryService(stubs, keys.alpha)) {
    INFO(service << ": " << status.error_message());
    CHECK(status.ok());
  }
  SECTION("a key used for another tenant is refused with PERMISSION_DENIED") {
    for (const auto& [service, status] : CallEveryService(stubs, keys.alpha, "beta")) {
      INFO(service << ": " << status.error_message());
      CHECK(status.error_code() == StatusCode::PERMISSION_DENIED);
    }
  }
  SECTION("health checks stay open for probes") {
    grpc::health::v1::HealthCheckResponse health;
    REQUIRE(stubs.health->Check(AuthContext("").get(), {}, &health).ok());
    CHECK(health.status() == grpc::health::v1::HealthCheckResponse::SERVING);
  }
  SECTION("a client cannot forge the refusal header to reach a handler with another tenant") {
    auto context = AuthContext(keys.alpha);
    context->AddMetadata("x-catena-auth-error", "0 ok");
    v1::ListCollectionsResponse collections;
    CHECK(stubs.retrieval->ListCollections(context.get(), {}, &collections).ok());
  }
}

// Tenant beta's data: a collection with one document, a session with one message, a pipeline and a run.
struct BetaData {
  std::string run_id;
};

BetaData CreateBetaData(Stubs& stubs, const std::string& key) {
  v1::CreateCollectionRequest create;
  create.set_name("kb");
  create.mutable_spec()->set_dimension(4);
  create.mutable_spec()->set_index("Flat");
  v1::Collection collection;
  REQUIRE(stubs.retrieval->CreateCollection(AuthContext(key).get(), create, &collection).ok());
  v1::UpsertRequest upsert;
  upsert.set_collection("kb");
  v1::Document* document = upsert.add_documents();
  document->set_id("secret-doc");
  document->set_text("beta's secret");
  for (float value : {1.0f, 0.0f, 0.0f, 0.0f}) document->add_embedding(value);
  v1::UpsertResponse upserted;
  REQUIRE(stubs.retrieval->Upsert(AuthContext(key).get(), upsert, &upserted).ok());

  v1::CreateSessionRequest session;
  session.set_id("s1");
  session.set_user_id("u1");
  v1::Session created;
  REQUIRE(stubs.memory->CreateSession(AuthContext(key).get(), session, &created).ok());
  v1::AppendMessagesRequest append;
  append.set_session_id("s1");
  append.add_messages()->set_content("beta's message");
  append.mutable_messages(0)->set_role(v1::ROLE_USER);
  v1::AppendMessagesResponse appended;
  REQUIRE(stubs.memory->AppendMessages(AuthContext(key).get(), append, &appended).ok());

  v1::PutPipelineRequest put;
  put.set_source(kQaPipeline);
  v1::Pipeline pipeline;
  REQUIRE(stubs.pipeline->PutPipeline(AuthContext(key).get(), put, &pipeline).ok());
  v1::RunRequest run;
  run.set_pipeline("qa");
  (*run.mutable_inputs()->mutable_fields())["question"].set_string_value("hi");
  v1::RunResponse ran;
  const grpc::Status run_status = stubs.pipeline->Run(AuthContext(key).get(), run, &ran);
  INFO(run_status.error_message());
  REQUIRE(run_status.ok());
  return {ran.run_id()};
}

// Every read and change of beta's data made with `key` (and `tenant`), with its status.
std::vector<std::pair<std::string, grpc::Status>> TouchBetaData(Stubs& stubs, const BetaData& data,
                                                                const std::string& key, const std::string& tenant) {
  std::vector<std::pair<std::string, grpc::Status>> out;
  v1::DescribeCollectionRequest describe;
  describe.set_name("kb");
  v1::Collection collection;
  out.emplace_back("DescribeCollection",
                   stubs.retrieval->DescribeCollection(AuthContext(key, tenant).get(), describe, &collection));
  v1::SearchRequest search;
  search.set_collection("kb");
  for (float value : {1.0f, 0.0f, 0.0f, 0.0f}) search.add_vector(value);
  search.set_k(1);
  v1::SearchResponse found;
  out.emplace_back("Search", stubs.retrieval->Search(AuthContext(key, tenant).get(), search, &found));
  v1::GetRequest get;
  get.set_collection("kb");
  get.add_ids("secret-doc");
  v1::GetResponse got;
  out.emplace_back("Get", stubs.retrieval->Get(AuthContext(key, tenant).get(), get, &got));
  v1::DeleteCollectionRequest drop;
  drop.set_name("kb");
  v1::DeleteCollectionResponse dropped;
  out.emplace_back("DeleteCollection",
                   stubs.retrieval->DeleteCollection(AuthContext(key, tenant).get(), drop, &dropped));
  v1::GetSessionRequest session;
  session.set_id("s1");
  v1::Session got_session;
  out.emplace_back("GetSession", stubs.memory->GetSession(AuthContext(key, tenant).get(), session, &got_session));
  v1::ListMessagesRequest messages;
  messages.set_session_id("s1");
  v1::ListMessagesResponse listed;
  out.emplace_back("ListMessages", stubs.memory->ListMessages(AuthContext(key, tenant).get(), messages, &listed));
  v1::AppendMessagesRequest append;
  append.set_session_id("s1");
  append.add_messages()->set_content("intruder");
  append.mutable_messages(0)->set_role(v1::ROLE_USER);
  v1::AppendMessagesResponse appended;
  out.emplace_back("AppendMessages", stubs.memory->AppendMessages(AuthContext(key, tenant).get(), append, &appended));
  v1::DeleteSessionRequest delete_session;
  delete_session.set_id("s1");
  v1::DeleteSessionResponse deleted;
  out.emplace_back("DeleteSession",
                   stubs.memory->DeleteSession(AuthContext(key, tenant).get(), delete_session, &deleted));
  v1::GetPipelineRequest pipeline;
  pipeline.set_name("qa");
  v1::Pipeline got_pipeline;
  out.emplace_back("GetPipeline", stubs.pipeline->GetPipeline(AuthContext(key, tenant).get(), pipeline, &got_pipeline));
  v1::RunRequest run;
  run.set_pipeline("qa");
  (*run.mutable_inputs()->mutable_fields())["question"].set_string_value("hi");
  v1::RunResponse ran;
  out.emplace_back("Run", stubs.pipeline->Run(AuthContext(key, tenant).get(), run, &ran));
  v1::GetRunRequest get_run;
  get_run.set_run_id(data.run_id);
  v1::RunTrace trace;
  out.emplace_back("GetRun", stubs.pipeline->GetRun(AuthContext(key, tenant).get(), get_run, &trace));
  v1::DeletePipelineRequest delete_pipeline;
  delete_pipeline.set_name("qa");
  v1::DeletePipelineResponse deleted_pipeline;
  out.emplace_back("DeletePipeline",
                   stubs.pipeline->DeletePipeline(AuthContext(key, tenant).get(), delete_pipeline, &deleted_pipeline));
  return out;
}

TEST_CASE("a key of one tenant can neither read nor change another tenant's data", "[integration]") {
  const TempDir dir("auth-isolation");
  const TestKeys keys = WriteTestKeys(dir.path() / "data");
  auto catenad = StartSecured(dir.path() / "data");
  Stubs stubs(catenad->grpc_address());
  const BetaData data = CreateBetaData(stubs, keys.beta);

  for (const auto& [call, status] : TouchBetaData(stubs, data, keys.alpha, "")) {
    INFO("alpha's key, " << call << ": " << status.error_message());
    CHECK(status.error_code() == StatusCode::NOT_FOUND);
  }
  for (const auto& [call, status] : TouchBetaData(stubs, data, keys.alpha, "beta")) {
    INFO("alpha's key naming tenant beta, " << call << ": " << status.error_message());
    CHECK(status.error_code() == StatusCode::PERMISSION_DENIED);
  }
  v1::ListCollectionsResponse alpha_collections;
  REQUIRE(stubs.retrieval->ListCollections(AuthContext(keys.alpha).get(), {}, &alpha_collections).ok());
  CHECK(alpha_collections.collections().empty());

  // Beta's data is unchanged: the collection with its document, the session with its one message, the pipeline.
  v1::DescribeCollectionRequest describe;
  describe.set_name("kb");
  v1::Collection collection;
  REQUIRE(stubs.retrieval->DescribeCollection(AuthContext(keys.beta).get(), describe, &collection).ok());
  CHECK(collection.document_count() == 1);
  v1::ListMessagesRequest messages;
  messages.set_session_id("s1");
  v1::ListMessagesResponse listed;
  REQUIRE(stubs.memory->ListMessages(AuthContext(keys.beta).get(), messages, &listed).ok());
  REQUIRE(listed.messages_size() == 1);
  CHECK(listed.messages(0).message().content() == "beta's message");
  v1::GetPipelineRequest pipeline;
  pipeline.set_name("qa");
  v1::Pipeline got;
  CHECK(stubs.pipeline->GetPipeline(AuthContext(keys.beta).get(), pipeline, &got).ok());
  v1::GetRunRequest get_run;
  get_run.set_run_id(data.run_id);
  v1::RunTrace trace;
  CHECK(stubs.pipeline->GetRun(AuthContext(keys.beta).get(), get_run, &trace).ok());
}

RunResult Keys(const std::filesystem::path& data_dir, std::vector<std::string> args) {
  args.insert(args.begin(), {BuiltProgram("catena"), "keys"});
  args.insert(args.end(), {"--data-dir", data_dir.string()});
  return RunToCompletion(args, std::chrono::seconds(30));
}

grpc::Status Ping(Stubs& stubs, const std::string& key) {
  v1::PingResponse pong;
  return stubs.server->Ping(AuthContext(key).get(), {}, &pong);
}

// Retries `ping` for up to 5 s until it has `code` (the key file is re-read when it changes).
bool EventuallyCode(const std::function<grpc::Status()>& ping, StatusCode code) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ping().error_code() == code) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST_CASE("keys created, revoked and rotated with catena keys take effect without a restart", "[integration]") {
  const TempDir dir("auth-cli");
  const auto data_dir = dir.path() / "data";
  auto catenad = StartSecured(data_dir);
  Stubs stubs(catenad->grpc_address());

  RunResult created = Keys(data_dir, {"create", "--tenant", "gamma", "--expires", "30d"});
  INFO(created.err);
  REQUIRE(created.exit_code == 0);
  const std::string secret = created.out.substr(0, created.out.find('\n'));
  CHECK(secret.rfind("ck_", 0) == 0);
  CHECK_THAT(created.err, Catch::Contains("shown only this once"));
  CHECK(EventuallyCode([&] { return Ping(stubs, secret); }, StatusCode::OK));

  RunResult listed = Keys(data_dir, {"list"});
  REQUIRE(listed.exit_code == 0);
  CHECK(listed.out.find(secret) == std::string::npos);
  const size_t at = listed.out.find("key_");
  REQUIRE(at != std::string::npos);
  const std::string id = listed.out.substr(at, listed.out.find(' ', at) - at);
  CHECK_THAT(listed.out, Catch::Contains("gamma") && Catch::Contains("active"));

  RunResult rotated = Keys(data_dir, {"rotate", id});
  REQUIRE(rotated.exit_code == 0);
  const std::string replacement = rotated.out.substr(0, rotated.out.find('\n'));
  CHECK(replacement != secret);
  CHECK(EventuallyCode([&] { return Ping(stubs, secret); }, StatusCode::UNAUTHENTICATED));
  CHECK(Ping(stubs, replacement).ok());

  const std::string replacement_id = rotated.err.substr(rotated.err.find("key_", rotated.err.find("created")), 20);
  REQUIRE(Keys(data_dir, {"revoke", replacement_id}).exit_code == 0);
  CHECK(EventuallyCode([&] { return Ping(stubs, replacement); }, StatusCode::UNAUTHENTICATED));

  RunResult unknown = Keys(data_dir, {"revoke", "key_0000000000000000"});
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.err, Catch::Contains("no key 'key_0000000000000000'"));
}

}  // namespace
}  // namespace catena::testing
