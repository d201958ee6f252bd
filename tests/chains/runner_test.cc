#include "chains/runner.h"

#include <catch2/catch.hpp>

#include "absl/synchronization/notification.h"
#include "tests/chains/runner_test_support.h"

namespace catena::chains {
namespace {

using namespace std::chrono_literals;
using testing::AsyncNode;
using testing::EchoNode;
using testing::FlakyNode;
using testing::HangingNode;
using testing::Json;
using testing::PipelineBuilder;
using testing::Probe;
using testing::RouteNode;
using testing::SteadyClock;

struct Fixture {
  Executor executor{ExecutorOptions{.threads = 4, .name = "runner-test"}};
  RunnerOptions Options() {
    RunnerOptions options;
    options.services.executor = &executor;
    return options;
  }
};

double MsBetween(SteadyClock::time_point a, SteadyClock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

TEST_CASE("a synchronous chain runs inline on the calling thread and evaluates the outputs", "[unit]") {
  Fixture fixture;
  Runner runner(fixture.Options());
  auto probe = std::make_shared<Probe>();
  PipelineBuilder builder;
  builder.Input("question", FieldType::kString, true);
  builder.Add("prompt", std::make_unique<EchoNode>(probe));
  builder.Param("prompt", "text", "Q: {{ inputs.question }}");
  builder.Add("model", std::make_unique<EchoNode>(probe), {"prompt"});
  builder.Param("model", "text", "echo: {{ nodes.prompt.text }}");
  builder.Add("shape", std::make_unique<EchoNode>(probe), {"model"});
  builder.Param("shape", "answer", "{{ nodes.model.text | upper }}");
  builder.Output("answer", "{{ nodes.shape.answer }}");
  auto pipeline = builder.Build();

  RunResult result = runner.Run(pipeline, Json(R"({"question": "why?"})"), {});
  REQUIRE(result.status.ok());
  REQUIRE(result.state == RunResult::State::kCompleted);
  CHECK(result.outputs.map().Find("answer")->string_value() == "ECHO: Q: WHY?");
  CHECK(result.run_id.size() == 32);
  CHECK(probe->calls == 3);
  for (std::thread::id thread : probe->threads) CHECK(thread == std::this_thread::get_id());
  CHECK(runner.running() == 0);
}

TEST_CASE("independent asynchronous branches overlap in time", "[unit]") {
  Fixture fixture;
  Runner runner(fixture.Options());
  auto probe = std::make_shared<Probe>();
  PipelineBuilder builder;
  builder.Add("root", std::make_unique<EchoNode>());
  builder.Add("left", std::make_unique<AsyncNode>(probe, 100ms), {"root"});
  builder.Add("right", std::make_unique<AsyncNode>(probe, 100ms), {"root"});
  builder.Add("join", std::make_unique<EchoNode>(), {"left", "right"});
  builder.Output("done", "{{ nodes.join.ran }}");
  const auto start = SteadyClock::now();
  RunResult result = runner.Run(builder.Build(), tmpl::Value(), {});
  const double elapsed = MsBetween(start, SteadyClock::now());
  REQUIRE(result.status.ok());
  CHECK(result.outputs.map().Find("done")->bool_value());
  REQUIRE(probe->intervals.size() == 2);
  const auto& a = probe->intervals[0];
  const auto& b = probe->intervals[1];
  CHECK(std::max(a.first, b.first) < std::min(a.second, b.second));  // the two waits overlapped
  CHECK(elapsed < 190);
}

TEST_CASE("a false guard skips the node and its dependents, and join any still runs", "[unit]") {
  Fixture fixture;
  Runner runner(fixture.Options());
  PipelineBuilder builder;
  builder.Input("flag", FieldType::kBool, true);
  builder.Add("a", std::make_unique<EchoNode>());
  builder.Add("guarded", std::make_unique<EchoNode>(), {"a"});
  builder.When("guarded", "{{ inputs.flag }}");
  builder.Add("after_all", std::make_unique<EchoNode>(), {"guarded"});
  builder.Add("after_any", std::make_unique<EchoNode>(), {"a", "guarded"});
  builder.node("after_any").policy.join_any = true;
  builder.Output("all", "{{ nodes.after_all is defined }}");
  builder.Output("any", "{{ nodes.after_any.ran }}");
  builder.Output("guarded", "{{ nodes.guarded.ran }}");
  auto pipeline = builder.Build();

  std::vector<std::string> events;
  RunOptions options;
  options.sink = [&](const RunEvent& e) { events.push_back(std::string(RunEventKindName(e.kind)) + ":" + e.node); };
  RunResult result = runner.Run(pipeline, Json(R"({"flag": false})"), options);
  INFO(result.status.ToString());
  REQUIRE(result.status.ok());
  CHECK_FALSE(result.outputs.map().Find("all")->bool_value());
  CHECK(result.outputs.map().Find("any")->bool_value());
  CHECK(result.outputs.map().Find("guarded")->is_none());  // skipped nodes are undefined -> null
  CHECK(std::count(events.begin(), events.end(), "node_skipped:guarded") == 1);
  CHECK(std::count(events.begin(), events.end(), "node_skipped:after_all") == 1);

  RunResult taken = runner.Run(pipeline, Json(R"({"flag": true})"), {});
  CHECK(taken.outputs.map().Find("all")->bool_value());
}

TEST_CASE("a router's next runs the chosen target and skips the others", "[unit]") {
  Fixture fixture;
  Runner runner(fixture.Options());
  auto refund = std::make_shared<Probe>();
  auto other = std::make_shared<Probe>();
  PipelineBuilder builder;
  builder.Add("route", std::make_unique<RouteNode>());
  builder.Param("route", "choice", "{{ inputs.choice }}");
  builder.Add("refund", std::make_unique<EchoNode>(refund), {"route"});
  builder.Add("other", std::make_unique<EchoNode>(other), {"route"});
  builder.Routes("route", {"refund", "other"});
  builder.Add("reply", std::make_unique<EchoNode>(), {"refund", "other"});
  builder.node("reply").policy.join_any = true;
  builder.Output("refund", "{{ nodes.refund is defined }}");
  builder.Output("reply", "{{ nodes.reply.ran }}");
  auto pipeline = builder.Build();

  RunResult result = runner.Run(pipeline, Json(R"({"choice": "refund"})"), {});
  REQUIRE(result.status.ok());
  CHECK(result.outputs.map().Find("refund")->bool_value());
  CHECK(result.outputs.map().Find("reply")->bool_value());
  CHECK(refund->calls == 1);
  CHECK(other->calls == 0);

  RunResult unknown = runner.Run(pipeline, Json(R"({"choice": "nowhere"})"), {});
  CHECK(unknown.state == RunResult::State::kFailed);
  CHECK_THAT(std::string(unknown.status.message()), Catch::Contains("'nowhere', which is not one of its routes"));
}

TEST_CASE("a failing node is retried with doubling backoff until it succeeds", "[unit]") {
  Fixture fixture;
  Runner runner(fixture.Options());
  auto probe = std::make_shared<Probe>();
  PipelineBuilder builder;
  builder.Add("flaky", std::make_unique<FlakyNode>(probe, 2));
  builder.node("flaky").policy.retries = 2;
  builder.node("flaky").policy.retry_backoff = absl::Milliseconds(40);
  builder.Output("attempt", "{{ nodes.flaky.attempt }}");
  RunResult result = runner.Run(builder.Build(), tmpl::Value(), {});
  REQUIRE(result.status.ok());
  CHECK(result.outputs.map().Find("attempt")->int_value() == 3);
  REQUIRE(probe->intervals.size() == 3);
  const double first_gap = MsBetween(probe->intervals[0].first, probe->intervals[1].first);
  const double second_gap = MsBetween(probe->intervals[1].first, probe->intervals[2].first);
  CHECK(first_gap >= 40 * 0.8 - 1);  // backoff 40ms +-20%
  CHECK(second_gap >= 80 * 0.8 - 1);  // doubled
  CHECK(second_gap < 80 * 1.2 + 60);
}

TEST_CASE("a node failing every attempt fails the run with an error naming it", "[unit]") {
  Fixture fixture;
  Runner runner(fixture.Options());
  auto probe = std::make_shared<Probe>();
  PipelineBuilder builder;
  builder.Add("flaky", std::make_unique<FlakyNode>(probe, 100));
  builder.node("flaky").policy.retries = 2;
  builder.node("flaky").policy.retry_backoff = absl::Milliseconds(1);
  std::vector<RunEvent> events;
  RunOptions options;
  options.sink = [&](const RunEvent& e) { events.push_back(e); };
  RunResult result = runner.Run(builder.Build(), tmpl::Value(), options);
  CHECK(result.state == RunResult::State::kFailed);
  CHECK(result.status.code() == absl::StatusCode::kUnavailable);
  CHECK(std::string(result.status.message()) == "node 'flaky': backend down");
  CHECK(probe->calls == 3);
  REQUIRE(!events.empty());
  CHECK(events.back().kind == RunEvent::Kind::kError);
  CHECK(events.back().node == "flaky");
}

TEST_CASE("a node past its timeout fails with DEADLINE_EXCEEDED and is told to cancel", "[unit]") {
  Fixture fixture;
  Runner runner(fixture.Options());
  auto probe = std::make_shared<Probe>();
  PipelineBuilder builder;
  builder.Add("slow", std::make_unique<HangingNode>(probe));
  builder.node("slow").policy.timeout = absl::Milliseconds(30);
  const auto start = SteadyClock::now();
  RunResult result = runner.Run(builder.Build(), tmpl::Value(), {});
  CHECK(MsBetween(start, SteadyClock::now()) >= 29);
  CHECK(result.state == RunResult::State::kFailed);
  CHECK(result.status.code() == absl::StatusCode::kDeadlineExceeded);
  CHECK_THAT(std::string(result.status.message()), Catch::Contains("node 'slow': timed out after 30ms"));
  CHECK(probe->cancels == 1);
}

TEST_CASE("a fallback node's output replaces the failed node's for its dependents", "[unit]") {
  Fixture fixture;
  Runner runner(fixture.Options());
  auto probe = std::make_shared<Probe>();
  PipelineBuilder builder;
  builder.Add("backup", std::make_unique<EchoNode>());
  builder.Param("backup", "text", "from backup");
  builder.node("backup").is_fallback = true;
  builder.Add("primary", std::make_unique<FlakyNode>(probe, 100));
  builder.node("primary").fallback = builder.Index("backup");
  builder.Add("use", std::make_unique<EchoNode>(), {"primary"});
  builder.Param("use", "text", "{{ nodes.primary.text }}");
  builder.Output("text", "{{ nodes.use.text }}");
  RunResult result = runner.Run(builder.Build(), tmpl::Value(), {});
  REQUIRE(result.status.ok());
  CHECK(result.outputs.map().Find("text")->string_value() == "from backup");
  CHECK(probe->calls == 1);
}

TEST_CASE("a cached node runs once for the same resolved parameters", "[unit]") {
  Fixture fixture;
  Runner runner(fixture.Options());
  auto probe = std::make_shared<Probe>();
  PipelineBuilder builder;
  builder.Add("lookup", std::make_unique<EchoNode>(probe));
  builder.Param("lookup", "q", "{{ inputs.q }}");
  builder.node("lookup").policy.cache_ttl = absl::Seconds(60);
  builder.Output("q", "{{ nodes.lookup.q }}");
  auto pipeline = builder.Build();
  for (int i = 0; i < 3; ++i) {
    RunResult result = runner.Run(pipeline, Json(R"({"q": "same"})"), {});
    REQUIRE(result.status.ok());
    CHECK(result.outputs.map().Find("q")->string_value() == "same");
  }
  CHECK(probe->calls == 1);
  CHECK(runner.Run(pipeline, Json(R"({"q": "other"})"), {}).status.ok());
  CHECK(probe->calls == 2);
}

TEST_CASE("cancel stops a run, tells running nodes and reports CANCELLED", "[unit]") {
  Fixture fixture;
  Runner runner(fixture.Options());
  auto probe = std::make_shared<Probe>();
  PipelineBuilder builder;
  builder.Add("slow", std::make_unique<HangingNode>(probe));
  builder.Add("after", std::make_unique<EchoNode>(), {"slow"});
  absl::Notification done;
  RunResult result;
  auto handle = runner.Start(builder.Build(), tmpl::Value(), {}, [&](RunResult r) {
    result = std::move(r);
    done.Notify();
  });
  REQUIRE(handle.ok());
  CHECK_FALSE(done.HasBeenNotified());
  (*handle)->Cancel();
  REQUIRE(done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  CHECK(result.state == RunResult::State::kCancelled);
  CHECK(result.status.code() == absl::StatusCode::kCancelled);
  CHECK(probe->cancels == 1);
}

TEST_CASE("the run deadline fails a run that is still waiting", "[unit]") {
  Fixture fixture;
  Runner runner(fixture.Options());
  auto probe = std::make_shared<Probe>();
  PipelineBuilder builder;
  builder.Add("slow", std::make_unique<HangingNode>(probe));
  RunOptions options;
  options.deadline = absl::Now() + absl::Milliseconds(40);
  RunResult result = runner.Run(builder.Build(), tmpl::Value(), options);
  CHECK(result.state == RunResult::State::kFailed);
  CHECK(result.status.code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(probe->cancels == 1);
}

TEST_CASE("runs beyond max_concurrent_runs queue in order and a full queue is RESOURCE_EXHAUSTED", "[unit]") {
  Fixture fixture;
  RunnerOptions runner_options = fixture.Options();
  runner_options.max_concurrent_runs = 1;
  runner_options.max_queued_runs = 1;
  Runner runner(runner_options);
  auto probe = std::make_shared<Probe>();
  PipelineBuilder builder;
  builder.Add("slow", std::make_unique<HangingNode>(probe));
  auto pipeline = builder.Build();
  std::atomic<int> finished{0};
  auto first = runner.Start(pipeline, tmpl::Value(), {}, [&](RunResult) { finished++; });
  auto second = runner.Start(pipeline, tmpl::Value(), {}, [&](RunResult) { finished++; });
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(runner.running() == 1);
  CHECK(runner.queued() == 1);
  auto third = runner.Start(pipeline, tmpl::Value(), {}, [&](RunResult) { finished++; });
  REQUIRE(third.status().code() == absl::StatusCode::kResourceExhausted);
  CHECK(probe->calls == 1);
  (*first)->Cancel();  // frees the slot: the queued run starts
  for (int i = 0; i < 500 && probe->calls < 2; ++i) std::this_thread::sleep_for(2ms);
  CHECK(probe->calls == 2);
  CHECK(runner.queued() == 0);
  (*second)->Cancel();
  CHECK(finished == 2);
}

TEST_CASE("inputs are checked against the declared inputs and defaults are applied", "[unit]") {
  Fixture fixture;
  Runner runner(fixture.Options());
  PipelineBuilder builder;
  builder.Input("question", FieldType::kString, true);
  builder.Input("k", FieldType::kInt, false);
  builder.Default("k", 5);
  builder.Add("echo", std::make_unique<EchoNode>());
  builder.Param("echo", "k", "{{ inputs.k }}");
  builder.Output("k", "{{ nodes.echo.k }}");
  auto pipeline = builder.Build();

  auto missing = runner.Start(pipeline, Json(R"({"k": 1})"), {}, [](RunResult) {});
  CHECK(missing.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(missing.status().message()) == "input 'question' is required");
  auto wrong = runner.Start(pipeline, Json(R"({"question": "q", "k": "five"})"), {}, [](RunResult) {});
  CHECK(std::string(wrong.status().message()) == "input 'k' must be int, got str");
  auto unknown = runner.Start(pipeline, Json(R"({"question": "q", "kk": 1})"), {}, [](RunResult) {});
  CHECK_THAT(std::string(unknown.status().message()), Catch::Contains("input 'kk' is not declared"));
  RunResult result = runner.Run(pipeline, Json(R"({"question": "q"})"), {});
  REQUIRE(result.status.ok());
  CHECK(result.outputs.map().Find("k")->int_value() == 5);
}

TEST_CASE("events arrive in seq order: run_started first, node events in between, final last", "[unit]") {
  Fixture fixture;
  Runner runner(fixture.Options());
  auto probe = std::make_shared<Probe>();
  PipelineBuilder builder;
  builder.Add("a", std::make_unique<EchoNode>());
  builder.Add("model", std::make_unique<AsyncNode>(probe, 5ms, 3), {"a"});
  builder.Add("b", std::make_unique<AsyncNode>(probe, 5ms), {"a"});
  builder.Add("c", std::make_unique<EchoNode>(), {"model", "b"});
  builder.Output("ok", "{{ nodes.c.ran }}");
  std::vector<RunEvent> events;
  std::atomic<bool> concurrent{false};
  std::atomic<int> inside{0};
  RunOptions options;
  options.sink = [&](const RunEvent& e) {
    if (inside++ != 0) concurrent = true;
    events.push_back(e);
    inside--;
  };
  RunResult result = runner.Run(builder.Build(), tmpl::Value(), options);
  REQUIRE(result.status.ok());
  CHECK_FALSE(concurrent);
  REQUIRE(events.size() == 1 + 4 * 2 + 3 + 1);
  for (size_t i = 0; i < events.size(); ++i) CHECK(events[i].seq == static_cast<int64_t>(i + 1));
  CHECK(events.front().kind == RunEvent::Kind::kRunStarted);
  CHECK(events.back().kind == RunEvent::Kind::kFinal);
  CHECK(events.back().data.map().Find("ok")->bool_value());
  auto position = [&](RunEvent::Kind kind, const std::string& node) {
    for (size_t i = 0; i < events.size(); ++i) {
      if (events[i].kind == kind && events[i].node == node) return static_cast<int>(i);
    }
    return -1;
  };
  CHECK(position(RunEvent::Kind::kNodeFinished, "a") < position(RunEvent::Kind::kNodeStarted, "model"));
  CHECK(position(RunEvent::Kind::kNodeStarted, "model") < position(RunEvent::Kind::kToken, "model"));
  CHECK(position(RunEvent::Kind::kToken, "model") < position(RunEvent::Kind::kNodeFinished, "model"));
  CHECK(position(RunEvent::Kind::kNodeFinished, "b") < position(RunEvent::Kind::kNodeStarted, "c"));
}

TEST_CASE("a nested run reports its node events prefixed with the parent node", "[unit]") {
  Fixture fixture;
  Runner runner(fixture.Options());
  auto probe = std::make_shared<Probe>();
  PipelineBuilder body;
  body.Add("inner", std::make_unique<AsyncNode>(probe, 2ms));
  body.Param("inner", "value", "{{ inputs.x * 2 }}");
  body.Output("doubled", "{{ nodes.inner.value }}");
  PipelineBuilder builder;
  builder.Add("outer", std::make_unique<testing::NestedNode>(body.Build()));
  builder.Param("outer", "x", "{{ inputs.x }}");
  builder.Output("y", "{{ nodes.outer.doubled }}");
  std::vector<std::string> events;
  RunOptions options;
  options.sink = [&](const RunEvent& e) { events.push_back(std::string(RunEventKindName(e.kind)) + ":" + e.node); };
  RunResult result = runner.Run(builder.Build(), Json(R"({"x": 21})"), options);
  REQUIRE(result.status.ok());
  CHECK(result.outputs.map().Find("y")->int_value() == 42);
  const std::vector<std::string> expected = {"run_started:",         "node_started:outer",
                                             "node_started:outer/inner", "node_finished:outer/inner",
                                             "node_finished:outer",  "final:"};
  CHECK(events == expected);
}

}  // namespace
}  // namespace catena::chains

namespace catena::chains {
namespace {

TEST_CASE("a nested body sees its extra roots (item) beside its declared inputs", "[unit]") {
  Fixture fixture;
  Runner runner(fixture.Options());
  PipelineBuilder body;
  body.Input("x", FieldType::kInt, true);
  body.ExtraRoot("item");
  body.Add("inner", std::make_unique<EchoNode>());
  body.Param("inner", "text", "{{ item }}-{{ inputs.x }}");
  body.Output("text", "{{ nodes.inner.text }}");
  PipelineBuilder builder;
  builder.Add("outer", std::make_unique<testing::NestedNode>(body.Build()));
  builder.Param("outer", "x", "{{ 7 }}");
  builder.Param("outer", "item", "apple");
  builder.Output("text", "{{ nodes.outer.text }}");
  RunResult result = runner.Run(builder.Build(), tmpl::Value(), {});
  REQUIRE(result.status.ok());
  CHECK(result.outputs.map().Find("text")->string_value() == "apple-7");
}

TEST_CASE("a chain of 20,000 synchronous nodes runs without growing the stack", "[unit]") {
  Fixture fixture;
  Runner runner(fixture.Options());
  PipelineBuilder builder;
  constexpr int kLength = 20000;
  for (int i = 0; i < kLength; ++i) {
    const std::string id = "n" + std::to_string(i);
    if (i == 0) {
      builder.Add(id, std::make_unique<EchoNode>());
    } else {
      builder.Add(id, std::make_unique<EchoNode>(), {"n" + std::to_string(i - 1)});
    }
  }
  builder.Output("last", "{{ nodes.n19999.ran }}");
  RunResult result = runner.Run(builder.Build(), tmpl::Value(), {});
  REQUIRE(result.status.ok());
  CHECK(result.outputs.map().Find("last")->bool_value());
}

TEST_CASE("destroying the runner cancels the runs still executing and waits for them", "[unit]") {
  Fixture fixture;
  auto probe = std::make_shared<Probe>();
  PipelineBuilder builder;
  builder.Add("slow", std::make_unique<HangingNode>(probe));
  auto pipeline = builder.Build();
  std::vector<RunResult::State> states;
  std::mutex mu;
  {
    Runner runner(fixture.Options());
    for (int i = 0; i < 3; ++i) {
      auto handle = runner.Start(pipeline, tmpl::Value(), {}, [&](RunResult result) {
        std::lock_guard<std::mutex> lock(mu);
        states.push_back(result.state);
      });
      REQUIRE(handle.ok());
    }
    CHECK(runner.running() == 3);
  }
  REQUIRE(states.size() == 3);
  for (RunResult::State state : states) CHECK(state == RunResult::State::kCancelled);
  CHECK(probe->cancels == 3);
}

}  // namespace
}  // namespace catena::chains
