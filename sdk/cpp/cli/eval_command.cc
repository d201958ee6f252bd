// `catena eval PIPELINE DATASET.jsonl`: runs a pipeline (a stored name, or a pipeline file run inline) through
// PipelineService once per case of a QA dataset, in the tenant of --tenant, and prints retrieval and answer
// metrics (eval/eval_report.h) as a table, or as JSON with --json. Which outputs carry the answer and the
// ranked retrieved ids is set by --answer-field and --retrieved-field (docs/eval.md).
#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "catena/v1/pipeline.grpc.pb.h"
#include "cli/cli_command.h"
#include "eval/eval_report.h"

namespace catena::cli {
namespace {

using nlohmann::json;

constexpr absl::Duration kRunExtraTime = absl::Seconds(55);

struct EvalFlags {
  std::string pipeline;
  std::string dataset;
  std::string answer_field = "answer";
  std::string retrieved_field = "retrieved";
  std::string question_input = "question";
  std::string user_id = "eval";
  int k = 5;
  bool json_output = false;
};

absl::StatusOr<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The run request of one case: the case's inputs plus the question under --question-input.
absl::StatusOr<v1::RunRequest> CaseRequest(const EvalFlags& flags, const std::string& source,
                                           const eval::EvalCase& eval_case) {
  v1::RunRequest request;
  if (source.empty()) request.set_pipeline(flags.pipeline);
  else request.set_source(source);
  request.set_user_id(flags.user_id);
  json inputs = eval_case.inputs;
  inputs[flags.question_input] = eval_case.question;
  auto parsed = google::protobuf::util::JsonStringToMessage(inputs.dump(), request.mutable_inputs());
  if (!parsed.ok()) return absl::InvalidArgumentError(absl::StrCat("case ", eval_case.id, ": bad inputs"));
  return request;
}

// The ranked ids in the retrieved output: a list of strings, or of objects with an "id".
std::vector<std::string> RetrievedIds(const json& value) {
  std::vector<std::string> ids;
  if (!value.is_array()) return ids;
  for (const json& item : value) {
    if (item.is_string()) ids.push_back(item.get<std::string>());
    else if (item.is_object() && item.contains("id") && item["id"].is_string()) ids.push_back(item["id"]);
  }
  return ids;
}

eval::CaseScores RunCase(const sdk::Client& client, v1::PipelineService::Stub& stub, const EvalFlags& flags,
                         const std::string& source, const eval::EvalCase& eval_case) {
  eval::CaseScores failed{.id = eval_case.id};
  auto request = CaseRequest(flags, source, eval_case);
  if (!request.ok()) {
    failed.error = std::string(request.status().message());
    return failed;
  }
  v1::RunResponse response;
  auto context = client.NewContext(kRunExtraTime);
  const grpc::Status status = stub.Run(context.get(), *request, &response);
  if (!status.ok()) {
    failed.error = absl::StrCat(status.error_message(), " (code ", static_cast<int>(status.error_code()), ")");
    return failed;
  }
  std::string outputs_text;
  (void)google::protobuf::util::MessageToJsonString(response.outputs(), &outputs_text);
  const json outputs = json::parse(outputs_text, nullptr, false);
  std::string answer;
  if (outputs.is_object() && outputs.contains(flags.answer_field) && outputs[flags.answer_field].is_string()) {
    answer = outputs[flags.answer_field].get<std::string>();
  }
  std::vector<std::string> retrieved;
  if (outputs.is_object() && outputs.contains(flags.retrieved_field)) {
    retrieved = RetrievedIds(outputs[flags.retrieved_field]);
  }
  return eval::ScoreCase(eval_case, std::move(answer), std::move(retrieved), flags.k);
}

int RunEval(const sdk::Client& client, const EvalFlags& flags) {
  const std::string& address = client.options().address;
  auto content = ReadText(flags.dataset);
  if (!content.ok()) return Fail(content.status(), address);
  auto cases = eval::ParseEvalDataset(*content);
  if (!cases.ok()) return Fail(absl::Status(cases.status().code(), absl::StrCat(flags.dataset, ": ",
                                                                               cases.status().message())), address);
  std::string source;
  if (std::filesystem::is_regular_file(flags.pipeline)) {
    auto file = ReadText(flags.pipeline);
    if (!file.ok()) return Fail(file.status(), address);
    source = *std::move(file);
  }
  auto stub = v1::PipelineService::NewStub(client.channel());
  std::vector<eval::CaseScores> scores;
  for (const eval::EvalCase& eval_case : *cases) {
    scores.push_back(RunCase(client, *stub, flags, source, eval_case));
    if (!scores.back().error.empty()) {
      std::fprintf(stderr, "catena: case %s failed: %s\n", eval_case.id.c_str(), scores.back().error.c_str());
    }
  }
  const eval::EvalSummary summary = eval::Summarize(scores, flags.k);
  if (flags.json_output) std::printf("%s\n", eval::ReportJson(summary, scores).dump(2).c_str());
  else std::printf("%s", eval::SummaryTable(summary).c_str());
  return summary.failed == 0 ? 0 : kExitFailure;
}

}  // namespace

void AddEvalCommand(CLI::App& app, CommandRunner& runner) {
  auto flags = std::make_shared<EvalFlags>();
  CLI::App* eval = app.add_subcommand("eval", "Run a pipeline over a QA dataset and print retrieval and answer metrics");
  eval->add_option("pipeline", flags->pipeline, "Stored pipeline name, or a pipeline file run inline")->required();
  eval->add_option("dataset", flags->dataset, "JSONL dataset: id, question, inputs, expected_answer, supporting_docs")
      ->required()
      ->check(CLI::ExistingFile);
  eval->add_option("--answer-field", flags->answer_field, "Output holding the answer text (default: answer)");
  eval->add_option("--retrieved-field", flags->retrieved_field,
                   "Output holding the ranked retrieved document ids (default: retrieved)");
  eval->add_option("--question-input", flags->question_input, "Input that receives the question (default: question)");
  eval->add_option("--user-id", flags->user_id, "user_id of the runs (default: eval)");
  eval->add_option("--k", flags->k, "k of recall@k (default: 5)")->check(CLI::Range(1, 1000));
  eval->add_flag("--json", flags->json_output, "Print the summary and every case as JSON");
  eval->callback([&runner, flags] { runner = [flags](const sdk::Client& client) { return RunEval(client, *flags); }; });
}

}  // namespace catena::cli
