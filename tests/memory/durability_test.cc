// Durability of acknowledged appends: a real catenad child process takes appends over gRPC, is killed with
// SIGKILL mid-stream, and a restarted catenad on the same data directory has every acknowledged message in order.
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <regex>

#include "catena/v1/memory.grpc.pb.h"
#include "tests/server/catenad_fixture.h"
#include "tests/support/subprocess.h"

namespace catena::testing {
namespace {

// Starts catenad (memory service only) on `data_dir`; returns the process and its gRPC address.
std::pair<std::unique_ptr<Subprocess>, std::string> StartCatenad(const std::filesystem::path& data_dir,
                                                                 std::vector<std::string> env) {
  auto process = std::make_unique<Subprocess>(
      std::vector<std::string>{BuiltProgram("catenad"), "--grpc-port", "0", "--http-port", "0", "--data-dir",
                               data_dir.string(), "--log-level", "warn", "--service", "memory"},
      env);
  std::optional<std::string> line = process->ReadStdoutLine(std::chrono::seconds(30));
  INFO("catenad stderr: " << process->Stderr());
  REQUIRE(line.has_value());
  std::smatch match;
  REQUIRE(std::regex_search(*line, match, std::regex(R"(ready: grpc=(\S+) )")));
  return {std::move(process), match[1].str()};
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("x-catena-tenant", "bank");
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return context;
}

void CheckAcknowledgedSurviveKill(const std::vector<std::string>& env) {
  const std::filesystem::path data_dir = MakeTempDir("memory-kill9");
  std::vector<std::string> acknowledged;
  {
    auto [process, address] = StartCatenad(data_dir, env);
    auto stub = v1::MemoryService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    v1::CreateSessionRequest create;
    create.set_id("chat");
    create.set_user_id("alice");
    v1::Session session;
    REQUIRE(stub->CreateSession(Context().get(), create, &session).ok());
    for (int i = 0; i < 300; ++i) {
      v1::AppendMessagesRequest append;
      append.set_session_id("chat");
      v1::ChatMessage* message = append.add_messages();
      message->set_role(i % 2 == 0 ? v1::ROLE_USER : v1::ROLE_ASSISTANT);
      message->set_content("message " + std::to_string(i));
      v1::AppendMessagesResponse response;
      if (!stub->AppendMessages(Context().get(), append, &response).ok()) break;
      REQUIRE(response.seqs(0) == i + 1);
      acknowledged.push_back(message->content());
    }
    process->Signal(SIGKILL);
    CHECK(process->Wait(std::chrono::seconds(10)) == 128 + SIGKILL);
  }
  REQUIRE(acknowledged.size() == 300);
  auto [process, address] = StartCatenad(data_dir, env);
  auto stub = v1::MemoryService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  v1::ListMessagesRequest list;
  list.set_session_id("chat");
  list.mutable_page()->set_page_size(1000);
  v1::ListMessagesResponse listed;
  grpc::Status status = stub->ListMessages(Context().get(), list, &listed);
  REQUIRE(status.ok());
  REQUIRE(listed.messages_size() == static_cast<int>(acknowledged.size()));
  for (int i = 0; i < listed.messages_size(); ++i) {
    CHECK(listed.messages(i).seq() == i + 1);
    CHECK(listed.messages(i).message().content() == acknowledged[i]);
  }
  process->Signal(SIGTERM);
  process->Wait(std::chrono::seconds(20));
  std::filesystem::remove_all(data_dir);
}

TEST_CASE("acknowledged appends survive kill -9 of catenad with the WAL and no fsync", "[integration][slow]") {
  CheckAcknowledgedSurviveKill({});
}

TEST_CASE("acknowledged appends survive kill -9 of catenad with fsync per write", "[integration][slow]") {
  CheckAcknowledgedSurviveKill({"CATENA_MEMORY_SYNC_WRITES=true"});
}

}  // namespace
}  // namespace catena::testing
