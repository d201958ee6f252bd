#include "cli/pipeline_cli.h"

#include <google/protobuf/util/json_util.h>

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace catena::cli {

absl::StatusOr<google::protobuf::Struct> ParseInputs(const std::vector<std::string>& pairs, const std::string& json) {
  google::protobuf::Struct inputs;
  if (!json.empty()) {
    auto parsed = google::protobuf::util::JsonStringToMessage(json, &inputs);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--inputs-json: not a JSON object: ", std::string(parsed.message())));
    }
  }
  for (const std::string& pair : pairs) {
    const size_t equals = pair.find('=');
    if (equals == std::string::npos || equals == 0) {
      return absl::InvalidArgumentError(absl::StrCat("--input '", pair, "': expected key=value"));
    }
    google::protobuf::Value value;
    const std::string text = pair.substr(equals + 1);
    if (text.empty() || !google::protobuf::util::JsonStringToMessage(text, &value).ok()) value.set_string_value(text);
    (*inputs.mutable_fields())[pair.substr(0, equals)] = value;
  }
  return inputs;
}

std::string StructJson(const google::protobuf::Struct& value) {
  std::string text;
  if (!google::protobuf::util::MessageToJsonString(value, &text).ok()) return "{}";
  return text;
}

std::string FormatProblem(const v1::PipelineProblem& problem) {
  std::string out = problem.file();
  if (problem.line() > 0) {
    absl::StrAppend(&out, ":", problem.line());
    if (problem.column() > 0) absl::StrAppend(&out, ":", problem.column());
  }
  absl::StrAppend(&out, ": ");
  if (!problem.node().empty()) absl::StrAppend(&out, "node '", problem.node(), "': ");
  absl::StrAppend(&out, problem.message());
  return out;
}

StreamOutcome ReadRunStream(sdk::StreamReader<v1::RunEvent>& reader) {
  StreamOutcome outcome;
  while (std::optional<v1::RunEvent> next = reader.Next()) {
    const v1::RunEvent& event = *next;
    if (outcome.run_id.empty()) outcome.run_id = event.run_id();
    if (event.has_token()) {
      std::fputs(event.token().text_delta().c_str(), stdout);
      std::fflush(stdout);
      outcome.printed_tokens = true;
    } else if (event.has_interrupt()) {
      outcome.interrupted = true;
      outcome.interrupt = event.interrupt();
    } else if (event.has_final()) {
      outcome.has_final = true;
      outcome.final = event.final();
    }
  }
  if (outcome.printed_tokens) std::fputs("\n", stdout);
  outcome.status = reader.status();
  return outcome;
}

void PrintRunEnd(const std::string& run_id, bool interrupted, const v1::Interrupt& interrupt,
                 const google::protobuf::Struct& outputs) {
  if (interrupted) {
    std::printf("interrupted at node %s: %s\nrun %s waits; continue with: catena pipeline resume %s --approve\n",
                interrupt.node().c_str(), interrupt.reason().c_str(), run_id.c_str(), run_id.c_str());
    return;
  }
  std::printf("%s\n", StructJson(outputs).c_str());
}

}  // namespace catena::cli
