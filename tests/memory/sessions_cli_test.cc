// `catena sessions list|show|erase` against a live catenad: output, tenant scoping and exit codes.
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>

#include "catena/v1/memory.grpc.pb.h"
#include "tests/server/catenad_fixture.h"

namespace catena::testing {
namespace {

RunResult Catena(const CatenadProcess& catenad, std::vector<std::string> args) {
  args.insert(args.begin(), {BuiltProgram("catena"), "--address", catenad.grpc_address(), "--tenant", "bank"});
  return RunToCompletion(args, std::chrono::seconds(30));
}

void Seed(const CatenadProcess& catenad) {
  auto stub =
      v1::MemoryService::NewStub(grpc::CreateChannel(catenad.grpc_address(), grpc::InsecureChannelCredentials()));
  auto context = [] {
    auto c = std::make_unique<grpc::ClientContext>();
    c->AddMetadata("x-catena-tenant", "bank");
    return c;
  };
  for (const auto& [id, user] :
       std::vector<std::pair<std::string, std::string>>{{"s-alice", "alice"}, {"s-bob", "bob"}}) {
    v1::CreateSessionRequest create;
    create.set_id(id);
    create.set_user_id(user);
    v1::Session session;
    REQUIRE(stub->CreateSession(context().get(), create, &session).ok());
    v1::AppendMessagesRequest append;
    append.set_session_id(id);
    for (int i = 1; i <= 3; ++i) {
      v1::ChatMessage* message = append.add_messages();
      message->set_role(i % 2 == 1 ? v1::ROLE_USER : v1::ROLE_ASSISTANT);
      message->set_content(user + " says " + std::to_string(i));
    }
    v1::AppendMessagesResponse appended;
    REQUIRE(stub->AppendMessages(context().get(), append, &appended).ok());
  }
}

TEST_CASE("catena sessions list, show and erase work on the tenant's memory", "[integration]") {
  CatenadProcess catenad({"--service", "memory"});
  Seed(catenad);

  RunResult all = Catena(catenad, {"sessions", "list"});
  CHECK(all.exit_code == 0);
  CHECK_THAT(all.out, Catch::Contains("s-alice\tuser=alice\tmessages=3\t"));
  CHECK_THAT(all.out, Catch::Contains("s-bob\tuser=bob\tmessages=3\t"));
  RunResult bob = Catena(catenad, {"sessions", "list", "--user", "bob"});
  CHECK_THAT(bob.out, !Catch::Contains("s-alice"));
  RunResult other_tenant = RunToCompletion(
      {BuiltProgram("catena"), "--address", catenad.grpc_address(), "--tenant", "other", "sessions", "list"},
      std::chrono::seconds(30));
  CHECK(other_tenant.exit_code == 0);
  CHECK(other_tenant.out.empty());

  RunResult show = Catena(catenad, {"sessions", "show", "s-alice", "--last", "2"});
  CHECK(show.exit_code == 0);
  CHECK(show.out == "session s-alice user=alice messages=3\n#2 assistant: alice says 2\n#3 user: alice says 3\n");

  RunResult erase = Catena(catenad, {"sessions", "erase", "--user", "alice"});
  CHECK(erase.exit_code == 0);
  CHECK(erase.out == "erased user alice: sessions=1 messages=3 summaries=0 facts=0 checkpoints=0\n");
  CHECK_THAT(Catena(catenad, {"sessions", "list"}).out, !Catch::Contains("s-alice"));

  RunResult missing = Catena(catenad, {"sessions", "show", "s-alice"});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Catch::Contains("NOT_FOUND"));
  CHECK(Catena(catenad, {"sessions", "erase"}).exit_code == 2);
}

}  // namespace
}  // namespace catena::testing
