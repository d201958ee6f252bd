// `catena pipeline validate|deploy|list|get|delete|run|resume|trace`: pipelines of the tenant (PipelineService).
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cli/cli_command.h"
#include "cli/pipeline_cli.h"

namespace catena::cli {
namespace {

// Runs may wait for models far longer than a metadata call.
constexpr absl::Duration kRunExtraTime = absl::Seconds(55);

struct PipelineFlags {
  std::vector<std::string> files;
  std::string name;
  std::string version;
  std::vector<std::string> inputs;
  std::string inputs_json;
  bool stream = false;
  std::string run_id;
  bool approve = false;
  bool reject = false;
  std::string payload_json;
};

bool ReadFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "catena: cannot read %s\n", path.c_str());
    return false;
  }
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

// Prints every problem of each file; exit 1 when any file is invalid or unreadable.
int RunValidate(const sdk::Client& client, const PipelineFlags& flags) {
  int exit_code = 0;
  for (const std::string& file : flags.files) {
    v1::ValidatePipelineRequest request;
    if (!ReadFile(file, *request.mutable_source())) {
      exit_code = kExitFailure;
      continue;
    }
    request.set_file_name(file);
    auto validated = client.pipelines().ValidatePipeline(request);
    if (!validated.ok()) return Fail(validated.status(), client.options().address);
    const v1::ValidatePipelineResponse& response = *validated;
    for (const v1::PipelineProblem& problem : response.problems()) std::printf("%s\n", FormatProblem(problem).c_str());
    if (response.valid()) std::printf("%s: ok\n", file.c_str());
    if (!response.valid()) exit_code = kExitFailure;
  }
  return exit_code;
}

int RunDeploy(const sdk::Client& client, const PipelineFlags& flags) {
  int exit_code = 0;
  for (const std::string& file : flags.files) {
    v1::PutPipelineRequest request;
    if (!ReadFile(file, *request.mutable_source())) {
      exit_code = kExitFailure;
      continue;
    }
    request.set_file_name(file);
    auto pipeline = client.pipelines().PutPipeline(request);
    if (!pipeline.ok()) {
      std::fprintf(stderr, "%s\n", std::string(pipeline.status().message()).c_str());
      exit_code = kExitFailure;
      continue;
    }
    std::printf("deployed %s version %s\n", pipeline->name().c_str(), pipeline->version().substr(0, 12).c_str());
  }
  return exit_code;
}

int RunList(const sdk::Client& client, const PipelineFlags&) {
  v1::ListPipelinesRequest request;
  request.mutable_page()->set_page_size(1000);
  do {
    auto response = client.pipelines().ListPipelines(request);
    if (!response.ok()) return Fail(response.status(), client.options().address);
    for (const v1::Pipeline& pipeline : response->pipelines()) {
      std::printf("%s\t%s\t%s\n", pipeline.name().c_str(), pipeline.version().substr(0, 12).c_str(),
                  pipeline.description().c_str());
    }
    request.mutable_page()->set_page_token(response->next_page_token());
  } while (!request.page().page_token().empty());
  return 0;
}

// Prints the stored file as it was deployed.
int RunGet(const sdk::Client& client, const PipelineFlags& flags) {
  v1::GetPipelineRequest request;
  request.set_name(flags.name);
  request.set_version(flags.version);
  auto pipeline = client.pipelines().GetPipeline(request);
  if (!pipeline.ok()) return Fail(pipeline.status(), client.options().address);
  std::fputs(pipeline->source().c_str(), stdout);
  if (!pipeline->source().empty() && pipeline->source().back() != '\n') std::fputs("\n", stdout);
  return 0;
}

int RunDelete(const sdk::Client& client, const PipelineFlags& flags) {
  v1::DeletePipelineRequest request;
  request.set_name(flags.name);
  absl::Status status = client.pipelines().DeletePipeline(request).status();
  if (!status.ok()) return Fail(status, client.options().address);
  std::printf("deleted %s\n", flags.name.c_str());
  return 0;
}

int FinishStream(const sdk::Client& client, const StreamOutcome& outcome) {
  if (!outcome.status.ok()) return Fail(outcome.status, client.options().address);
  std::fprintf(stderr, "run %s\n", outcome.run_id.c_str());
  PrintRunEnd(outcome.run_id, outcome.interrupted, outcome.interrupt, outcome.final.outputs());
  return 0;
}

// Unary: prints the outputs as JSON (run id on stderr). --stream: token deltas as they come, then the outputs.
int RunRun(const sdk::Client& client, const PipelineFlags& flags) {
  auto inputs = ParseInputs(flags.inputs, flags.inputs_json);
  if (!inputs.ok()) return Fail(inputs.status(), client.options().address);
  v1::RunRequest request;
  request.set_pipeline(flags.name);
  request.set_version(flags.version);
  request.set_run_id(flags.run_id);
  *request.mutable_inputs() = *std::move(inputs);
  const sdk::CallOptions options = WithExtraTime(client, kRunExtraTime);
  if (flags.stream) {
    auto reader = client.pipelines().RunStream(request, options);
    return FinishStream(client, ReadRunStream(reader));
  }
  auto response = client.pipelines().Run(request, options);
  if (!response.ok()) return Fail(response.status(), client.options().address);
  std::fprintf(stderr, "run %s\n", response->run_id().c_str());
  PrintRunEnd(response->run_id(), response->state() == "interrupted", response->interrupt(), response->outputs());
  return 0;
}

int RunResume(const sdk::Client& client, const PipelineFlags& flags) {
  v1::ResumeRequest request;
  request.set_run_id(flags.run_id);
  request.set_approved(flags.approve && !flags.reject);
  if (!flags.payload_json.empty()) {
    auto payload = ParseInputs({}, flags.payload_json);
    if (!payload.ok()) return Fail(payload.status(), client.options().address);
    *request.mutable_payload() = *std::move(payload);
  }
  auto reader = client.pipelines().Resume(request, WithExtraTime(client, kRunExtraTime));
  return FinishStream(client, ReadRunStream(reader));
}

}  // namespace

void AddPipelineCommands(CLI::App& app, CommandRunner& runner) {
  auto flags = std::make_shared<PipelineFlags>();
  CLI::App* pipeline = app.add_subcommand("pipeline", "Pipelines: validate, deploy, list, get, delete, run, trace");
  pipeline->require_subcommand(1);
  auto bind = [&runner, flags](CLI::App* command, int (*run)(const sdk::Client&, const PipelineFlags&)) {
    command->callback(
        [&runner, flags, run] { runner = [flags, run](const sdk::Client& client) { return run(client, *flags); }; });
  };

  CLI::App* validate = pipeline->add_subcommand("validate", "Check pipeline files; print every problem");
  validate->add_option("files", flags->files, "Pipeline files (YAML or JSON)")->required()->check(CLI::ExistingFile);
  bind(validate, &RunValidate);
  CLI::App* deploy = pipeline->add_subcommand("deploy", "Validate and store pipeline files");
  deploy->add_option("files", flags->files, "Pipeline files (YAML or JSON)")->required()->check(CLI::ExistingFile);
  bind(deploy, &RunDeploy);
  bind(pipeline->add_subcommand("list", "List the tenant's pipelines (latest versions)"), &RunList);

  CLI::App* get = pipeline->add_subcommand("get", "Print a stored pipeline file");
  get->add_option("name", flags->name, "Pipeline name")->required();
  get->add_option("--version", flags->version, "Version (default: latest)");
  bind(get, &RunGet);
  CLI::App* remove = pipeline->add_subcommand("delete", "Delete a pipeline (every version)");
  remove->add_option("name", flags->name, "Pipeline name")->required();
  bind(remove, &RunDelete);

  CLI::App* run = pipeline->add_subcommand("run", "Run a stored pipeline and print its outputs as JSON");
  run->add_option("name", flags->name, "Pipeline name")->required();
  run->add_option("--version", flags->version, "Version (default: latest)");
  run->add_option("--input", flags->inputs, "Input as key=value (repeatable; JSON values allowed)");
  run->add_option("--inputs-json", flags->inputs_json, "Inputs as one JSON object");
  run->add_option("--run-id", flags->run_id, "Run id (default: generated)");
  run->add_flag("--stream", flags->stream, "Print tokens as they are generated");
  bind(run, &RunRun);

  CLI::App* resume = pipeline->add_subcommand("resume", "Continue a run waiting at a human handoff");
  resume->add_option("run_id", flags->run_id, "Run id")->required();
  resume->add_flag("--approve", flags->approve, "Approve (default: reject)");
  resume->add_flag("--reject", flags->reject, "Reject");
  resume->add_option("--payload-json", flags->payload_json, "Data for the waiting node, as a JSON object");
  bind(resume, &RunResume);

  CLI::App* trace = pipeline->add_subcommand("trace", "Print a run's trace: state, inputs, events, outputs");
  trace->add_option("run_id", flags->run_id, "Run id")->required();
  trace->callback(
      [&runner, flags] { runner = [flags](const sdk::Client& client) { return RunTrace(client, flags->run_id); }; });
}

}  // namespace catena::cli
