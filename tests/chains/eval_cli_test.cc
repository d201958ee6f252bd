// `catena eval` against a live catenad: a pipeline (run inline from its file, and stored by name) answers with
// catenad's built-in extractive model from passages given as inputs, and the printed metrics must equal the
// values worked out by hand for those deterministic answers.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/chains/pipeline_service_fixture.h"

namespace catena::testing {
namespace {

using Approx = Catch::Detail::Approx;

constexpr char kPassagesPipeline[] = R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: passages-qa}
inputs:
  question: {type: string, required: true}
  passages: {type: list, default: []}
  ids: {type: list, default: []}
nodes:
  prompt:
    type: prompt
    with:
      system: "{% for p in inputs.passages %}[{{ loop.index }}] {{ p }}\n{% endfor %}"
      user: "{{ inputs.question }}"
  answer:
    type: llm.chat
    with: {model: extractive, messages: "{{ nodes.prompt.messages }}"}
outputs:
  answer: "{{ nodes.answer.text }}"
  retrieved: "{{ inputs.ids }}"
)";

// Case 1 is answered exactly; case 2 answers "Branches open at 9am [2]." against "At 9am." (F1 = ROUGE-L =
// 2/3, BLEU = (1/2 * 2/4 * 1/3 * 1/2)^(1/4)) with the relevant passage ranked second; case 3 has no answer.
constexpr char kDataset[] =
    R"({"id": "limit", "question": "What is the contactless limit?", "expected_answer": "Contactless payments are limited to 50 EUR per transaction.", "supporting_docs": ["cards"], "inputs": {"passages": ["Contactless payments are limited to 50 EUR per transaction.", "Branches open at 9am."], "ids": ["cards", "hours"]}}
{"id": "hours", "question": "When do branches open?", "expected_answer": "At 9am.", "supporting_docs": ["hours"], "inputs": {"passages": ["Contactless payments are limited to 50 EUR.", "Branches open at 9am."], "ids": ["cards", "hours"]}}
{"id": "crypto", "question": "Do you sell cryptocurrency?", "inputs": {"passages": ["Branches open at 9am."], "ids": ["hours"]}}
)";

RunResult Catena(PipelineServer& server, std::vector<std::string> args) {
  args.insert(args.begin(), {BuiltProgram("catena"), "--address", server.catenad().grpc_address(), "--tenant", "bank"});
  return RunToCompletion(args, std::chrono::seconds(60));
}

TEST_CASE("catena eval prints the metrics of a pipeline over a dataset as JSON and as a table", "[integration]") {
  PipelineServer server;
  TempDir dir("eval-cli");
  const std::string pipeline = dir.Write("passages-qa.yaml", kPassagesPipeline).string();
  const std::string dataset = dir.Write("qa.jsonl", kDataset).string();

  RunResult json_run = Catena(server, {"eval", pipeline, dataset, "--json"});
  INFO(json_run.err);
  REQUIRE(json_run.exit_code == 0);
  const nlohmann::json report = nlohmann::json::parse(json_run.out);
  const nlohmann::json& summary = report["summary"];
  CHECK(summary["cases"] == 3);
  CHECK(summary["answerable"] == 2);
  CHECK(summary["exact_match"].get<double>() == Approx(0.5));
  CHECK(summary["token_f1"].get<double>() == Approx((1 + 2.0 / 3) / 2));
  CHECK(summary["rouge_l"].get<double>() == Approx((1 + 2.0 / 3) / 2));
  CHECK(summary["bleu"].get<double>() == Approx((1 + std::pow(0.5 * 0.5 / 3 * 0.5, 0.25)) / 2));
  CHECK(summary["recall_at_k"].get<double>() == Approx(1));
  CHECK(summary["mrr"].get<double>() == Approx(0.75));
  CHECK(summary["ndcg_at_10"].get<double>() == Approx((1 + 1 / std::log2(3.0)) / 2));
  CHECK(summary["citation_precision"].get<double>() == Approx(1));
  CHECK(summary["abstained_unanswerable"] == 1);
  CHECK(report["cases"][1]["answer"] == "Branches open at 9am [2].");
  CHECK(report["cases"][2]["answer"] == "I could not find an answer to this question in the documents provided.");

  REQUIRE(server.Put("bank", kPassagesPipeline).ok());
  RunResult table = Catena(server, {"eval", "passages-qa", dataset});
  CHECK(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::StartsWith("cases 3 (answerable 2, unanswerable 1, failed 0)\n"));
  CHECK_THAT(table.out, Catch::Contains("MRR                      0.7500   over 2 cases"));
  CHECK_THAT(table.out, Catch::Contains("exact match              0.5000   over 2 cases"));
}

TEST_CASE("catena eval names the bad dataset line and fails on failed runs", "[integration]") {
  PipelineServer server;
  TempDir dir("eval-cli");
  const std::string pipeline = dir.Write("passages-qa.yaml", kPassagesPipeline).string();
  RunResult bad = Catena(server, {"eval", pipeline, dir.Write("bad.jsonl", "{\"question\": \"q\"}\n{\"id\": 1}\n").string()});
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("bad.jsonl: dataset line 2: field 'id' must be a string"));
  RunResult missing = Catena(server, {"eval", "no-such-pipeline", dir.Write("one.jsonl", "{\"question\": \"q\"}\n").string()});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Catch::Contains("case line 1 failed"));
}

}  // namespace
}  // namespace catena::testing
