// Conversions between the chain engine's domain types and catena.v1 messages: run-time values
// (tmpl::Value) <-> google.protobuf.Value/Struct, RunEvent -> catena.v1.RunEvent, problems, usage and run
// states. Used by PipelineService and the pipeline store's run traces. Pure functions; thread-safe.
#pragma once

#include <google/protobuf/struct.pb.h>

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "catena/v1/pipeline.pb.h"
#include "chains/problems.h"
#include "chains/run_event.h"
#include "chains/runner.h"
#include "common/template/value.h"

namespace catena::chains {

// The value as a protobuf Value: undefined and none -> null, bools, numbers (ints become doubles), strings,
// lists, mappings (keys as their str()); callables become their name. Nesting deeper than 64 levels is cut
// off with the string "<too deeply nested>".
google::protobuf::Value ValueToProto(const tmpl::Value& value);

// A mapping as a Struct; undefined or none give an empty Struct; any other kind is wrapped as {"value": v}.
google::protobuf::Struct ValueToStruct(const tmpl::Value& value);

// The protobuf value as a run-time value: numbers that are whole and within +-2^53 become ints, null becomes
// none, structs become dicts with their keys in sorted order (Struct maps are unordered).
tmpl::Value ValueFromProto(const google::protobuf::Value& value);
tmpl::Value StructToValue(const google::protobuf::Struct& value);

// Compact JSON text of a value (undefined -> null), for ToolCall.arguments_json and similar fields.
std::string ValueToJsonText(const tmpl::Value& value);

// Token usage as catena.v1.Usage (total = prompt + completion).
v1::Usage UsageToProto(const TokenUsage& usage);

// One run event as its catena.v1 message, stamped with `run_id`.
v1::RunEvent RunEventToProto(const RunEvent& event, std::string_view run_id);

// A problem of a pipeline file as catena.v1.PipelineProblem.
v1::PipelineProblem ProblemToProto(const Problem& problem);

// "completed", "interrupted", "failed", "cancelled" (the states of RunTrace.state besides "running").
std::string RunStateName(RunResult::State state);

}  // namespace catena::chains
