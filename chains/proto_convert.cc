#include "chains/proto_convert.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace catena::chains {
namespace {

constexpr int kMaxDepth = 64;
constexpr double kMaxExactInt = 9007199254740992.0;  // 2^53

google::protobuf::Value ToProto(const tmpl::Value& value, int depth);

google::protobuf::Value MapToProto(const tmpl::Value& value, int depth) {
  google::protobuf::Value out;
  auto* fields = out.mutable_struct_value()->mutable_fields();
  for (const auto& [key, item] : value.map().entries()) {
    (*fields)[key.is_string() ? key.string_value() : tmpl::ToStr(key)] = ToProto(item, depth + 1);
  }
  return out;
}

google::protobuf::Value ToProto(const tmpl::Value& value, int depth) {
  google::protobuf::Value out;
  if (depth > kMaxDepth) {
    out.set_string_value("<too deeply nested>");
    return out;
  }
  switch (value.kind()) {
    case tmpl::Value::Kind::kUndefined:
    case tmpl::Value::Kind::kNone:
      out.set_null_value(google::protobuf::NULL_VALUE);
      break;
    case tmpl::Value::Kind::kBool:
      out.set_bool_value(value.bool_value());
      break;
    case tmpl::Value::Kind::kInt:
    case tmpl::Value::Kind::kFloat:
      out.set_number_value(value.AsDouble());
      break;
    case tmpl::Value::Kind::kString:
      out.set_string_value(value.string_value());
      break;
    case tmpl::Value::Kind::kList:
      for (const tmpl::Value& item : value.list().items) {
        *out.mutable_list_value()->add_values() = ToProto(item, depth + 1);
      }
      if (value.list().items.empty()) out.mutable_list_value();
      break;
    case tmpl::Value::Kind::kMap:
      return MapToProto(value, depth);
    case tmpl::Value::Kind::kCallable:
      out.set_string_value(value.callable().name);
      break;
  }
  return out;
}

tmpl::Value NumberFromProto(double number) {
  if (std::isfinite(number) && std::trunc(number) == number && std::fabs(number) <= kMaxExactInt) {
    return tmpl::Value(static_cast<int64_t>(number));
  }
  return tmpl::Value(number);
}

// The document list of a kRetrieved event's data ({documents: [{id, text, metadata, source, score}]}).
void AddDocuments(const tmpl::Value& data, v1::RetrievedDocuments& out) {
  if (!data.is_map()) return;
  const tmpl::Value* documents = data.map().Find("documents");
  if (documents == nullptr || !documents->is_list()) return;
  for (const tmpl::Value& document : documents->list().items) {
    if (!document.is_map()) continue;
    const tmpl::MapData& fields = document.map();
    v1::Document* doc = out.add_documents();
    auto text_of = [&](std::string_view key) {
      const tmpl::Value* field = fields.Find(key);
      return field == nullptr || field->is_undefined() || field->is_none() ? std::string() : tmpl::ToStr(*field);
    };
    doc->set_id(text_of("id"));
    doc->set_text(text_of("text"));
    doc->set_source(text_of("source"));
    if (const tmpl::Value* metadata = fields.Find("metadata"); metadata != nullptr && metadata->is_map()) {
      *doc->mutable_metadata() = ValueToStruct(*metadata);
    }
    const tmpl::Value* score = fields.Find("score");
    out.add_scores(score != nullptr && score->is_number() ? static_cast<float>(score->AsDouble()) : 0.0f);
  }
}

// The field `key` of a mapping `data`, or undefined.
tmpl::Value Field(const tmpl::Value& data, std::string_view key) {
  if (!data.is_map()) return tmpl::Value();
  const tmpl::Value* field = data.map().Find(key);
  return field == nullptr ? tmpl::Value() : *field;
}

std::string StringField(const tmpl::Value& data, std::string_view key) {
  tmpl::Value field = Field(data, key);
  if (field.is_string()) return field.string_value();
  return field.is_undefined() || field.is_none() ? std::string() : ValueToJsonText(field);
}

void FillToolEvent(const RunEvent& event, v1::RunEvent& out) {
  if (event.kind == RunEvent::Kind::kToolCall) {
    v1::ToolCallEvent* call = out.mutable_tool_call();
    call->set_node(event.node);
    call->mutable_call()->set_id(StringField(event.data, "id"));
    call->mutable_call()->set_name(StringField(event.data, "name"));
    call->mutable_call()->set_arguments_json(StringField(event.data, "arguments"));
    return;
  }
  v1::ToolResultEvent* result = out.mutable_tool_result();
  result->set_node(event.node);
  result->set_tool_call_id(StringField(event.data, "tool_call_id"));
  result->set_result_json(ValueToJsonText(Field(event.data, "result")));
  result->set_is_error(tmpl::Truthy(Field(event.data, "is_error")));
}

}  // namespace

google::protobuf::Value ValueToProto(const tmpl::Value& value) { return ToProto(value, 0); }

google::protobuf::Struct ValueToStruct(const tmpl::Value& value) {
  if (value.is_undefined() || value.is_none()) return {};
  if (value.is_map()) return ToProto(value, 0).struct_value();
  google::protobuf::Struct out;
  (*out.mutable_fields())["value"] = ToProto(value, 1);
  return out;
}

tmpl::Value ValueFromProto(const google::protobuf::Value& value) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kBoolValue:
      return tmpl::Value(value.bool_value());
    case google::protobuf::Value::kNumberValue:
      return NumberFromProto(value.number_value());
    case google::protobuf::Value::kStringValue:
      return tmpl::Value(value.string_value());
    case google::protobuf::Value::kListValue: {
      std::vector<tmpl::Value> items;
      items.reserve(value.list_value().values_size());
      for (const google::protobuf::Value& item : value.list_value().values()) items.push_back(ValueFromProto(item));
      return tmpl::Value::List(std::move(items));
    }
    case google::protobuf::Value::kStructValue:
      return StructToValue(value.struct_value());
    default:
      return tmpl::Value::None();
  }
}

tmpl::Value StructToValue(const google::protobuf::Struct& value) {
  std::vector<const std::string*> keys;
  keys.reserve(value.fields_size());
  for (const auto& [key, unused] : value.fields()) keys.push_back(&key);
  std::sort(keys.begin(), keys.end(), [](const std::string* a, const std::string* b) { return *a < *b; });
  tmpl::Value out = tmpl::Value::Dict();
  for (const std::string* key : keys) out.map().Set(*key, ValueFromProto(value.fields().at(*key)));
  return out;
}

std::string ValueToJsonText(const tmpl::Value& value) {
  std::string text;
  if (!google::protobuf::util::MessageToJsonString(ValueToProto(value), &text).ok()) return "null";
  return text;
}

v1::Usage UsageToProto(const TokenUsage& usage) {
  v1::Usage out;
  out.set_prompt_tokens(static_cast<int32_t>(usage.prompt_tokens));
  out.set_completion_tokens(static_cast<int32_t>(usage.completion_tokens));
  out.set_total_tokens(static_cast<int32_t>(usage.total()));
  out.set_cached_prompt_tokens(static_cast<int32_t>(usage.cached_prompt_tokens));
  return out;
}

v1::RunEvent RunEventToProto(const RunEvent& event, std::string_view run_id) {
  v1::RunEvent out;
  out.set_run_id(std::string(run_id));
  out.set_seq(event.seq);
  out.set_time_unix_ms(event.time_unix_ms);
  using Kind = RunEvent::Kind;
  switch (event.kind) {
    case Kind::kRunStarted:
      *out.mutable_run_started()->mutable_inputs() = ValueToStruct(event.data);
      break;
    case Kind::kNodeStarted:
      out.mutable_node_started()->set_node(event.node);
      out.mutable_node_started()->set_node_type(event.node_type);
      break;
    case Kind::kNodeFinished:
      out.mutable_node_finished()->set_node(event.node);
      out.mutable_node_finished()->set_duration_ms(event.duration_ms);
      *out.mutable_node_finished()->mutable_output() = ValueToStruct(event.data);
      break;
    case Kind::kNodeSkipped:
      out.mutable_node_skipped()->set_node(event.node);
      break;
    case Kind::kToken:
      out.mutable_token()->set_node(event.node);
      out.mutable_token()->set_text_delta(event.text);
      break;
    case Kind::kRetrieved:
      out.mutable_retrieved()->set_node(event.node);
      AddDocuments(event.data, *out.mutable_retrieved());
      break;
    case Kind::kToolCall:
    case Kind::kToolResult:
      FillToolEvent(event, out);
      break;
    case Kind::kInterrupt:
      out.mutable_interrupt()->set_node(event.node);
      out.mutable_interrupt()->set_reason(event.text);
      *out.mutable_interrupt()->mutable_payload() = ValueToStruct(event.data);
      break;
    case Kind::kFinal:
      *out.mutable_final()->mutable_outputs() = ValueToStruct(event.data);
      *out.mutable_final()->mutable_usage() = UsageToProto(event.usage);
      break;
    case Kind::kError:
      out.mutable_error()->set_node(event.node);
      out.mutable_error()->set_code(static_cast<int32_t>(event.status.code()));
      out.mutable_error()->set_message(std::string(event.status.message()));
      break;
  }
  return out;
}

v1::PipelineProblem ProblemToProto(const Problem& problem) {
  v1::PipelineProblem out;
  out.set_file(problem.file);
  out.set_line(problem.line);
  out.set_column(problem.column);
  out.set_node(problem.node);
  out.set_message(problem.message);
  return out;
}

std::string RunStateName(RunResult::State state) {
  switch (state) {
    case RunResult::State::kCompleted:
      return "completed";
    case RunResult::State::kInterrupted:
      return "interrupted";
    case RunResult::State::kFailed:
      return "failed";
    case RunResult::State::kCancelled:
      return "cancelled";
  }
  return "failed";
}

}  // namespace catena::chains
