// Every RPC of every catena.v1 service (and grpc.health.v1) is reachable through the typed wrappers, and each
// wrapper calls the RPC it is named after: a generic in-process server records the method path of every call,
// and the recorded set must equal the set read from the generated service descriptors.
#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <mutex>
#include <set>

#include "tests/sdk/cpp/sdk_test_util.h"

namespace catena::testing {
namespace {

// Answers every call with ABORTED "recorded" after noting its method path.
class RecordingGenericService final : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* context) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      methods_.push_back(context->method());
    }
    class Reactor final : public grpc::ServerGenericBidiReactor {
     public:
      Reactor() { Finish(grpc::Status(grpc::StatusCode::ABORTED, "recorded")); }
      void OnDone() override { delete this; }
    };
    return new Reactor();
  }
  std::vector<std::string> methods() {
    std::lock_guard<std::mutex> lock(mutex_);
    return methods_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> methods_;
};

// "/package.Service/Method" of every RPC declared in the proto files the SDK is built from.
std::set<std::string> DeclaredMethods() {
  std::set<std::string> names;
  for (const char* file :
       {"catena/v1/server.proto", "catena/v1/inference.proto", "catena/v1/embedding.proto", "catena/v1/retrieval.proto",
        "catena/v1/memory.proto", "catena/v1/pipeline.proto", "grpc/health/v1/health.proto"}) {
    const google::protobuf::FileDescriptor* descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindFileByName(file);
    REQUIRE(descriptor != nullptr);
    for (int s = 0; s < descriptor->service_count(); ++s) {
      const google::protobuf::ServiceDescriptor* service = descriptor->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        names.insert("/" + service->full_name() + "/" + service->method(m)->name());
      }
    }
  }
  return names;
}

// Calls every wrapper once; each must come back with the server's ABORTED.
int CallEveryWrapper(const sdk::Client& c) {
  std::vector<absl::Status> statuses = {
      c.server().Health().status(),
      c.server().WatchHealth("").ReadAll().status(),
      c.server().GetServerInfo().status(),
      c.server().Ping({}).status(),
      c.inference().Generate({}).ReadAll().status(),
      c.inference().Chat({}).ReadAll().status(),
      c.inference().Tokenize({}).status(),
      c.inference().ListModels({}).status(),
      c.inference().LoadModel({}).status(),
      c.inference().UnloadModel({}).status(),
      c.embedding().Embed({}).status(),
      c.embedding().ListEmbedders({}).status(),
      c.retrieval().CreateCollection({}).status(),
      c.retrieval().ListCollections({}).status(),
      c.retrieval().DescribeCollection({}).status(),
      c.retrieval().DeleteCollection({}).status(),
      c.retrieval().Upsert({}).status(),
      c.retrieval().Delete({}).status(),
      c.retrieval().Get({}).status(),
      c.retrieval().Ingest({}).status(),
      c.retrieval().IngestStream({}).ReadAll().status(),
      c.retrieval().Search({}).status(),
      c.memory().CreateSession({}).status(),
      c.memory().GetSession({}).status(),
      c.memory().ListSessions({}).status(),
      c.memory().DeleteSession({}).status(),
      c.memory().AppendMessages({}).status(),
      c.memory().ListMessages({}).status(),
      c.memory().GetContext({}).status(),
      c.memory().PutFacts({}).status(),
      c.memory().GetFacts({}).status(),
      c.memory().PutCheckpoint({}).status(),
      c.memory().GetCheckpoint({}).status(),
      c.memory().ListCheckpoints({}).status(),
      c.memory().EraseUser({}).status(),
      c.pipelines().PutPipeline({}).status(),
      c.pipelines().ValidatePipeline({}).status(),
      c.pipelines().ListPipelines({}).status(),
      c.pipelines().GetPipeline({}).status(),
      c.pipelines().DeletePipeline({}).status(),
      c.pipelines().Run({}).status(),
      c.pipelines().RunStream({}).ReadAll().status(),
      c.pipelines().Resume({}).ReadAll().status(),
      c.pipelines().GetRun({}).status(),
  };
  for (const absl::Status& status : statuses) {
    INFO(status);
    CHECK(status.code() == absl::StatusCode::kAborted);
  }
  return static_cast<int>(statuses.size());
}

TEST_CASE("every declared RPC has a wrapper that calls exactly that RPC", "[integration]") {
  RecordingGenericService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterCallbackGenericService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  REQUIRE(port > 0);
  auto client = MakeClient("127.0.0.1:" + std::to_string(port));
  const int calls = CallEveryWrapper(*client);
  server->Shutdown();

  const std::vector<std::string> recorded = service.methods();
  CHECK(static_cast<int>(recorded.size()) == calls);
  const std::set<std::string> declared = DeclaredMethods();
  CHECK(declared.size() == 44);  // 42 catena.v1 RPCs + health Check and Watch
  CHECK(std::set<std::string>(recorded.begin(), recorded.end()) == declared);
  CHECK(recorded.size() == declared.size());  // no RPC called twice, so none stands in for another
}

}  // namespace
}  // namespace catena::testing
