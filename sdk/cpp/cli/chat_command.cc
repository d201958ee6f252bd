// `catena chat PIPELINE [--session ID]`: an interactive loop. Each stdin line runs the pipeline (RunStream) with
// the line as its first required string input (question, message, ...) and, when the pipeline declares one, the
// session id as `session_id`/`session`; token deltas are printed as they arrive.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/cli_command.h"
#include "cli/pipeline_cli.h"

namespace catena::cli {
namespace {

struct ChatFlags {
  std::string pipeline;
  std::string session;
  std::string model;  // chat with a served model instead of a pipeline
  std::string system;
  int max_tokens = 256;
  float temperature = 0;
};

// The input a chat line goes to: the first required string input, else one named like a message.
std::string MessageInput(const v1::Pipeline& pipeline) {
  for (const v1::PipelineInput& input : pipeline.inputs()) {
    if (input.required() && input.type() == "string") return input.name();
  }
  for (const v1::PipelineInput& input : pipeline.inputs()) {
    if (input.name() == "question" || input.name() == "message" || input.name() == "input") return input.name();
  }
  return "";
}

std::string SessionInput(const v1::Pipeline& pipeline) {
  for (const v1::PipelineInput& input : pipeline.inputs()) {
    if (input.name() == "session_id" || input.name() == "session") return input.name();
  }
  return "";
}

// Prints what the run answered when it streamed no tokens: its only/first string output, else all outputs.
void PrintAnswer(const google::protobuf::Struct& outputs) {
  for (const char* name : {"answer", "text", "reply", "response"}) {
    auto found = outputs.fields().find(name);
    if (found != outputs.fields().end() && found->second.has_string_value()) {
      std::printf("%s\n", found->second.string_value().c_str());
      return;
    }
  }
  std::printf("%s\n", StructJson(outputs).c_str());
}

// One turn; false when the run failed (reported on stderr).
bool Turn(const sdk::Client& client, const v1::RunRequest& request) {
  auto reader = client.pipelines().RunStream(request, WithExtraTime(client, absl::Seconds(55)));
  StreamOutcome outcome = ReadRunStream(reader);
  if (!outcome.status.ok()) {
    Fail(outcome.status, client.options().address);
    return false;
  }
  if (outcome.interrupted) {
    PrintRunEnd(outcome.run_id, true, outcome.interrupt, {});
  } else if (!outcome.printed_tokens) {
    PrintAnswer(outcome.final.outputs());
  }
  std::fflush(stdout);
  return true;
}

int RunChat(const sdk::Client& client, const ChatFlags& flags) {
  v1::GetPipelineRequest get;
  get.set_name(flags.pipeline);
  auto found = client.pipelines().GetPipeline(get);
  if (!found.ok()) return Fail(found.status(), client.options().address);
  const v1::Pipeline& pipeline = *found;
  const std::string message_input = MessageInput(pipeline);
  if (message_input.empty()) {
    std::fprintf(stderr, "catena: pipeline '%s' declares no string input to send chat lines to\n",
                 flags.pipeline.c_str());
    return kExitFailure;
  }
  const std::string session_input = SessionInput(pipeline);
  const std::string session =
      flags.session.empty() ? absl::StrCat("chat-", absl::ToUnixMicros(absl::Now())) : flags.session;
  const bool interactive = isatty(STDIN_FILENO) != 0;
  int failures = 0;
  std::string line;
  while (true) {
    if (interactive) std::fputs("> ", stdout), std::fflush(stdout);
    if (!std::getline(std::cin, line) || line == "/exit") break;
    if (line.empty()) continue;
    v1::RunRequest request;
    request.set_pipeline(flags.pipeline);
    (*request.mutable_inputs()->mutable_fields())[message_input].set_string_value(line);
    if (!session_input.empty()) (*request.mutable_inputs()->mutable_fields())[session_input].set_string_value(session);
    if (!Turn(client, request)) ++failures;
  }
  return failures == 0 ? 0 : kExitFailure;
}

}  // namespace

void AddChatCommand(CLI::App& app, CommandRunner& runner) {
  auto flags = std::make_shared<ChatFlags>();
  CLI::App* chat = app.add_subcommand(
      "chat", "Chat with a pipeline (each input line runs it) or with a served model (--model); tokens stream back");
  auto* pipeline = chat->add_option("pipeline", flags->pipeline, "Pipeline name");
  auto* model = chat->add_option("--model", flags->model, "Chat with this model served by catenad instead");
  pipeline->excludes(model);
  chat->add_option("--session", flags->session, "Pipelines: session id passed as the session_id input (default: new)");
  chat->add_option("--system", flags->system, "--model: system message");
  chat->add_option("--max-tokens", flags->max_tokens, "--model: tokens per reply");
  chat->add_option("--temperature", flags->temperature, "--model: 0 = greedy");
  chat->callback([&runner, flags] {
    if (flags->pipeline.empty() && flags->model.empty()) {
      throw CLI::RequiredError("chat needs a PIPELINE name or --model NAME");
    }
    runner = [flags](const sdk::Client& client) {
      if (!flags->model.empty()) {
        return RunModelChat(client, flags->model, flags->system, flags->max_tokens, flags->temperature);
      }
      return RunChat(client, *flags);
    };
  });
}

}  // namespace catena::cli
