// Guard rails through a real catenad: the caller's Run response gets the restored answer while the stored trace
// and the audit log keep placeholders; `catena audit verify` passes, `catena audit show` prints the run's
// record, and after a byte of the log is edited verify fails naming the record and its run.
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "catena/v1/pipeline.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"
#include "tests/server/catenad_fixture.h"

namespace catena::testing {
namespace {

constexpr char kGuarded[] = R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: guarded}
inputs:
  question: {type: string, required: true}
nodes:
  redact: {type: guard.pii_redact, with: {text: "{{ inputs.question }}"}}
  answer: {type: llm.chat, with: {model: test-echo, prompt: "{{ nodes.redact.text }}"}}
  restore: {type: guard.pii_restore, with: {text: "{{ nodes.answer.text }}"}}
outputs:
  answer: "{{ nodes.restore.text }}"
)";

std::unique_ptr<grpc::ClientContext> GuardContext() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("x-catena-tenant", "bank");
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return context;
}

std::string Json(const google::protobuf::Message& message) {
  std::string text;
  REQUIRE(google::protobuf::util::MessageToJsonString(message, &text).ok());
  return text;
}

TEST_CASE("catenad restores PII only for the caller and audits the run with placeholders", "[integration]") {
  const std::filesystem::path data_dir = MakeTempDir("guard-catenad");
  {
    CatenadProcess catenad({"--service", "pipeline", "--set", "pipelines.test_models=true"}, {}, data_dir);
    auto stub = v1::PipelineService::NewStub(
        grpc::CreateChannel(catenad.grpc_address(), grpc::InsecureChannelCredentials()));
    v1::PutPipelineRequest put;
    put.set_source(kGuarded);
    v1::Pipeline stored;
    REQUIRE(stub->PutPipeline(GuardContext().get(), put, &stored).ok());
    v1::RunRequest run;
    run.set_pipeline("guarded");
    run.set_run_id("guard-1");
    REQUIRE(google::protobuf::util::JsonStringToMessage(
                R"({"question": "Card 4111 1111 1111 1111, mail jane.doe@example.com"})", run.mutable_inputs())
                .ok());
    v1::RunResponse response;
    grpc::Status status = stub->Run(GuardContext().get(), run, &response);
    INFO(status.error_message());
    REQUIRE(status.ok());
    CHECK(response.outputs().fields().at("answer").string_value() ==
          "echo: Card [CARD_1 ****1111], mail jane.doe@example.com");
    v1::GetRunRequest get;
    get.set_run_id("guard-1");
    v1::RunTrace trace;
    REQUIRE(stub->GetRun(GuardContext().get(), get, &trace).ok());
    CHECK(trace.outputs().fields().at("answer").string_value() == "echo: Card [CARD_1 ****1111], mail [EMAIL_1]");
    for (const v1::RunEvent& event : trace.events()) {
      if (!event.has_run_started()) CHECK(Json(event).find("jane.doe") == std::string::npos);
    }
  }
  const std::string dir = data_dir.string();
  RunResult verify = RunToCompletion({BuiltProgram("catena"), "audit", "verify", "--data-dir", dir},
                                     std::chrono::seconds(10));
  INFO(verify.err);
  CHECK(verify.exit_code == 0);
  CHECK(verify.out == "ok: 1 records, chain and head intact\n");
  RunResult show = RunToCompletion({BuiltProgram("catena"), "audit", "show", "guard-1", "--data-dir", dir},
                                   std::chrono::seconds(10));
  REQUIRE(show.exit_code == 0);
  const nlohmann::json entry = nlohmann::json::parse(show.out);
  CHECK(entry["record"]["outputs"]["answer"] == "echo: Card [CARD_1 ****1111], mail [EMAIL_1]");
  CHECK(entry["record"]["inputs"]["question"] == "Card [CARD_1 ****1111], mail [EMAIL_1]");
  CHECK(entry["record"]["pipeline"] == "guarded");
  CHECK(entry["record"]["state"] == "completed");
  CHECK(entry["record"]["model_nodes"] == nlohmann::json::parse(R"([{"node": "answer", "type": "llm.chat"}])"));
  CHECK(show.out.find("jane.doe") == std::string::npos);

  const std::string log_path = dir + "/audit/audit.jsonl";
  std::stringstream text;
  text << std::ifstream(log_path).rdbuf();
  std::string log = text.str();
  log.replace(log.find("guarded"), 7, "GUARDED");
  std::ofstream(log_path, std::ios::trunc) << log;
  RunResult broken = RunToCompletion({BuiltProgram("catena"), "audit", "verify", "--data-dir", dir},
                                     std::chrono::seconds(10));
  CHECK(broken.exit_code == 1);
  CHECK(broken.out.rfind("BROKEN at record 0, run guard-1: hash does not match", 0) == 0);
  std::filesystem::remove_all(data_dir);
}

}  // namespace
}  // namespace catena::testing
