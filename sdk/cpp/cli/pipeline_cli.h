// Shared pieces of the `catena pipeline ...` and `catena chat` commands: input parsing, JSON printing and the
// reading of a run's event stream (token deltas printed as they arrive). Used only by the CLI; not thread-safe.
#pragma once

#include <google/protobuf/struct.pb.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "catena/client.h"
#include "catena/pipeline_client.h"

namespace catena::cli {

// Inputs from `--inputs-json` (a JSON object) overlaid with `--input key=value` items; a value that parses as
// JSON (5, true, [1], {"a":1}, "quoted") is taken as such, anything else as a string.
absl::StatusOr<google::protobuf::Struct> ParseInputs(const std::vector<std::string>& pairs, const std::string& json);

// Compact JSON of a Struct ({"answer":"..."}).
std::string StructJson(const google::protobuf::Struct& value);

// "file:line:column: node 'id': message", leaving out what is unknown.
std::string FormatProblem(const v1::PipelineProblem& problem);

struct StreamOutcome {
  absl::Status status;
  std::string run_id;
  bool has_final = false;
  v1::RunFinal final;
  bool interrupted = false;
  v1::Interrupt interrupt;
  bool printed_tokens = false;  // token deltas were written to stdout
};

// Reads every event of `reader`, writing token deltas to stdout as they come, and the call's final status.
StreamOutcome ReadRunStream(sdk::StreamReader<v1::RunEvent>& reader);

// Prints the end of a run: "interrupted at node ...: reason" with how to resume, or the outputs as JSON.
void PrintRunEnd(const std::string& run_id, bool interrupted, const v1::Interrupt& interrupt,
                 const google::protobuf::Struct& outputs);

// `catena pipeline trace RUN_ID`: the run's header, one line per event, outputs, usage and error.
int RunTrace(const sdk::Client& client, const std::string& run_id);

}  // namespace catena::cli
