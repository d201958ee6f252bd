// RetrievalService through a real catenad: kill -9 durability, tenant isolation, request validation, and the
// `catena collections|ingest|search` CLI.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "catena/v1/retrieval.grpc.pb.h"
#include "tests/server/catenad_fixture.h"

namespace catena::testing {
namespace {

using std::chrono::seconds;

class RetrievalClient {
 public:
  explicit RetrievalClient(const std::string& address, std::string tenant = "")
      : stub_(v1::RetrievalService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))),
        tenant_(std::move(tenant)) {}

  std::unique_ptr<grpc::ClientContext> Context() const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + seconds(30));
    if (!tenant_.empty()) context->AddMetadata("x-catena-tenant", tenant_);
    return context;
  }

  grpc::Status Create(const std::string& name, int dimension, const std::string& index = "Flat",
                      const std::string& embedder = "") {
    v1::CreateCollectionRequest request;
    request.set_name(name);
    request.mutable_spec()->set_dimension(dimension);
    request.mutable_spec()->set_index(index);
    request.mutable_spec()->set_embedder(embedder);
    v1::Collection response;
    return stub_->CreateCollection(Context().get(), request, &response);
  }

  v1::RetrievalService::Stub& stub() { return *stub_; }

 private:
  std::unique_ptr<v1::RetrievalService::Stub> stub_;
  std::string tenant_;
};

std::vector<float> VectorFor(int i, int dimension) {
  std::vector<float> vector(dimension);
  for (int d = 0; d < dimension; ++d)
    vector[d] = static_cast<float>(std::sin(i * 0.7 + d * 1.3) + (d == i % dimension));
  return vector;
}

TEST_CASE("acknowledged upserts survive kill -9 and the vector index is replayed", "[integration]") {
  constexpr int kDimension = 8;
  constexpr int kDocuments = 300;
  const std::filesystem::path data_dir = MakeTempDir("retrieval-kill9");
  {
    CatenadProcess catenad({"--service", "retrieval"}, {}, data_dir);
    RetrievalClient client(catenad.grpc_address());
    REQUIRE(client.Create("kb", kDimension).ok());
    for (int batch = 0; batch < kDocuments / 50; ++batch) {
      v1::UpsertRequest request;
      request.set_collection("kb");
      for (int i = batch * 50; i < (batch + 1) * 50; ++i) {
        v1::Document* document = request.add_documents();
        document->set_id("doc-" + std::to_string(i));
        document->set_text("text of document " + std::to_string(i));
        for (float value : VectorFor(i, kDimension)) document->add_embedding(value);
      }
      v1::UpsertResponse response;
      REQUIRE(client.stub().Upsert(client.Context().get(), request, &response).ok());
    }
    catenad.process().Signal(SIGKILL);
    REQUIRE(catenad.process().Wait(seconds(10)) == 128 + SIGKILL);
  }
  CatenadProcess restarted({"--service", "retrieval"}, {}, data_dir);
  RetrievalClient client(restarted.grpc_address());
  v1::GetRequest get;
  get.set_collection("kb");
  for (int i = 0; i < kDocuments; ++i) get.add_ids("doc-" + std::to_string(i));
  v1::GetResponse documents;
  REQUIRE(client.stub().Get(client.Context().get(), get, &documents).ok());
  CHECK(documents.documents_size() == kDocuments);
  for (int i : {0, 137, kDocuments - 1}) {
    v1::SearchRequest search;
    search.set_collection("kb");
    search.set_k(1);
    for (float value : VectorFor(i, kDimension)) search.add_vector(value);
    v1::SearchResponse hits;
    REQUIRE(client.stub().Search(client.Context().get(), search, &hits).ok());
    REQUIRE(hits.hits_size() == 1);
    CHECK(hits.hits(0).document().id() == "doc-" + std::to_string(i));
  }
}

TEST_CASE("tenants never see each other's collections over gRPC", "[integration]") {
  CatenadProcess catenad({"--service", "retrieval"});
  RetrievalClient bank(catenad.grpc_address(), "bank");
  RetrievalClient shop(catenad.grpc_address(), "shop");
  REQUIRE(bank.Create("kb", 4).ok());

  v1::ListCollectionsRequest list;
  v1::ListCollectionsResponse listed;
  REQUIRE(shop.stub().ListCollections(shop.Context().get(), list, &listed).ok());
  CHECK(listed.collections_size() == 0);
  v1::DescribeCollectionRequest describe;
  describe.set_name("kb");
  v1::Collection described;
  CHECK(shop.stub().DescribeCollection(shop.Context().get(), describe, &described).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  // The same name is free in another tenant, with its own spec.
  REQUIRE(shop.Create("kb", 6).ok());
  REQUIRE(bank.stub().DescribeCollection(bank.Context().get(), describe, &described).ok());
  CHECK(described.spec().dimension() == 4);
  CHECK(described.index_trained());  // Flat needs no training
  REQUIRE(bank.Create("ivf", 4, "IVF16,Flat").ok());
  describe.set_name("ivf");
  REQUIRE(bank.stub().DescribeCollection(bank.Context().get(), describe, &described).ok());
  CHECK_FALSE(described.index_trained());  // trains once enough vectors exist
  REQUIRE(bank.stub().ListCollections(bank.Context().get(), list, &listed).ok());
  CHECK(listed.collections_size() == 2);
}

TEST_CASE("bad index specs and bad filters are INVALID_ARGUMENT naming the problem", "[integration]") {
  CatenadProcess catenad({"--service", "retrieval"});
  RetrievalClient client(catenad.grpc_address());
  grpc::Status bad_index = client.Create("pq", 384, "IVF1024,PQ33");
  CHECK(bad_index.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(bad_index.error_message(), Catch::Contains("spec.index") && Catch::Contains("PQ33"));
  CHECK(client.Create("Bad Name!", 4).error_code() == grpc::StatusCode::INVALID_ARGUMENT);

  REQUIRE(client.Create("kb", 4).ok());
  v1::SearchRequest search;
  search.set_collection("kb");
  search.add_vector(1), search.add_vector(0), search.add_vector(0), search.add_vector(0);
  search.set_filter("year >= ");
  v1::SearchResponse hits;
  grpc::Status bad_filter = client.stub().Search(client.Context().get(), search, &hits);
  CHECK(bad_filter.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(bad_filter.error_message(), Catch::Contains("filter:1:"));
  search.set_filter("");
  search.set_k(5000);
  CHECK(client.stub().Search(client.Context().get(), search, &hits).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
}

RunResult Catena(std::vector<std::string> args) {
  args.insert(args.begin(), BuiltProgram("catena"));
  return RunToCompletion(args, seconds(60));
}

TEST_CASE("catena ingest and search work end to end, and re-ingesting is a no-op", "[integration]") {
  CatenadProcess catenad({"--service", "all"});
  const std::filesystem::path docs = MakeTempDir("ingest-docs");
  std::ofstream(docs / "cards.md") << "# Cards\n\nOur premium credit card has no annual fee in the first year.\n";
  std::ofstream(docs / "loans.txt") << "Personal loans are available from 5.9% APR for terms up to seven years.\n";
  std::ofstream(docs / "faq.csv") << "question,text,lang\nq1,\"You can block a lost card in the app, 24/7.\",en\n";
  std::ofstream(docs / "broken.pdf") << "%PDF-1.7 this is not really a pdf";
  const std::string address = catenad.grpc_address();

  RunResult create =
      Catena({"--address", address, "collections", "create", "kb", "--dimension", "384", "--embedder", "hashing-384"});
  REQUIRE(create.exit_code == 0);
  RunResult ingest =
      Catena({"--address", address, "ingest", "kb", docs.string(), "--chunk-size", "200", "--chunk-overlap", "20"});
  CHECK(ingest.exit_code == 1);  // the broken PDF fails; the rest ingests
  CHECK_THAT(ingest.out, Catch::Contains("ingested 3 documents into 3 chunks; 0 unchanged; 1 failed"));
  CHECK_THAT(ingest.out, Catch::Contains("broken.pdf"));

  RunResult search = Catena({"--address", address, "search", "kb", "annual fee credit card", "--mode", "hybrid"});
  REQUIRE(search.exit_code == 0);
  CHECK_THAT(search.out, Catch::StartsWith("1. ") && Catch::Contains("cards.md#0"));
  CHECK_THAT(search.out, Catch::Contains("<em>fee</em>"));

  std::filesystem::remove(docs / "broken.pdf");
  RunResult again =
      Catena({"--address", address, "ingest", "kb", docs.string(), "--chunk-size", "200", "--chunk-overlap", "20"});
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.out, Catch::Contains("ingested 0 documents into 0 chunks; 3 unchanged; 0 failed"));
  RunResult described = Catena({"--address", address, "collections", "describe", "kb"});
  CHECK_THAT(described.out, Catch::Contains("documents=3"));
}

}  // namespace
}  // namespace catena::testing
