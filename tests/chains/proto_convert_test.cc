// Conversions between run-time values / run events and catena.v1 messages.
#include "chains/proto_convert.h"

#include <catch2/catch.hpp>

namespace catena::chains {
namespace {

tmpl::Value Dict(std::vector<std::pair<std::string, tmpl::Value>> fields) {
  tmpl::Value out = tmpl::Value::Dict();
  for (auto& [key, value] : fields) out.map().Set(key, std::move(value));
  return out;
}

TEST_CASE("values become protobuf values and back with ints kept as ints", "[unit]") {
  tmpl::Value value = Dict({{"k", 5},
                            {"ratio", 0.25},
                            {"name", "ann"},
                            {"ok", true},
                            {"none", tmpl::Value::None()},
                            {"tags", tmpl::Value::List({"a", 2})}});
  google::protobuf::Struct proto = ValueToStruct(value);
  CHECK(proto.fields().at("k").number_value() == 5);
  CHECK(proto.fields().at("ratio").number_value() == 0.25);
  CHECK(proto.fields().at("name").string_value() == "ann");
  CHECK(proto.fields().at("ok").bool_value());
  CHECK(proto.fields().at("none").kind_case() == google::protobuf::Value::kNullValue);
  CHECK(proto.fields().at("tags").list_value().values(1).number_value() == 2);

  tmpl::Value back = StructToValue(proto);
  REQUIRE(back.is_dict());
  CHECK(back.map().Find("k")->is_int());
  CHECK(back.map().Find("k")->int_value() == 5);
  CHECK(back.map().Find("ratio")->is_float());
  CHECK(back.map().Find("none")->is_none());
  CHECK(tmpl::Equals(back, value));
  // keys come back sorted, whatever order the map had
  CHECK(back.map().entries().front().first.string_value() == "k");
}

TEST_CASE("undefined values (skipped nodes) become null and non-mappings are wrapped", "[unit]") {
  tmpl::Value outputs = Dict({{"answer", tmpl::Value::Undefined("nodes.skipped.text")}});
  google::protobuf::Struct proto = ValueToStruct(outputs);
  CHECK(proto.fields().at("answer").kind_case() == google::protobuf::Value::kNullValue);
  CHECK(ValueToStruct(tmpl::Value()).fields().empty());
  CHECK(ValueToStruct(tmpl::Value("text")).fields().at("value").string_value() == "text");
  CHECK(ValueToJsonText(Dict({{"a", tmpl::Value::List({1, "x"})}})) == R"({"a":[1,"x"]})");
}

TEST_CASE("very deep nesting is cut off instead of overflowing", "[unit]") {
  tmpl::Value deep = tmpl::Value::List({});
  for (int i = 0; i < 200; ++i) deep = tmpl::Value::List({deep});
  google::protobuf::Value proto = ValueToProto(deep);
  const google::protobuf::Value* cursor = &proto;
  int depth = 0;
  while (cursor->kind_case() == google::protobuf::Value::kListValue && cursor->list_value().values_size() > 0) {
    cursor = &cursor->list_value().values(0);
    ++depth;
  }
  CHECK(depth == 65);
  CHECK(cursor->string_value() == "<too deeply nested>");
}

TEST_CASE("run events map to their catena.v1 variants", "[unit]") {
  RunEvent token{.kind = RunEvent::Kind::kToken, .seq = 7, .time_unix_ms = 99, .node = "answer", .text = "Hel"};
  v1::RunEvent proto = RunEventToProto(token, "run-1");
  CHECK(proto.run_id() == "run-1");
  CHECK(proto.seq() == 7);
  CHECK(proto.time_unix_ms() == 99);
  CHECK(proto.token().node() == "answer");
  CHECK(proto.token().text_delta() == "Hel");

  RunEvent final_event{.kind = RunEvent::Kind::kFinal, .data = Dict({{"answer", "hi"}})};
  final_event.usage = {.prompt_tokens = 3, .completion_tokens = 4};
  v1::RunEvent final_proto = RunEventToProto(final_event, "r");
  CHECK(final_proto.final().outputs().fields().at("answer").string_value() == "hi");
  CHECK(final_proto.final().usage().total_tokens() == 7);

  RunEvent error{.kind = RunEvent::Kind::kError, .node = "search", .status = absl::NotFoundError("no collection kb")};
  v1::RunEvent error_proto = RunEventToProto(error, "r");
  CHECK(error_proto.error().node() == "search");
  CHECK(error_proto.error().code() == static_cast<int>(absl::StatusCode::kNotFound));
  CHECK(error_proto.error().message() == "no collection kb");

  RunEvent interrupt{.kind = RunEvent::Kind::kInterrupt,
                     .node = "approve",
                     .text = "approve transfer",
                     .data = Dict({{"amount", 500}})};
  v1::RunEvent interrupt_proto = RunEventToProto(interrupt, "r");
  CHECK(interrupt_proto.interrupt().reason() == "approve transfer");
  CHECK(interrupt_proto.interrupt().payload().fields().at("amount").number_value() == 500);

  CHECK(RunEventToProto({.kind = RunEvent::Kind::kNodeSkipped, .node = "x"}, "r").node_skipped().node() == "x");
  RunEvent started{.kind = RunEvent::Kind::kNodeStarted, .node = "x", .node_type = "transform"};
  CHECK(RunEventToProto(started, "r").node_started().node_type() == "transform");
}

TEST_CASE("retrieved documents and tool calls carry their fields", "[unit]") {
  tmpl::Value doc = Dict({{"id", "d1"},
                          {"text", "refunds take 5 days"},
                          {"source", "faq.md"},
                          {"metadata", Dict({{"lang", "en"}})},
                          {"score", 0.75}});
  RunEvent retrieved{
      .kind = RunEvent::Kind::kRetrieved, .node = "search", .data = Dict({{"documents", tmpl::Value::List({doc})}})};
  v1::RunEvent proto = RunEventToProto(retrieved, "r");
  REQUIRE(proto.retrieved().documents_size() == 1);
  CHECK(proto.retrieved().documents(0).id() == "d1");
  CHECK(proto.retrieved().documents(0).metadata().fields().at("lang").string_value() == "en");
  CHECK(proto.retrieved().scores(0) == Approx(0.75));

  RunEvent call{.kind = RunEvent::Kind::kToolCall,
                .node = "agent",
                .data = Dict({{"id", "c1"}, {"name", "lookup"}, {"arguments", Dict({{"q", "x"}})}})};
  v1::RunEvent call_proto = RunEventToProto(call, "r");
  CHECK(call_proto.tool_call().call().name() == "lookup");
  CHECK(call_proto.tool_call().call().arguments_json() == R"({"q":"x"})");
}

TEST_CASE("problems and run states convert for the API", "[unit]") {
  v1::PipelineProblem problem = ProblemToProto({.file = "a.yaml", .line = 3, .column = 5, .node = "n", .message = "m"});
  CHECK(problem.file() == "a.yaml");
  CHECK(problem.line() == 3);
  CHECK(problem.column() == 5);
  CHECK(problem.node() == "n");
  CHECK(RunStateName(RunResult::State::kInterrupted) == "interrupted");
  CHECK(RunStateName(RunResult::State::kCancelled) == "cancelled");
}

}  // namespace
}  // namespace catena::chains
