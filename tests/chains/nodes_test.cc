// Built-in node types through a fake NodeCall: the registry and its descriptions, prompt, llm.chat and
// llm.generate on the test model, router, transform, handoff.human, output.json with repair, and the
// extension points. Nested-pipeline nodes and the service-backed nodes have their own files.
#include <catch2/catch.hpp>

#include <set>

#include "chains/json_schema_check.h"
#include "chains/test_chat_model.h"
#include "common/executor.h"
#include "tests/chains/fake_node_call.h"

namespace catena::chains {
namespace {

using testing::CompileNode;
using testing::FakeCompileContext;
using testing::FakeNodeCall;
using testing::J;
using testing::ParamsOf;
using Json = nlohmann::ordered_json;

// Compiles and starts a node of `type` with `with` as its parameters; the returned call holds the result.
std::unique_ptr<FakeNodeCall> Run(const std::string& type, const Json& with, RunServices services = {},
                                  tmpl::Value context = tmpl::Value::Dict()) {
  FakeCompileContext compile;
  std::unique_ptr<NodeImpl> impl = CompileNode(type, with, compile);
  INFO(compile.Messages());
  REQUIRE(impl != nullptr);
  REQUIRE(compile.problems().empty());
  auto call = std::make_unique<FakeNodeCall>(services, ParamsOf(type, with), std::move(context));
  impl->Start(*call);
  REQUIRE(call->Wait());
  return call;
}

TEST_CASE("the built-in registry lists every chains node type (tool and agent come from agents/)", "[unit]") {
  const std::set<std::string> expected = {
      "prompt", "llm.chat", "llm.generate", "embed", "segment", "retrieve", "memory.load", "memory.save", "memory.facts",
      "router", "transform", "map", "loop", "subpipeline", "output.json", "handoff.human",
      "guard.pii_redact", "guard.injection", "guard.topic", "guard.grounding"};
  std::vector<std::string> names;
  for (const NodeType* type : NodeRegistry::BuiltIn().All()) {
    const NodeTypeInfo& info = type->info();
    names.push_back(info.name);
    INFO(info.name);
    CHECK_FALSE(info.summary.empty());
    CHECK((info.open_outputs || !info.outputs.empty()));
    std::set<std::string> params;
    for (const ParamInfo& param : info.params) {
      CHECK_FALSE(param.description.empty());
      CHECK(params.insert(param.name).second);
      CHECK_FALSE((param.required && !param.default_text.empty()));
    }
    for (const OutputInfo& output : info.outputs) CHECK_FALSE(output.description.empty());
  }
  CHECK(std::set<std::string>(names.begin(), names.end()) == expected);
  CHECK(std::is_sorted(names.begin(), names.end()));
  CHECK(NodeRegistry::BuiltIn().Find("retriever") == nullptr);
  CHECK(NodeRegistry::BuiltIn().Find("agent") == nullptr);
  NodeRegistry copy;
  AddBuiltInNodeTypes(copy);
  CHECK(copy.All().size() == names.size());
  const NodeType* retrieve = NodeRegistry::BuiltIn().Find("retrieve");
  REQUIRE(retrieve != nullptr);
  std::vector<std::string> required;
  for (const ParamInfo& param : retrieve->info().params) {
    if (param.required) required.push_back(param.name);
  }
  CHECK(required == std::vector<std::string>{"collection", "query"});
}

TEST_CASE("lazy parameters are exactly those the nodes evaluate themselves", "[unit]") {
  std::set<std::string> lazy;
  for (const NodeType* type : NodeRegistry::BuiltIn().All()) {
    for (const ParamInfo& param : type->info().params) {
      if (param.lazy) lazy.insert(type->info().name + "." + param.name);
    }
  }
  CHECK(lazy == std::set<std::string>{"router.routes", "map.body", "loop.body", "loop.until"});
  CHECK(NodeRegistry::BuiltIn().Find("transform")->info().open_params);
  CHECK(NodeRegistry::BuiltIn().Find("transform")->info().open_outputs);
  CHECK(NodeRegistry::BuiltIn().Find("subpipeline")->info().open_outputs);
}

TEST_CASE("extension-point types say they come with the agents component", "[unit]") {
  for (const char* name : {"guard.pii_redact", "guard.grounding"}) {
    FakeCompileContext compile;
    CHECK(CompileNode(name, Json::object(), compile) == nullptr);
    REQUIRE(compile.problems().problems().size() == 1);
    CHECK(compile.problems().problems()[0].message ==
          std::string("node type '") + name +
              "' is provided by the agents component, which is not part of this build yet");
    CHECK(compile.problems().problems()[0].line == 1);
  }
}

TEST_CASE("prompt orders system, history, messages and user and joins the contents", "[unit]") {
  auto call = Run("prompt", Json::parse(R"({"system": "Be brief.", "user": "And fees?",
      "history": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}],
      "messages": [{"role": "user", "content": "Card lost"}]})"));
  REQUIRE(call->output().ok());
  CHECK(J(*call->output()) == nlohmann::json::parse(R"({"messages": [
      {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
      {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "Card lost"},
      {"role": "user", "content": "And fees?"}],
      "text": "Be brief.\n\nHi\n\nHello!\n\nCard lost\n\nAnd fees?"})"));
}

TEST_CASE("prompt rejects a message without a valid role, naming it", "[unit]") {
  auto call = Run("prompt", Json::parse(R"({"messages": [{"role": "user", "content": "a"}, {"content": "b"}]})"));
  REQUIRE_FALSE(call->output().ok());
  CHECK_THAT(std::string(call->output().status().message()), Catch::Contains("messages[1].role"));
  FakeCompileContext compile;
  CHECK(CompileNode("prompt", Json::object(), compile) != nullptr);
  CHECK_THAT(compile.Messages(), Catch::Contains("needs one of these parameters: system, user, messages, history"));
}

TEST_CASE("llm.chat streams the test model's reply as token events and adds its usage", "[unit]") {
  TestChatModel model;
  auto call = Run("llm.chat", Json::parse(R"({"model": "test", "system": "You help.",
      "messages": [{"role": "user", "content": "block my card"}], "prompt": "please now"})"),
                  {.models = &model});
  REQUIRE(call->output().ok());
  const nlohmann::json out = J(*call->output());
  CHECK(out["text"] == "echo: please now");
  CHECK(out["finish_reason"] == "stop");
  CHECK(out["tool_calls"] == nlohmann::json::array());
  CHECK(out["usage"] == nlohmann::json::parse(R"({"prompt_tokens": 7, "completion_tokens": 3})"));
  CHECK_FALSE(out.contains("json"));
  std::string streamed;
  for (const RunEvent& event : call->events()) {
    CHECK(event.kind == RunEvent::Kind::kToken);
    streamed += event.text;
  }
  CHECK(call->events().size() == 3);
  CHECK(streamed == "echo: please now");
  CHECK(call->usage().prompt_tokens == 7);
  CHECK(call->usage().completion_tokens == 3);
}

TEST_CASE("llm.chat with json_schema returns the parsed reply that satisfies the schema", "[unit]") {
  TestChatModel model;
  const Json schema = Json::parse(R"({"type": "object", "required": ["intent", "amount"], "properties": {
      "intent": {"enum": ["refund", "block_card"]}, "amount": {"type": "number", "minimum": 5}}})");
  auto call = Run("llm.chat", Json{{"model", "test-json"}, {"prompt", "classify"}, {"json_schema", schema},
                                   {"stream", false}},
                  {.models = &model});
  REQUIRE(call->output().ok());
  const nlohmann::json out = J(*call->output());
  CHECK(out["json"] == nlohmann::json::parse(R"({"intent": "refund", "amount": 5})"));
  CHECK(CheckJsonSchema(schema, Json::parse(out["text"].get<std::string>())).ok());
  CHECK(call->events().empty());  // stream: false
}

TEST_CASE("llm.generate sends the prompt raw and llm nodes report model errors", "[unit]") {
  TestChatModel model;
  auto call = Run("llm.generate", Json{{"prompt", "Once upon a time"}, {"max_tokens", 3}}, {.models = &model});
  REQUIRE(call->output().ok());
  CHECK(J(*call->output())["text"] == "echo: Once upon");
  CHECK(J(*call->output())["finish_reason"] == "length");

  auto missing = Run("llm.chat", Json{{"model", "gpt-9"}, {"prompt", "hi"}}, {.models = &model});
  CHECK(absl::IsNotFound(missing->output().status()));
  auto no_service = Run("llm.chat", Json{{"prompt", "hi"}});
  CHECK(absl::IsFailedPrecondition(no_service->output().status()));
  CHECK_THAT(std::string(no_service->output().status().message()), Catch::Contains("models"));
  auto bad = Run("llm.chat", Json{{"prompt", "hi"}, {"temperature", "hot"}}, {.models = &model});
  CHECK_THAT(std::string(bad->output().status().message()),
             Catch::Contains("parameter 'temperature' must be a number, got str"));
}

// A ChatModel that keeps the requests it gets and answers "ok".
class RecordingChatModel final : public ChatModel {
 public:
  std::unique_ptr<ChatCancel> Chat(ChatRequest request, std::function<void(std::string_view)>,
                                   std::function<void(absl::StatusOr<ChatResult>)> on_done) override {
    requests.push_back(std::move(request));
    on_done(ChatResult{.text = "ok", .finish_reason = "stop"});
    return nullptr;
  }
  bool HasModel(std::string_view) const override { return true; }
  std::vector<ChatRequest> requests;
};

TEST_CASE("llm nodes pass the sampler settings to the model and check their ranges", "[unit]") {
  RecordingChatModel model;
  auto call = Run("llm.chat",
                  Json{{"prompt", "hi"}, {"top_k", 40}, {"min_p", 0.05}, {"repetition_penalty", 1.1},
                       {"frequency_penalty", 0.5}, {"presence_penalty", -0.25}},
                  {.models = &model});
  REQUIRE(call->output().ok());
  REQUIRE(model.requests.size() == 1);
  const ChatRequest& sent = model.requests[0];
  CHECK(sent.top_k == 40);
  CHECK(sent.min_p == 0.05);
  CHECK(sent.repetition_penalty == 1.1);
  CHECK(sent.frequency_penalty == 0.5);
  CHECK(sent.presence_penalty == -0.25);
  call = Run("llm.generate", Json{{"prompt", "hi"}}, {.models = &model});
  REQUIRE(model.requests.size() == 2);
  CHECK(model.requests[1].top_k == 0);
  CHECK(model.requests[1].repetition_penalty == 1);
  CHECK(model.requests[1].frequency_penalty == 0);
  const std::vector<std::pair<std::string, Json>> bad_values = {
      {"top_k", -1}, {"min_p", 2}, {"repetition_penalty", 0}, {"frequency_penalty", 3}, {"presence_penalty", -3}};
  for (const auto& [name, value] : bad_values) {
    auto bad = Run("llm.chat", Json{{"prompt", "hi"}, {name, value}}, {.models = &model});
    INFO(name);
    CHECK(absl::IsInvalidArgument(bad->output().status()));
    CHECK_THAT(std::string(bad->output().status().message()), Catch::Contains(name));
  }
  CHECK(model.requests.size() == 2);
}

TEST_CASE("cancelling the run cancels a streaming model call", "[unit]") {
  Executor executor({.threads = 1});
  TestChatModel model(&executor);
  model.AddModel({.name = "slow", .default_text = "a b c d e f", .first_token_delay = absl::Milliseconds(20),
                  .token_interval = absl::Milliseconds(200)});
  FakeCompileContext compile;
  const Json with = {{"model", "slow"}, {"prompt", "go"}};
  auto impl = CompileNode("llm.chat", with, compile);
  FakeNodeCall call({.executor = &executor, .models = &model}, ParamsOf("llm.chat", with));
  impl->Start(call);
  CHECK(call.finish_count() == 0);  // nothing is delivered inline
  while (call.events().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  call.Cancel();
  REQUIRE(call.Wait(std::chrono::seconds(5)));
  CHECK(absl::IsCancelled(call.output().status()));
  CHECK(call.events().size() < 6);
  executor.Shutdown();
  CHECK(call.finish_count() == 1);
}

TEST_CASE("router chooses the first route whose condition holds and declares every target", "[unit]") {
  const Json with = Json::parse(R"({"routes": [{"when": "{{ inputs.amount > 100 }}", "to": "review"},
      {"when": "{{ inputs.kind == 'refund' }}", "to": "refund"}, {"to": "answer"}]})");
  FakeCompileContext compile;
  auto impl = CompileNode("router", with, compile);
  REQUIRE(impl != nullptr);
  CHECK(compile.routes == std::vector<std::string>{"review", "refund", "answer"});
  auto choose = [&](const char* inputs) {
    FakeNodeCall call({}, ParamsOf("router", with),
                      tmpl::Value::FromJson(nlohmann::json{{"inputs", nlohmann::json::parse(inputs)}}));
    impl->Start(call);
    REQUIRE(call.output().ok());
    return J(*call.output());
  };
  CHECK(choose(R"({"amount": 500, "kind": "refund"})") == nlohmann::json{{"next", "review"}});
  CHECK(choose(R"({"amount": 5, "kind": "refund"})") == nlohmann::json{{"next", "refund"}});
  CHECK(choose(R"({"amount": 5, "kind": "other"})") == nlohmann::json{{"next", "answer"}});
}

TEST_CASE("router without a matching route chooses nothing; bad routes are compile problems", "[unit]") {
  const Json with = Json::parse(R"({"routes": [{"when": "{{ false }}", "to": "a"}]})");
  FakeCompileContext compile;
  auto impl = CompileNode("router", with, compile);
  FakeNodeCall call({}, ParamsOf("router", with));
  impl->Start(call);
  CHECK(J(*call.output()) == nlohmann::json::parse(R"({"next": []})"));

  FakeCompileContext bad;
  CHECK(CompileNode("router", Json::parse(R"({"routes": [{"when": "{{ x }}"}, {"to": "{{ y }}"},
      {"to": "b", "if": 1}]})"), bad) == nullptr);
  CHECK_THAT(bad.Messages(), Catch::Contains("routes[0] needs `to`"));
  CHECK_THAT(bad.Messages(), Catch::Contains("routes[1].to must name a node"));
  CHECK_THAT(bad.Messages(), Catch::Contains("routes[2] has unknown key 'if'"));
  FakeCompileContext empty;
  CHECK(CompileNode("router", Json{{"routes", Json::array()}}, empty) == nullptr);
  CHECK_THAT(empty.Messages(), Catch::Contains("non-empty list"));
}

TEST_CASE("transform outputs every parameter as a field", "[unit]") {
  auto call = Run("transform", Json::parse(R"({"answer": "yes", "n": 3, "tags": ["a"]})"));
  CHECK(J(*call->output()) == nlohmann::json::parse(R"({"answer": "yes", "n": 3, "tags": ["a"]})"));
}

TEST_CASE("handoff.human interrupts, and on resume outputs the decision without failing", "[unit]") {
  const Json with = Json::parse(R"({"reason": "refund over limit", "payload": {"amount": 900}})");
  auto first = Run("handoff.human", with);
  CHECK(first->interrupted());
  CHECK(first->finish_count() == 0);
  CHECK(first->interrupt_reason() == "refund over limit");
  CHECK(J(first->interrupt_payload()) == nlohmann::json{{"amount", 900}});

  FakeCompileContext compile;
  auto impl = CompileNode("handoff.human", with, compile);
  FakeNodeCall resumed({}, ParamsOf("handoff.human", with));
  resumed.set_resume_data(tmpl::Value::FromJson(nlohmann::json{{"approved", false}}));
  impl->Start(resumed);
  REQUIRE(resumed.output().ok());
  CHECK(J(*resumed.output()) == nlohmann::json::parse(R"({"approved": false, "payload": {"amount": 900}})"));
  CHECK_FALSE(resumed.interrupted());
}

TEST_CASE("output.json reads fenced JSON and reports schema failures as valid=false without repair", "[unit]") {
  const Json schema = Json::parse(R"({"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}})");
  auto good = Run("output.json", Json{{"text", "Sure!\n```json\n{\"id\": 7}\n```\nAnything else?"}, {"schema", schema}});
  REQUIRE(good->output().ok());
  CHECK(J(*good->output()) == nlohmann::json::parse(R"({"json": {"id": 7}, "valid": true, "repaired": false})"));
  auto wrong = Run("output.json", Json{{"text", R"({"id": "seven"})"}, {"schema", schema}, {"repair", false}});
  REQUIRE(wrong->output().ok());
  CHECK(J(*wrong->output())["valid"] == false);
  auto broken = Run("output.json", Json{{"text", "no json here"}, {"repair", false}});
  CHECK(absl::IsInvalidArgument(broken->output().status()));
  CHECK_THAT(std::string(broken->output().status().message()), Catch::Contains("not JSON"));
}

TEST_CASE("output.json asks the model once to repair invalid JSON", "[unit]") {
  const Json schema = Json::parse(R"({"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}})");
  TestChatModel model;
  model.AddModel({.name = "fixer", .replies = {{"$.id: expected integer", R"({"id": 42})"}}, .default_text = "??"});
  auto repaired = Run("output.json", Json{{"text", R"({"id": "x"})"}, {"schema", schema}, {"model", "fixer"}},
                      {.models = &model});
  REQUIRE(repaired->output().ok());
  CHECK(J(*repaired->output()) == nlohmann::json::parse(R"({"json": {"id": 42}, "valid": true, "repaired": true})"));
  CHECK(repaired->usage().completion_tokens == 2);

  auto still_bad = Run("output.json", Json{{"text", "{oops"}, {"schema", schema}, {"model", "fixer"}},
                       {.models = &model});
  REQUIRE_FALSE(still_bad->output().ok());
  CHECK_THAT(std::string(still_bad->output().status().message()), Catch::Contains("the repaired reply is still bad"));
  auto json_model = Run("output.json", Json{{"text", "{oops"}, {"schema", schema}, {"model", "test-json"}},
                        {.models = &model});
  REQUIRE(json_model->output().ok());
  CHECK(J(*json_model->output())["json"] == nlohmann::json{{"id", 0}});
}

}  // namespace
}  // namespace catena::chains
