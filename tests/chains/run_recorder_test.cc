// RunRecorder (trace writes while a run goes) and ChatModelRouter (model name -> provider).
#include "chains/run_recorder.h"

#include <catch2/catch.hpp>

#include "chains/chat_model_router.h"
#include "chains/service_chat_models.h"
#include "tests/support/temp_dir.h"

namespace catena::chains {
namespace {

v1::RunEvent Token(int64_t seq) {
  v1::RunEvent event;
  event.set_seq(seq);
  event.mutable_token()->set_text_delta("t" + std::to_string(seq));
  return event;
}

struct StoreFixture {
  testing::TempDir dir{"run-recorder"};
  std::unique_ptr<PipelineStore> store = *PipelineStore::Open({.path = (dir.path() / "db").string()});
};

TEST_CASE("the recorder writes events in batches and at interrupts, and the state at the end", "[unit]") {
  StoreFixture fixture;
  v1::RunTrace header;
  header.set_run_id("r1");
  header.set_pipeline("p");
  RunRecorder recorder(fixture.store.get(), "t", header, 0);
  REQUIRE(recorder.Begin(500).ok());
  CHECK(fixture.store->GetRun("t", "r1")->state() == "running");
  CHECK(fixture.store->GetRun("t", "r1")->started_at_unix_ms() == 500);

  for (int i = 1; i < static_cast<int>(RunRecorder::kBatch); ++i) recorder.Record(Token(i));
  CHECK(fixture.store->GetRun("t", "r1")->events_size() == 0);  // still buffered
  recorder.Record(Token(32));
  CHECK(fixture.store->GetRun("t", "r1")->events_size() == 32);

  v1::RunEvent interrupt;
  interrupt.mutable_interrupt()->set_node("approve");
  interrupt.mutable_interrupt()->set_reason("ok?");
  recorder.Record(interrupt);
  CHECK(fixture.store->GetRun("t", "r1")->events_size() == 33);  // interrupts are written at once
  CHECK(recorder.last_interrupt().node() == "approve");

  RunResult result{.state = RunResult::State::kInterrupted, .run_id = "r1"};
  result.usage = {.prompt_tokens = 2, .completion_tokens = 3};
  recorder.Finish(result, 900);
  auto trace = fixture.store->GetRun("t", "r1");
  CHECK(trace->state() == "interrupted");
  CHECK(trace->finished_at_unix_ms() == 0);
  CHECK(trace->usage().total_tokens() == 5);

  // The resumed part appends after the stored events and adds its usage.
  auto stored = fixture.store->GetRunHeader("t", "r1");
  RunRecorder resumed(fixture.store.get(), "t", stored->first, stored->second);
  REQUIRE(resumed.Begin(1000).ok());
  resumed.Record(Token(34));
  tmpl::Value outputs = tmpl::Value::Dict();
  outputs.map().Set("answer", "done");
  RunResult final_result{.state = RunResult::State::kCompleted, .run_id = "r1", .outputs = outputs};
  final_result.usage = {.prompt_tokens = 1, .completion_tokens = 1};
  resumed.Finish(final_result, 1200);
  trace = fixture.store->GetRun("t", "r1");
  CHECK(trace->state() == "completed");
  CHECK(trace->started_at_unix_ms() == 500);
  CHECK(trace->finished_at_unix_ms() == 1200);
  CHECK(trace->usage().total_tokens() == 7);
  CHECK(trace->outputs().fields().at("answer").string_value() == "done");
  REQUIRE(trace->events_size() == 34);
  CHECK(trace->events(33).token().text_delta() == "t34");
}

TEST_CASE("a failed run stores its error with the node of the error event", "[unit]") {
  StoreFixture fixture;
  v1::RunTrace header;
  header.set_run_id("r2");
  RunRecorder recorder(fixture.store.get(), "t", header, 0);
  REQUIRE(recorder.Begin(1).ok());
  v1::RunEvent error;
  error.mutable_error()->set_node("search");
  recorder.Record(error);
  recorder.Finish({.state = RunResult::State::kFailed, .run_id = "r2", .status = absl::NotFoundError("no kb")}, 2);
  auto trace = fixture.store->GetRun("t", "r2");
  CHECK(trace->state() == "failed");
  CHECK(trace->error().node() == "search");
  CHECK(trace->error().code() == static_cast<int>(absl::StatusCode::kNotFound));
  CHECK(trace->error().message() == "no kb");
  REQUIRE(fixture.store->DeleteRun("t", "r2").ok());
  CHECK(fixture.store->GetRun("t", "r2").status().code() == absl::StatusCode::kNotFound);
  CHECK(fixture.store->CountRuns("t").value() == 0);
}

// Serves the models it names; answers with its own label.
class LabelModel final : public ChatModel {
 public:
  LabelModel(std::string label, std::vector<std::string> models)
      : label_(std::move(label)), models_(std::move(models)) {}
  std::unique_ptr<ChatCancel> Chat(ChatRequest request, std::function<void(std::string_view)> on_delta,
                                   std::function<void(absl::StatusOr<ChatResult>)> on_done) override {
    if (!HasModel(request.model)) {
      on_done(absl::NotFoundError(label_ + ": no model " + request.model));
      return nullptr;
    }
    on_delta(label_);
    on_done(ChatResult{.text = label_});
    return nullptr;
  }
  bool HasModel(std::string_view model) const override {
    return std::find(models_.begin(), models_.end(), model) != models_.end();
  }

 private:
  std::string label_;
  std::vector<std::string> models_;
};

std::string Ask(ChatModel& model, const std::string& name) {
  std::string answer;
  model.Chat(
      {.model = name}, [](std::string_view) {},
      [&](absl::StatusOr<ChatResult> result) { answer = result.ok() ? result->text : result.status().ToString(); });
  return answer;
}

TEST_CASE("the router sends each model name to the provider that serves it", "[unit]") {
  ChatModelRouter router({std::make_shared<LabelModel>("test", std::vector<std::string>{"test", "test-json"}), nullptr,
                          std::make_shared<LabelModel>("engine", std::vector<std::string>{"", "qwen"})});
  CHECK(Ask(router, "test") == "test");
  CHECK(Ask(router, "qwen") == "engine");
  CHECK(Ask(router, "") == "engine");
  CHECK_THAT(Ask(router, "gpt-9"), Catch::Contains("engine: no model gpt-9"));
  CHECK(router.HasModel("test-json"));
  CHECK_FALSE(router.HasModel("gpt-9"));
  ChatModelRouter empty({});
  CHECK_THAT(Ask(empty, "x"), Catch::Contains("no chat models are configured"));
}

TEST_CASE("an alias stands for its target until a provider serves the alias's own name", "[unit]") {
  auto extractive = std::make_shared<LabelModel>("extractive", std::vector<std::string>{"extractive"});
  ChatModelRouter aliased({extractive}, DefaultModelAlias("extractive"));
  CHECK(aliased.HasModel("default"));
  CHECK(Ask(aliased, "default") == "extractive");  // the provider receives the target's name
  ChatModelRouter served({extractive, std::make_shared<LabelModel>("gguf", std::vector<std::string>{"default"})},
                         DefaultModelAlias("extractive"));
  CHECK(Ask(served, "default") == "gguf");
  ChatModelRouter dangling({extractive}, DefaultModelAlias("gpt-9"));
  CHECK_FALSE(dangling.HasModel("default"));
  CHECK(DefaultModelAlias("").empty());
  CHECK(DefaultModelAlias("default").empty());
}

}  // namespace
}  // namespace catena::chains
