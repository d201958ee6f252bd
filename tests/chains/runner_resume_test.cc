// Checkpoints and resume: the MemoryStore-backed CheckpointStore, interrupts, and resuming after a restart
// (a new Runner over the reopened store) where only the remaining branch runs.
#include <catch2/catch.hpp>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "chains/checkpoint_store.h"
#include "chains/runner.h"
#include "memory/memory_store.h"
#include "nlohmann/json.hpp"
#include "tests/chains/runner_test_support.h"
#include "tests/support/temp_dir.h"

namespace catena::chains {
namespace {

using testing::ApprovalNode;
using testing::EchoNode;
using testing::Json;
using testing::PipelineBuilder;
using testing::Probe;

std::unique_ptr<memory::MemoryStore> OpenStore(const catena::testing::TempDir& dir) {
  auto store = memory::MemoryStore::Open({.path = (dir.path() / "db").string()});
  REQUIRE(store.ok());
  return *std::move(store);
}

// The memory checkpoint store, behind the write-behind queue for durability async.
std::unique_ptr<CheckpointStore> Checkpoints(memory::MemoryStore* store, CheckpointDurability durability) {
  auto checkpoints = NewMemoryCheckpointStore(store);
  if (durability == CheckpointDurability::kAsync) return NewAsyncCheckpointStore(std::move(checkpoints));
  return checkpoints;
}

// Counts and fails writes on demand; records what reached it, in order.
class FlakyStore final : public CheckpointStore {
 public:
  absl::Status Put(std::string_view, std::string_view, std::string_view run_id, int64_t step, std::string state,
                   bool sync) override {
    if (gate != nullptr) gate->WaitForNotification();
    std::lock_guard<std::mutex> lock(mutex);
    if (fail_step == step) return absl::UnavailableError(absl::StrCat("disk gone at step ", step));
    written.push_back(absl::StrCat(std::string(run_id), "/", step, "=", state, sync ? " (sync)" : ""));
    return absl::OkStatus();
  }
  absl::StatusOr<StoredCheckpoint> Latest(std::string_view, std::string_view run_id) const override {
    std::lock_guard<std::mutex> lock(mutex);
    if (written.empty()) return absl::NotFoundError("none");
    return StoredCheckpoint{std::string(run_id), static_cast<int64_t>(written.size()) - 1, written.back()};
  }
  absl::StatusOr<StoredCheckpoint> Get(std::string_view tenant, std::string_view run_id, int64_t) const override {
    return Latest(tenant, run_id);
  }

  mutable std::mutex mutex;
  std::vector<std::string> written;
  int64_t fail_step = -1;
  absl::Notification* gate = nullptr;  // when set, writes wait for it
};

TEST_CASE("the async checkpoint store writes in order behind the caller and reads after its queue", "[unit]") {
  auto flaky = std::make_unique<FlakyStore>();
  FlakyStore& inner = *flaky;
  absl::Notification open;
  inner.gate = &open;
  auto store = NewAsyncCheckpointStore(std::move(flaky));
  for (int step = 0; step < 50; ++step) REQUIRE(store->Put("t", "u", "run", step, absl::StrCat("s", step)).ok());
  {
    std::lock_guard<std::mutex> lock(inner.mutex);  // the writer is held at the gate: nothing written yet
    CHECK(inner.written.empty());
  }
  open.Notify();
  auto latest = store->Latest("t", "run");  // waits for the 50 queued records
  REQUIRE(latest.ok());
  CHECK(latest->state == "run/49=s49");
  std::vector<std::string> want;
  for (int step = 0; step < 50; ++step) want.push_back(absl::StrCat("run/", step, "=s", step));
  CHECK(inner.written == want);
}

TEST_CASE("the async checkpoint store reports a failed write on the run's next put, a synced put at once", "[unit]") {
  auto flaky = std::make_unique<FlakyStore>();
  FlakyStore& inner = *flaky;
  inner.fail_step = 1;
  auto store = NewAsyncCheckpointStore(std::move(flaky));
  REQUIRE(store->Put("t", "u", "run", 0, "a").ok());
  REQUIRE(store->Put("t", "u", "run", 1, "b").ok());  // queued; fails in the writer
  REQUIRE(store->Latest("t", "run").ok());            // the queue is written
  const absl::Status next = store->Put("t", "u", "run", 2, "c");
  CHECK(next.code() == absl::StatusCode::kUnavailable);
  CHECK(next.message() == "disk gone at step 1");
  CHECK(store->Put("t", "u", "other-run", 1, "x", /*sync=*/true).code() == absl::StatusCode::kUnavailable);
  CHECK(store->Put("t", "u", "other-run", 2, "y", /*sync=*/true).ok());
  std::lock_guard<std::mutex> lock(inner.mutex);
  CHECK(inner.written == std::vector<std::string>{"run/0=a", "other-run/2=y (sync)"});
}

TEST_CASE("the async checkpoint store writes everything queued before it is destroyed", "[unit]") {
  catena::testing::TempDir dir("chains-ckpt-async");
  auto memory = OpenStore(dir);
  {
    auto store = Checkpoints(memory.get(), CheckpointDurability::kAsync);
    for (int step = 0; step < 200; ++step) REQUIRE(store->Put("t", "u", "run", step, absl::StrCat(step)).ok());
  }
  auto latest = NewMemoryCheckpointStore(memory.get())->Latest("t", "run");
  REQUIRE(latest.ok());
  CHECK(latest->step == 199);
  CHECK(latest->state == "199");
}

TEST_CASE("the memory checkpoint store keeps each step and returns the latest", "[unit]") {
  catena::testing::TempDir dir("chains-ckpt");
  auto store = OpenStore(dir);
  auto checkpoints = NewMemoryCheckpointStore(store.get());
  CHECK(checkpoints->Latest("t", "run-1").status().code() == absl::StatusCode::kNotFound);
  REQUIRE(checkpoints->Put("t", "alice", "run-1", 0, "zero").ok());
  REQUIRE(checkpoints->Put("t", "alice", "run-1", 1, "one").ok());
  CHECK(checkpoints->Put("t", "alice", "run-1", 1, "again").code() == absl::StatusCode::kAlreadyExists);
  CHECK(checkpoints->Put("t", "alice", "run-1", 5, "gap").code() == absl::StatusCode::kFailedPrecondition);
  auto latest = checkpoints->Latest("t", "run-1");
  REQUIRE(latest.ok());
  CHECK(latest->step == 1);
  CHECK(latest->state == "one");
  CHECK(latest->run_id == "run-1");
  CHECK(checkpoints->Latest("other-tenant", "run-1").status().code() == absl::StatusCode::kNotFound);
}

// a -> side -> approve (interrupts) -> after, approve also reading a. Nodes that were ready but not started
// when an interrupt came stay for Resume, so `side` is ordered before `approve` to make the test deterministic.
struct ApprovalPipeline {
  std::shared_ptr<Probe> a = std::make_shared<Probe>();
  std::shared_ptr<Probe> approve = std::make_shared<Probe>();
  std::shared_ptr<Probe> after = std::make_shared<Probe>();
  std::shared_ptr<Probe> side = std::make_shared<Probe>();
  std::shared_ptr<const CompiledPipeline> pipeline;

  ApprovalPipeline() {
    PipelineBuilder builder("version-1");
    builder.Add("a", std::make_unique<EchoNode>(a));
    builder.Param("a", "text", "{{ inputs.question }}");
    builder.Add("side", std::make_unique<EchoNode>(side), {"a"});
    builder.Add("approve", std::make_unique<ApprovalNode>(approve), {"a", "side"});
    builder.Add("after", std::make_unique<EchoNode>(after), {"approve"});
    builder.Param("after", "approved", "{{ nodes.approve.approved }}");
    builder.Param("after", "question", "{{ nodes.a.text }}");
    builder.Output("approved", "{{ nodes.after.approved }}");
    builder.Output("question", "{{ nodes.after.question }}");
    pipeline = builder.Build();
  }
};

TEST_CASE("an interrupted run resumes after a restart and runs only what remained", "[unit]") {
  const CheckpointDurability durability = GENERATE(CheckpointDurability::kSync, CheckpointDurability::kAsync);
  catena::testing::TempDir dir("chains-resume");
  ApprovalPipeline graph;
  std::vector<std::string> events;
  {
    Executor executor(ExecutorOptions{.threads = 2});
    auto store = OpenStore(dir);
    auto checkpoints = Checkpoints(store.get(), durability);
    RunnerOptions options;
    options.services.executor = &executor;
    options.checkpoints = checkpoints.get();
    Runner runner(options);
    RunOptions run;
    run.run_id = "run-42";
    run.tenant = "bank";
    run.checkpoint = true;
    run.sink = [&](const RunEvent& e) { events.push_back(std::string(RunEventKindName(e.kind)) + ":" + e.node); };
    RunResult result = runner.Run(graph.pipeline, Json(R"({"question": "move money?"})"), run);
    REQUIRE(result.status.ok());
    CHECK(result.state == RunResult::State::kInterrupted);
    CHECK(result.run_id == "run-42");
    auto latest = checkpoints->Latest("bank", "run-42");
    REQUIRE(latest.ok());
    const nlohmann::json state = nlohmann::json::parse(latest->state);
    CHECK(state["interrupted_at"] == "approve");
    CHECK(state["finished"].contains("a"));
    CHECK(state["finished"].contains("side"));
    CHECK(state["pipeline_version"] == "version-1");
  }  // "restart": runner, executor and store are gone
  CHECK(std::find(events.begin(), events.end(), "interrupt:approve") != events.end());
  CHECK(graph.a->calls == 1);
  CHECK(graph.side->calls == 1);
  CHECK(graph.approve->calls == 1);
  CHECK(graph.after->calls == 0);

  Executor executor(ExecutorOptions{.threads = 2});
  auto store = OpenStore(dir);
  auto checkpoints = Checkpoints(store.get(), durability);
  RunnerOptions options;
  options.services.executor = &executor;
  options.checkpoints = checkpoints.get();
  Runner runner(options);
  RunOptions run;
  run.run_id = "run-42";
  run.tenant = "bank";
  run.checkpoint = true;
  absl::Notification done;
  RunResult result;
  auto handle = runner.Resume(graph.pipeline, Json(R"({"approved": true})"), run, [&](RunResult r) {
    result = std::move(r);
    done.Notify();
  });
  REQUIRE(handle.ok());
  REQUIRE(done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  REQUIRE(result.status.ok());
  CHECK(result.state == RunResult::State::kCompleted);
  CHECK(result.outputs.map().Find("approved")->bool_value());
  CHECK(result.outputs.map().Find("question")->string_value() == "move money?");  // restored, not re-run
  CHECK(graph.a->calls == 1);
  CHECK(graph.side->calls == 1);
  CHECK(graph.approve->calls == 2);
  CHECK(graph.after->calls == 1);
}

TEST_CASE("resume is refused for a run without checkpoints or with another pipeline version", "[unit]") {
  catena::testing::TempDir dir("chains-resume-bad");
  Executor executor(ExecutorOptions{.threads = 2});
  auto store = OpenStore(dir);
  auto checkpoints = NewMemoryCheckpointStore(store.get());
  RunnerOptions options;
  options.services.executor = &executor;
  options.checkpoints = checkpoints.get();
  Runner runner(options);
  ApprovalPipeline graph;
  RunOptions run;
  run.run_id = "run-7";
  auto missing = runner.Resume(graph.pipeline, tmpl::Value(), run, [](RunResult) {});
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);

  run.checkpoint = true;
  REQUIRE(runner.Run(graph.pipeline, Json(R"({"question": "q"})"), run).state == RunResult::State::kInterrupted);
  PipelineBuilder changed("version-2");
  changed.Add("a", std::make_unique<EchoNode>());
  auto other = runner.Resume(changed.Build(), tmpl::Value(), run, [](RunResult) {});
  CHECK(other.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(other.status().message()), Catch::Contains("'version-1', not 'version-2'"));
}

TEST_CASE("synchronous nodes finished back to back share one checkpoint step holding all of them", "[unit]") {
  catena::testing::TempDir dir("chains-steps");
  Executor executor(ExecutorOptions{.threads = 2});
  auto store = OpenStore(dir);
  auto checkpoints = NewMemoryCheckpointStore(store.get());
  RunnerOptions options;
  options.services.executor = &executor;
  options.checkpoints = checkpoints.get();
  Runner runner(options);
  PipelineBuilder builder;
  builder.Add("a", std::make_unique<EchoNode>());
  builder.Add("b", std::make_unique<EchoNode>(), {"a"});
  builder.Add("c", std::make_unique<EchoNode>(), {"b"});
  RunOptions run;
  run.run_id = "steps";
  run.tenant = "t";
  run.checkpoint = true;
  REQUIRE(runner.Run(builder.Build(), tmpl::Value(), run).status.ok());
  auto latest = checkpoints->Latest("t", "steps");
  REQUIRE(latest.ok());
  CHECK(latest->step == 0);
  const nlohmann::json state = nlohmann::json::parse(latest->state);
  CHECK(state["finished"].size() == 3);
  CHECK(state["interrupted_at"].is_null());
}

}  // namespace
}  // namespace catena::chains

namespace catena::chains {
namespace {

TEST_CASE("a run waiting on a node has checkpointed every node finished before the wait", "[unit]") {
  using namespace std::chrono_literals;
  catena::testing::TempDir dir("chains-wait");
  Executor executor(ExecutorOptions{.threads = 2});
  auto store = OpenStore(dir);
  auto checkpoints = NewMemoryCheckpointStore(store.get());
  RunnerOptions options;
  options.services.executor = &executor;
  options.checkpoints = checkpoints.get();
  Runner runner(options);
  auto probe = std::make_shared<Probe>();
  PipelineBuilder builder;
  builder.Add("first", std::make_unique<testing::AsyncNode>(probe, 10ms));
  builder.Add("second", std::make_unique<EchoNode>(), {"first"});
  builder.Add("wait", std::make_unique<testing::HangingNode>(probe), {"second"});
  RunOptions run;
  run.run_id = "waiting";
  run.tenant = "t";
  run.checkpoint = true;
  auto handle = runner.Start(builder.Build(), tmpl::Value(), run, [](RunResult) {});
  REQUIRE(handle.ok());
  absl::StatusOr<StoredCheckpoint> latest = absl::NotFoundError("");
  for (int i = 0; i < 500 && !latest.ok(); ++i) {
    std::this_thread::sleep_for(2ms);
    latest = checkpoints->Latest("t", "waiting");
  }
  REQUIRE(latest.ok());
  const nlohmann::json state = nlohmann::json::parse(latest->state);
  CHECK(state["finished"].contains("first"));
  CHECK(state["finished"].contains("second"));
  CHECK_FALSE(state["finished"].contains("wait"));
  (*handle)->Cancel();
}

}  // namespace
}  // namespace catena::chains

namespace catena::chains {
namespace {

// Counts its steps in its saved progress: step 1 saves {step: 1} and interrupts; resumed, it reads the progress
// back and finishes {steps_before: 1, approved}.
class SteppingNode final : public NodeImpl {
 public:
  explicit SteppingNode(std::shared_ptr<Probe> probe) : probe_(std::move(probe)) {}
  void Start(NodeCall& call) const override {
    probe_->calls++;
    const tmpl::Value* progress = call.progress();
    if (progress == nullptr) {
      REQUIRE(call.SaveProgress(Json(R"({"step": 1})")).ok());
      return call.Interrupt("step 1 needs approval", Json(R"({"step": 1})"));
    }
    tmpl::Value out = tmpl::Value::Dict();
    out.map().Set("steps_before", *progress->map().Find("step"));
    out.map().Set("approved", *call.resume_data()->map().Find("approved"));
    call.Finish(std::move(out));
  }

 private:
  std::shared_ptr<Probe> probe_;
};

TEST_CASE("progress saved by a node is checkpointed and given back to it on resume, then dropped", "[unit]") {
  catena::testing::TempDir dir("chains-progress");
  auto probe = std::make_shared<Probe>();
  PipelineBuilder builder;
  builder.Add("agent", std::make_unique<SteppingNode>(probe));
  builder.Output("steps_before", "{{ nodes.agent.steps_before }}");
  auto pipeline = builder.Build();
  RunOptions run;
  run.run_id = "progress-1";
  run.tenant = "t";
  run.checkpoint = true;
  {
    Executor executor(ExecutorOptions{.threads = 2});
    auto store = OpenStore(dir);
    auto checkpoints = NewMemoryCheckpointStore(store.get());
    Runner runner({.services = {.executor = &executor}, .checkpoints = checkpoints.get()});
    REQUIRE(runner.Run(pipeline, tmpl::Value(), run).state == RunResult::State::kInterrupted);
    auto latest = checkpoints->Latest("t", "progress-1");
    REQUIRE(latest.ok());
    const nlohmann::json state = nlohmann::json::parse(latest->state);
    CHECK(state["progress"] == nlohmann::json::parse(R"({"agent": {"step": 1}})"));
    CHECK(state["interrupted_at"] == "agent");
  }
  Executor executor(ExecutorOptions{.threads = 2});
  auto store = OpenStore(dir);
  auto checkpoints = NewMemoryCheckpointStore(store.get());
  Runner runner({.services = {.executor = &executor}, .checkpoints = checkpoints.get()});
  absl::Notification done;
  RunResult result;
  auto handle = runner.Resume(pipeline, Json(R"({"approved": true})"), run, [&](RunResult r) {
    result = std::move(r);
    done.Notify();
  });
  REQUIRE(handle.ok());
  REQUIRE(done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  REQUIRE(result.state == RunResult::State::kCompleted);
  CHECK(result.outputs.map().Find("steps_before")->int_value() == 1);
  CHECK(probe->calls == 2);
  auto latest = checkpoints->Latest("t", "progress-1");
  REQUIRE(latest.ok());
  CHECK_FALSE(nlohmann::json::parse(latest->state).contains("progress"));
}

TEST_CASE("a checkpoint written by SaveProgress lets a crashed run resume the node from its progress", "[unit]") {
  using namespace std::chrono_literals;
  catena::testing::TempDir dir("chains-progress-crash");
  auto probe = std::make_shared<Probe>();
  Executor executor(ExecutorOptions{.threads = 2});
  auto store = OpenStore(dir);
  auto checkpoints = NewMemoryCheckpointStore(store.get());
  Runner runner({.services = {.executor = &executor}, .checkpoints = checkpoints.get()});
  // A node that saves progress and never finishes stands for a process that dies mid-node.
  class SaveThenHang final : public NodeImpl {
   public:
    void Start(NodeCall& call) const override {
      if (const tmpl::Value* progress = call.progress()) {
        tmpl::Value out = tmpl::Value::Dict();
        out.map().Set("resumed_from", *progress);
        return call.Finish(std::move(out));
      }
      (void)call.SaveProgress(Json(R"({"step": 3})"));
    }
  };
  PipelineBuilder crash("crash-v1");
  crash.Add("before", std::make_unique<EchoNode>(probe));
  crash.Add("agent", std::make_unique<SaveThenHang>(), {"before"});
  crash.Output("resumed_from", "{{ nodes.agent.resumed_from.step }}");
  auto crashing = crash.Build();
  RunOptions run;
  run.run_id = "crash-1";
  run.tenant = "t";
  run.checkpoint = true;
  auto handle = runner.Start(crashing, tmpl::Value(), run, [](RunResult) {});
  REQUIRE(handle.ok());
  absl::StatusOr<StoredCheckpoint> latest = absl::NotFoundError("");
  for (int i = 0; i < 500; ++i) {
    latest = checkpoints->Latest("t", "crash-1");
    if (latest.ok() && nlohmann::json::parse(latest->state).contains("progress")) break;
    std::this_thread::sleep_for(2ms);
  }
  REQUIRE(latest.ok());
  CHECK(nlohmann::json::parse(latest->state)["progress"]["agent"]["step"] == 3);
  (*handle)->Cancel();
  absl::Notification done;
  RunResult result;
  auto resumed = runner.Resume(crashing, tmpl::Value(), run, [&](RunResult r) {
    result = std::move(r);
    done.Notify();
  });
  REQUIRE(resumed.ok());
  REQUIRE(done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  REQUIRE(result.state == RunResult::State::kCompleted);
  CHECK(result.outputs.map().Find("resumed_from")->int_value() == 3);
  CHECK(probe->calls == 1);  // `before` was restored, not run again
}

// Appends one delta per start: fresh, it saves {base: 7}, appends {n: 1} and {n: 2} and interrupts; resumed with
// approval it appends {n: 3} and hangs (a crash); resumed again it finishes with what it got back.
class AppendingNode final : public NodeImpl {
 public:
  void Start(NodeCall& call) const override {
    const std::vector<tmpl::Value>& log = call.progress_log();
    if (call.progress() == nullptr) {
      REQUIRE(call.SaveProgress(Json(R"({"base": 7})")).ok());
      REQUIRE(call.AppendProgress(R"({"n": 1})").ok());
      REQUIRE(call.AppendProgress(R"({"n": 2})").ok());
      return call.Interrupt("approve", tmpl::Value::Dict());
    }
    if (log.size() == 2) {
      REQUIRE(call.AppendProgress(R"({"n": 3})").ok());
      return;  // never finishes: the process "dies" here
    }
    std::vector<tmpl::Value> seen;
    for (const tmpl::Value& delta : log) seen.push_back(*delta.map().Find("n"));
    tmpl::Value out = tmpl::Value::Dict();
    out.map().Set("base", *call.progress()->map().Find("base"));
    out.map().Set("log", tmpl::Value::List(std::move(seen)));
    call.Finish(std::move(out));
  }
};

TEST_CASE("progress deltas are small records of their own; resume replays them after the latest full state", "[unit]") {
  catena::testing::TempDir dir("chains-deltas");
  PipelineBuilder builder("deltas-v1");
  builder.Add("agent", std::make_unique<AppendingNode>());
  builder.Output("base", "{{ nodes.agent.base }}");
  builder.Output("log", "{{ nodes.agent.log }}");
  auto pipeline = builder.Build();
  RunOptions run;
  run.run_id = "deltas-1";
  run.tenant = "t";
  run.checkpoint = true;
  Executor executor(ExecutorOptions{.threads = 2});
  auto store = OpenStore(dir);
  auto checkpoints = NewMemoryCheckpointStore(store.get());
  Runner runner({.services = {.executor = &executor}, .checkpoints = checkpoints.get()});
  REQUIRE(runner.Run(pipeline, tmpl::Value(), run).state == RunResult::State::kInterrupted);
  // Steps: 0 = the SaveProgress state, 1 and 2 = the deltas alone, 3 = the interrupt's full state with the log.
  auto delta = checkpoints->Get("t", "deltas-1", 1);
  REQUIRE(delta.ok());
  CHECK(nlohmann::json::parse(delta->state) ==
        nlohmann::json::parse(R"({"progress_delta": "agent", "value": {"n": 1}})"));
  auto latest = checkpoints->Latest("t", "deltas-1");
  REQUIRE(latest.ok());
  CHECK(latest->step == 3);
  const nlohmann::json state = nlohmann::json::parse(latest->state);
  CHECK(state["progress"]["agent"] == nlohmann::json::parse(R"({"base": 7})"));
  CHECK(state["progress_log"]["agent"] == nlohmann::json::parse(R"([{"n": 1}, {"n": 2}])"));
  auto resumed = runner.Resume(pipeline, Json(R"({"approved": true})"), run, [](RunResult) {});
  REQUIRE(resumed.ok());
  for (int i = 0; i < 500 && checkpoints->Latest("t", "deltas-1")->step < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  latest = checkpoints->Latest("t", "deltas-1");
  REQUIRE(latest->step == 4);  // the third delta, appended after the full state of step 3
  CHECK(nlohmann::json::parse(latest->state)["value"]["n"] == 3);
  (*resumed)->Cancel();
  absl::Notification done;
  RunResult result;
  auto again = runner.Resume(pipeline, tmpl::Value(), run, [&](RunResult r) {
    result = std::move(r);
    done.Notify();
  });
  REQUIRE(again.ok());
  REQUIRE(done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  REQUIRE(result.state == RunResult::State::kCompleted);
  CHECK(result.outputs.map().Find("base")->int_value() == 7);
  CHECK(*tmpl::ToJson(*result.outputs.map().Find("log")) == nlohmann::json::parse("[1, 2, 3]"));
  CHECK(checkpoints->Get("t", "deltas-1", 0).ok());
  CHECK(checkpoints->Get("t", "deltas-1", 99).status().code() == absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace catena::chains
