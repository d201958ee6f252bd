// MemoryService over real gRPC: a grpc::Server on port 0 serving a MemoryStore; tenant isolation through the
// x-catena-tenant header, request validation and the proto mapping of every call.
#include "memory/memory_service.h"

#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>

#include "catena/v1/memory.grpc.pb.h"
#include "tests/memory/store_fixture.h"

namespace catena::memory::testing {
namespace {

class ServiceHarness {
 public:
  ServiceHarness() : service_(std::shared_ptr<MemoryStore>(OpenStore({}))) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    REQUIRE(server_ != nullptr);
    stub_ = v1::MemoryService::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  }
  ~ServiceHarness() { server_->Shutdown(); }

  // A context for `tenant` (empty = no header).
  static std::unique_ptr<grpc::ClientContext> As(const std::string& tenant) {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!tenant.empty()) context->AddMetadata("x-catena-tenant", tenant);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return context;
  }
  v1::MemoryService::Stub& stub() { return *stub_; }

 private:
  MemoryServiceImpl service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::MemoryService::Stub> stub_;
};

v1::AppendMessagesRequest AppendOf(const std::string& session, const std::string& text) {
  v1::AppendMessagesRequest request;
  request.set_session_id(session);
  v1::ChatMessage* message = request.add_messages();
  message->set_role(v1::ROLE_USER);
  message->set_content(text);
  return request;
}

TEST_CASE("one tenant can neither read nor list nor change another tenant's memory over gRPC", "[integration]") {
  ServiceHarness harness;
  v1::CreateSessionRequest create;
  create.set_id("shared-id");
  create.set_user_id("alice");
  v1::Session session;
  REQUIRE(harness.stub().CreateSession(harness.As("bank-a").get(), create, &session).ok());
  v1::AppendMessagesResponse appended;
  REQUIRE(
      harness.stub().AppendMessages(harness.As("bank-a").get(), AppendOf("shared-id", "a's secret"), &appended).ok());
  v1::PutFactsRequest facts;
  facts.set_user_id("alice");
  (*facts.mutable_facts())["segment"] = "private";
  v1::PutFactsResponse put_facts;
  REQUIRE(harness.stub().PutFacts(harness.As("bank-a").get(), facts, &put_facts).ok());

  v1::GetSessionRequest get;
  get.set_id("shared-id");
  CHECK(harness.stub().GetSession(harness.As("bank-b").get(), get, &session).error_code() == grpc::NOT_FOUND);
  v1::ListSessionsResponse listed;
  REQUIRE(harness.stub().ListSessions(harness.As("bank-b").get(), {}, &listed).ok());
  CHECK(listed.sessions_size() == 0);
  v1::ListMessagesRequest list_messages;
  list_messages.set_session_id("shared-id");
  v1::ListMessagesResponse messages;
  CHECK(harness.stub().ListMessages(harness.As("bank-b").get(), list_messages, &messages).error_code() ==
        grpc::NOT_FOUND);
  CHECK(harness.stub().AppendMessages(harness.As("bank-b").get(), AppendOf("shared-id", "b"), &appended).error_code() ==
        grpc::NOT_FOUND);
  v1::GetFactsRequest get_facts;
  get_facts.set_user_id("alice");
  v1::GetFactsResponse got_facts;
  REQUIRE(harness.stub().GetFacts(harness.As("bank-b").get(), get_facts, &got_facts).ok());
  CHECK(got_facts.facts().empty());
  v1::EraseUserRequest erase;
  erase.set_user_id("alice");
  v1::EraseUserResponse erased;
  REQUIRE(harness.stub().EraseUser(harness.As("bank-b").get(), erase, &erased).ok());
  CHECK(erased.sessions_erased() == 0);
  CHECK(erased.facts_erased() == 0);

  // bank-a still sees everything, and the default tenant (no header) sees nothing.
  REQUIRE(harness.stub().ListMessages(harness.As("bank-a").get(), list_messages, &messages).ok());
  REQUIRE(messages.messages_size() == 1);
  CHECK(messages.messages(0).message().content() == "a's secret");
  REQUIRE(harness.stub().ListSessions(harness.As("").get(), {}, &listed).ok());
  CHECK(listed.sessions_size() == 0);
  REQUIRE(harness.stub().ListSessions(harness.As("bank-a").get(), {}, &listed).ok());
  CHECK(listed.sessions_size() == 1);
  CHECK(harness.stub().ListSessions(harness.As("bad tenant!").get(), {}, &listed).error_code() ==
        grpc::INVALID_ARGUMENT);
}

TEST_CASE("invalid memory requests fail with INVALID_ARGUMENT naming the field", "[integration]") {
  ServiceHarness harness;
  v1::Session session;
  v1::CreateSessionRequest create;
  create.set_id("s");
  grpc::Status status = harness.stub().CreateSession(harness.As("t").get(), create, &session);
  CHECK(status.error_code() == grpc::INVALID_ARGUMENT);
  CHECK_THAT(status.error_message(), Catch::StartsWith("user_id"));
  create.set_user_id("u");
  REQUIRE(harness.stub().CreateSession(harness.As("t").get(), create, &session).ok());

  v1::AppendMessagesResponse appended;
  v1::AppendMessagesRequest no_role = AppendOf("s", "x");
  no_role.mutable_messages(0)->set_role(v1::ROLE_UNSPECIFIED);
  status = harness.stub().AppendMessages(harness.As("t").get(), no_role, &appended);
  CHECK(status.error_code() == grpc::INVALID_ARGUMENT);
  CHECK_THAT(status.error_message(), Catch::StartsWith("messages[0].role"));

  v1::ListSessionsRequest big_page;
  big_page.mutable_page()->set_page_size(5000);
  v1::ListSessionsResponse listed;
  status = harness.stub().ListSessions(harness.As("t").get(), big_page, &listed);
  CHECK(status.error_code() == grpc::INVALID_ARGUMENT);
  CHECK_THAT(status.error_message(), Catch::StartsWith("page.page_size"));

  v1::GetContextRequest context;
  context.set_session_id("s");
  context.set_strategy(v1::CONTEXT_STRATEGY_WINDOW);
  v1::GetContextResponse got;
  status = harness.stub().GetContext(harness.As("t").get(), context, &got);
  CHECK_THAT(status.error_message(), Catch::StartsWith("last_n"));

  v1::PutCheckpointRequest checkpoint;
  checkpoint.mutable_checkpoint()->set_run_id("r");
  v1::Checkpoint stored;
  status = harness.stub().PutCheckpoint(harness.As("t").get(), checkpoint, &stored);
  CHECK(status.error_code() == grpc::INVALID_ARGUMENT);
  CHECK_THAT(status.error_message(), Catch::StartsWith("checkpoint.user_id"));
}

TEST_CASE("append, context and checkpoints round-trip through the proto mapping", "[integration]") {
  ServiceHarness harness;
  v1::CreateSessionRequest create;
  create.set_user_id("u");
  (*create.mutable_metadata()->mutable_fields())["channel"].set_string_value("app");
  v1::Session session;
  REQUIRE(harness.stub().CreateSession(harness.As("t").get(), create, &session).ok());
  CHECK(!session.id().empty());
  CHECK(session.metadata().fields().at("channel").string_value() == "app");

  v1::AppendMessagesRequest append = AppendOf(session.id(), "first");
  append.set_idempotency_key("k1");
  v1::AppendMessagesResponse appended;
  REQUIRE(harness.stub().AppendMessages(harness.As("t").get(), append, &appended).ok());
  REQUIRE(harness.stub().AppendMessages(harness.As("t").get(), append, &appended).ok());
  CHECK(appended.seqs_size() == 1);
  CHECK(appended.seqs(0) == 1);
  REQUIRE(harness.stub().AppendMessages(harness.As("t").get(), AppendOf(session.id(), "second"), &appended).ok());
  CHECK(appended.seqs(0) == 2);

  v1::GetContextRequest context;
  context.set_session_id(session.id());
  context.set_last_n(1);
  v1::GetContextResponse got;
  REQUIRE(harness.stub().GetContext(harness.As("t").get(), context, &got).ok());
  REQUIRE(got.messages_size() == 1);
  CHECK(got.messages(0).content() == "second");
  CHECK(got.token_count() == 6);

  v1::PutCheckpointRequest put;
  put.mutable_checkpoint()->set_run_id("run");
  put.mutable_checkpoint()->set_user_id("u");
  put.mutable_checkpoint()->set_parent_step(-1);
  put.mutable_checkpoint()->set_state(std::string("\0binary\xff", 8));
  v1::Checkpoint stored;
  REQUIRE(harness.stub().PutCheckpoint(harness.As("t").get(), put, &stored).ok());
  CHECK(stored.created_at_unix_ms() > 0);
  v1::GetCheckpointRequest get;
  get.set_run_id("run");
  get.set_step(-1);
  REQUIRE(harness.stub().GetCheckpoint(harness.As("t").get(), get, &stored).ok());
  CHECK(stored.state() == std::string("\0binary\xff", 8));
  CHECK(stored.user_id() == "u");
}

}  // namespace
}  // namespace catena::memory::testing
