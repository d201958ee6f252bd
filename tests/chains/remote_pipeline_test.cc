// End to end: a catenad whose models.remote and embedding.remote point at its OWN OpenAI-compatible gateway
// (upstream: the deterministic test models and the hashing embedder). llm.chat and embed nodes using the remote
// names must give what the local models give directly, through Run, RunStream and EmbeddingService.
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "catena/v1/embedding.grpc.pb.h"
#include "tests/chains/pipeline_service_fixture.h"

namespace catena::testing {
namespace {

// A TCP port that was free a moment ago (the server binds it right after).
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  socklen_t size = sizeof(address);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string LoopbackConfig(int port) {
  const std::string base = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  return "models:\n  remote:\n"
         "    - {name: loopback, base_url: \"" + base + "\", model: test, api_key: \"literal:sk-loop\", timeout: 20s}\n"
         "    - {name: loopback-once, base_url: \"" + base + "\", model: test-echo, stream: false}\n"
         "embedding:\n  remote:\n"
         "    - {name: remote-hash, base_url: \"" + base + "\", model: hashing-384, dimension: 384, batch_size: 2}\n";
}

constexpr char kComparePipeline[] = R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: compare}
inputs:
  question: {type: string, required: true}
  sentences: {type: list, required: true}
nodes:
  remote:
    type: llm.chat
    with: {model: loopback, prompt: "{{ inputs.question }}"}
  remote_once:
    type: llm.chat
    with: {model: loopback-once, prompt: "{{ inputs.question }}"}
  local:
    type: llm.chat
    with: {model: test, prompt: "{{ inputs.question }}"}
  remote_vectors:
    type: embed
    with: {embedder: remote-hash, texts: "{{ inputs.sentences }}"}
  local_vectors:
    type: embed
    with: {embedder: hashing-384, texts: "{{ inputs.sentences }}"}
outputs:
  remote: "{{ nodes.remote.text }}"
  remote_once: "{{ nodes.remote_once.text }}"
  local: "{{ nodes.local.text }}"
  remote_vectors: "{{ nodes.remote_vectors.vectors }}"
  local_vectors: "{{ nodes.local_vectors.vectors }}"
  remote_dimension: "{{ nodes.remote_vectors.dimension }}"
)";

constexpr char kInputs[] =
    R"({"question": "what is my balance", "sentences": ["card blocked", "open an account", "iban", "loan rates"]})";

class LoopbackServer {
 public:
  LoopbackServer() : port_(FreePort()), dir_("remote-loopback") {
    const std::string config = dir_.Write("catena.yaml", LoopbackConfig(port_)).string();
    server_ = std::make_unique<PipelineServer>(std::vector<std::string>{
        "--service", "embedding", "--config", config, "--set", "server.http_port=" + std::to_string(port_), "--set",
        "server.worker_threads=4"});
  }
  PipelineServer& server() { return *server_; }
  int port() const { return port_; }

 private:
  int port_;
  TempDir dir_;
  std::unique_ptr<PipelineServer> server_;
};

void CheckSameVectors(const google::protobuf::Value& remote, const google::protobuf::Value& local) {
  REQUIRE(remote.list_value().values_size() == local.list_value().values_size());
  for (int i = 0; i < remote.list_value().values_size(); ++i) {
    const auto& r = remote.list_value().values(i).list_value();
    const auto& l = local.list_value().values(i).list_value();
    REQUIRE(r.values_size() == 384);
    REQUIRE(l.values_size() == 384);
    for (int j = 0; j < 384; ++j) CHECK(r.values(j).number_value() == Approx(l.values(j).number_value()).margin(1e-6));
  }
}

TEST_CASE("remote models pointing at catenad's own gateway answer like the local models", "[integration]") {
  LoopbackServer loopback;
  PipelineServer& server = loopback.server();
  REQUIRE(server.Put("default", kComparePipeline).ok());
  auto run = server.Run("default", "compare", kInputs);
  INFO("catenad stderr: " << server.catenad().process().Stderr());
  REQUIRE(run.ok());
  const auto& outputs = run->outputs().fields();
  CHECK(outputs.at("local").string_value() == "echo: what is my balance");
  CHECK(outputs.at("remote").string_value() == outputs.at("local").string_value());
  CHECK(outputs.at("remote_once").string_value() == outputs.at("local").string_value());
  CHECK(outputs.at("remote_dimension").number_value() == 384);
  CheckSameVectors(outputs.at("remote_vectors"), outputs.at("local_vectors"));

  auto models = HttpRequestTo(server.catenad().http_address(), "GET", "/v1/models");
  CHECK(models.status == 200);
  CHECK_THAT(models.body, Catch::Contains("\"loopback\"") && Catch::Contains("\"remote-hash\""));
}

TEST_CASE("a remote llm.chat node streams its tokens through RunStream", "[integration]") {
  LoopbackServer loopback;
  PipelineServer& server = loopback.server();
  REQUIRE(server.Put("default", kComparePipeline).ok());
  v1::RunRequest request;
  request.set_pipeline("compare");
  SetInputs(request, kInputs);
  auto context = server.Context("default");
  auto reader = server.stub().RunStream(context.get(), request);
  std::vector<v1::RunEvent> events;
  for (v1::RunEvent event; reader->Read(&event);) events.push_back(event);
  REQUIRE(reader->Finish().ok());
  std::string streamed;
  int remote_tokens = 0;
  for (const v1::RunEvent& event : events) {
    if (event.has_token() && event.token().node() == "remote") {
      streamed += event.token().text_delta();
      ++remote_tokens;
    }
  }
  CHECK(remote_tokens > 1);  // streamed in pieces, not one block
  CHECK(streamed == "echo: what is my balance");
  CHECK(IsSubsequence(EventNames(events), {"node_started:remote", "token:remote", "node_finished:remote", "final"}));
  REQUIRE(events.back().has_final());
  CHECK(events.back().final().outputs().fields().at("remote").string_value() == streamed);
}

TEST_CASE("EmbeddingService serves the remote embedder with the vectors of the local one", "[integration]") {
  LoopbackServer loopback;
  auto channel = grpc::CreateChannel(loopback.server().catenad().grpc_address(), grpc::InsecureChannelCredentials());
  auto stub = v1::EmbeddingService::NewStub(channel);
  auto embed = [&](const std::string& model) {
    v1::EmbedRequest request;
    request.set_model(model);
    for (const char* text : {"alpha", "beta gamma", "delta"}) request.add_inputs(text);
    request.set_normalize(true);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::EmbedResponse response;
    grpc::Status status = stub->Embed(&context, request, &response);
    INFO(status.error_message());
    REQUIRE(status.ok());
    return response;
  };
  v1::EmbedResponse remote = embed("remote-hash");
  v1::EmbedResponse local = embed("hashing-384");
  CHECK(remote.model() == "remote-hash");
  CHECK(remote.dimension() == 384);
  REQUIRE(remote.embeddings_size() == 3);
  REQUIRE(local.embeddings_size() == 3);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(remote.embeddings(i).values_size() == local.embeddings(i).values_size());
    for (int j = 0; j < remote.embeddings(i).values_size(); ++j) {
      CHECK(remote.embeddings(i).values(j) == Approx(local.embeddings(i).values(j)).margin(1e-6));
    }
  }
}

}  // namespace
}  // namespace catena::testing
