#include "inference/embedding_service.h"

#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "catena/v1/embedding.grpc.pb.h"
#include "inference/hashing_embedder.h"
#include "inference/word_vector_embedder.h"
#include "tests/inference/tiny_word_vectors.h"

namespace catena::inference {
namespace {

// A registry with hashing-384 (the default) and a word-vector embedder over the tiny table, served by a
// real gRPC server on an ephemeral port.
class ServiceFixture {
 public:
  ServiceFixture() {
    auto hashing = HashingEmbedder::Create();
    REQUIRE(hashing.ok());
    hashing_ = std::move(hashing).value();
    testing::WriteFile(dir_.path() / "tiny.json", testing::kTinyWinkJson);
    REQUIRE(ConvertWinkEmbeddings(dir_.path() / "tiny.json", dir_.path() / "tiny.cwv").ok());
    auto table = WordVectorTable::Load(dir_.path() / "tiny.cwv");
    REQUIRE(table.ok());
    auto words = WordVectorEmbedder::Create(*table, {.name = "tiny-vectors"});
    REQUIRE(words.ok());
    words_ = std::move(words).value();
    auto registry = std::make_shared<EmbedderRegistry>();
    REQUIRE(registry->Register(hashing_).ok());
    REQUIRE(registry->Register(words_).ok());
    service_ = NewEmbeddingService(registry);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    REQUIRE(server_ != nullptr);
    REQUIRE(port > 0);
    stub_ = v1::EmbeddingService::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  }
  ~ServiceFixture() { server_->Shutdown(); }

  grpc::Status Embed(const v1::EmbedRequest& request, v1::EmbedResponse& response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return stub_->Embed(&context, request, &response);
  }

  testing::TempDir dir_;
  std::shared_ptr<const Embedder> hashing_;
  std::shared_ptr<const Embedder> words_;
  std::unique_ptr<grpc::Service> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::EmbeddingService::Stub> stub_;
};

v1::EmbedRequest Request(std::string model, std::vector<std::string> inputs) {
  v1::EmbedRequest request;
  request.set_model(std::move(model));
  for (std::string& input : inputs) request.add_inputs(std::move(input));
  return request;
}

void CheckSameAsDirect(const Embedder& embedder, const std::vector<std::string>& inputs,
                       const v1::EmbedResponse& response) {
  auto direct = embedder.Embed(inputs, EmbedInputKind::kDocument);
  REQUIRE(direct.ok());
  CHECK(response.model() == embedder.info().name);
  CHECK(response.dimension() == embedder.info().dimension);
  REQUIRE(static_cast<size_t>(response.embeddings_size()) == inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto& values = response.embeddings(static_cast<int>(i)).values();
    CHECK(std::vector<float>(values.begin(), values.end()) ==
          std::vector<float>(direct->Row(i).begin(), direct->Row(i).end()));
  }
}

TEST_CASE("embed over grpc returns the embedder's vectors and counts words", "[integration]") {
  ServiceFixture fixture;
  const std::vector<std::string> inputs = {"The cat sat.", "dog and école", ""};
  v1::EmbedResponse response;
  grpc::Status status = fixture.Embed(Request("", inputs), response);
  REQUIRE(status.ok());
  CheckSameAsDirect(*fixture.hashing_, inputs, response);  // empty model = default = first registered
  CHECK(response.usage().prompt_tokens() == 6);
  CHECK(response.usage().total_tokens() == 6);

  v1::EmbedRequest request = Request("tiny-vectors", inputs);
  request.set_normalize(true);
  request.set_input_kind(v1::EmbedRequest::INPUT_KIND_QUERY);
  response.Clear();
  status = fixture.Embed(request, response);
  REQUIRE(status.ok());
  CheckSameAsDirect(*fixture.words_, inputs, response);
}

TEST_CASE("list embedders over grpc lists every registered embedder", "[integration]") {
  ServiceFixture fixture;
  grpc::ClientContext context;
  v1::ListEmbeddersResponse response;
  REQUIRE(fixture.stub_->ListEmbedders(&context, v1::ListEmbeddersRequest(), &response).ok());
  REQUIRE(response.embedders_size() == 2);
  CHECK(response.embedders(0).name() == "hashing-384");
  CHECK(response.embedders(0).dimension() == 384);
  CHECK(response.embedders(0).kind() == "hashing");
  CHECK(response.embedders(1).name() == "tiny-vectors");
  CHECK(response.embedders(1).dimension() == 3);
  CHECK(response.embedders(1).kind() == "word-vectors");
}

TEST_CASE("bad embed requests are invalid arguments naming the field", "[integration]") {
  ServiceFixture fixture;
  v1::EmbedResponse response;
  grpc::Status status = fixture.Embed(Request("", {}), response);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(status.error_message(), Catch::Contains("inputs"));

  std::vector<std::string> inputs = {"a", "b", "c", std::string(kMaxEmbedInputBytes + 1, 'x')};
  status = fixture.Embed(Request("", inputs), response);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(status.error_message(), Catch::StartsWith("inputs[3]"));

  status = fixture.Embed(Request("", std::vector<std::string>(kMaxEmbedInputs + 1, "x")), response);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(status.error_message(), Catch::Contains("at most 2048"));

  v1::EmbedRequest bad_kind = Request("", {"x"});
  bad_kind.set_input_kind(static_cast<v1::EmbedRequest::InputKind>(7));
  status = fixture.Embed(bad_kind, response);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(status.error_message(), Catch::Contains("input_kind"));

  grpc::ClientContext bad_tenant;
  bad_tenant.AddMetadata("x-catena-tenant", "no spaces allowed");
  status = fixture.stub_->Embed(&bad_tenant, Request("", {"x"}), &response);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(status.error_message(), Catch::Contains("tenant"));
}

TEST_CASE("unknown embedder model is not found over grpc", "[integration]") {
  ServiceFixture fixture;
  v1::EmbedResponse response;
  const grpc::Status status = fixture.Embed(Request("bert-large", {"hello"}), response);
  CHECK(status.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK_THAT(status.error_message(), Catch::Contains("hashing-384, tiny-vectors"));
}

}  // namespace
}  // namespace catena::inference
