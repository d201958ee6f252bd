// Agent step overhead: what the agent node adds per step (model call -> tool call -> results back), excluding
// model and tool time. The model answers inline with a prepared tool call (no text generation, no parsing) and
// the tool returns at once; a run is max_steps steps (max_steps - 1 tool steps and a final answer). Cases:
// without checkpoints, and with the RocksDB checkpoint store (each step's progress saved twice), written before
// each step goes on (durability sync) or behind it in order (async).
// Prints {"bench":"agents","case":...,"metric":"agent_step_overhead_us",...} (p50 over runs, per step) and
// cpu_us_per_step (process CPU time, all threads, over the measured runs: steadier than wall time on a shared
// machine, and it counts the background checkpoint writer too).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "agents/node_types.h"
#include "bench/bench_util.h"
#include "chains/checkpoint_store.h"
#include "chains/compiled_pipeline.h"
#include "chains/runner.h"
#include "chains/tool.h"
#include "common/executor.h"
#include "memory/memory_store.h"

namespace {

using namespace catena;

constexpr int kSteps = 10;

// Replies inline: a call of `noop` until the conversation has kSteps - 1 tool results, then an answer.
class InstantModel final : public chains::ChatModel {
 public:
  std::unique_ptr<chains::ChatCancel> Chat(chains::ChatRequest request, std::function<void(std::string_view)>,
                                           std::function<void(absl::StatusOr<chains::ChatResult>)> on_done) override {
    int results = 0;
    for (const chains::ChatMessage& message : request.messages) results += message.role == "tool" ? 1 : 0;
    chains::ChatResult result;
    result.usage = {8, 4};
    if (results + 1 < kSteps) {
      result.text = "calling";
      result.tool_calls.push_back({"", "noop", R"({"n":1})"});
      result.finish_reason = "tool_calls";
    } else {
      result.text = "done";
      result.finish_reason = "stop";
    }
    on_done(std::move(result));
    return nullptr;
  }
  bool HasModel(std::string_view) const override { return true; }
};

class NoopTool final : public chains::Tool {
 public:
  NoopTool() {
    definition_.name = "noop";
    definition_.parameters_json_schema = R"({"type":"object","properties":{"n":{"type":"integer"}}})";
  }
  const chains::ToolDefinition& definition() const override { return definition_; }
  absl::StatusOr<chains::ToolOutput> Invoke(const chains::ToolCallContext&, std::string_view) const override {
    return chains::ToolOutput{"ok", false};
  }

 private:
  chains::ToolDefinition definition_;
};

class OneTool final : public chains::ToolSet {
 public:
  std::shared_ptr<const chains::Tool> Find(std::string_view, std::string_view name) const override {
    return name == "noop" ? tool_ : nullptr;
  }
  std::vector<std::shared_ptr<const chains::Tool>> List(std::string_view) const override { return {tool_}; }

 private:
  std::shared_ptr<const chains::Tool> tool_ = std::make_shared<NoopTool>();
};

constexpr char kPipeline[] = R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: agent-bench}
nodes:
  agent:
    type: agent
    with: {input: "go", tools: [noop], max_steps: 10, mode: native}
outputs:
  text: "{{ nodes.agent.text }}"
)";

// Emits the per-step microseconds of `runs` sequential runs (p50) and their CPU time per step.
void MeasureSteps(const std::string& case_name, chains::Runner& runner,
                  const std::shared_ptr<const chains::CompiledPipeline>& pipeline, bool checkpoint, int runs) {
  std::vector<double> per_step;
  double cpu_start = 0;
  for (int i = 0; i < runs; ++i) {
    if (i == runs / 10) cpu_start = bench::CpuSeconds();
    chains::RunOptions options;
    options.tenant = "bench";
    options.checkpoint = checkpoint;
    const auto start = std::chrono::steady_clock::now();
    chains::RunResult result = runner.Run(pipeline, tmpl::Value::Dict(), options);
    const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    if (result.state != chains::RunResult::State::kCompleted) {
      std::fprintf(stderr, "agents_bench: run failed: %s\n", std::string(result.status.message()).c_str());
      std::exit(1);
    }
    if (i >= runs / 10) per_step.push_back(us / kSteps);  // the first tenth warms up
  }
  const double cpu_us = (bench::CpuSeconds() - cpu_start) * 1e6 / static_cast<double>(per_step.size() * kSteps);
  bench::Emit("agents", case_name, "agent_step_overhead_us", bench::Quantile(per_step, 0.5), "us");
  bench::Emit("agents", case_name, "cpu_us_per_step", cpu_us, "us");
}

}  // namespace

int main() {
  const int runs = std::stoi(bench::EnvOr("CATENA_AGENTS_BENCH_RUNS", "2000"));
  chains::CompileOptions compile;
  compile.registry = &agents::AllNodeTypes();
  auto pipeline = chains::CompilePipeline(kPipeline, compile);
  if (!pipeline.ok()) {
    std::fprintf(stderr, "agents_bench: %s\n", std::string(pipeline.status().message()).c_str());
    return 1;
  }
  Executor executor(ExecutorOptions{.threads = 4, .name = "abench"});
  InstantModel model;
  OneTool tools;
  const auto dir = std::filesystem::temp_directory_path() / ("agents-bench-" + std::to_string(::getpid()));
  auto store = memory::MemoryStore::Open({.path = (dir / "memory").string()});
  if (!store.ok()) {
    std::fprintf(stderr, "agents_bench: %s\n", std::string(store.status().message()).c_str());
    return 1;
  }
  const chains::RunServices services{.executor = &executor, .models = &model, .tools = &tools};
  // CATENA_BENCH_CASES picks cases (comma list of plain, sync, async; default all), e.g. for profiling one.
  const std::string cases = bench::EnvOr("CATENA_BENCH_CASES", "plain,sync,async");
  const auto wanted = [&](const std::string& name) {
    return ("," + cases + ",").find("," + name + ",") != std::string::npos;
  };
  {
    auto checkpoints = chains::NewMemoryCheckpointStore(store->get());
    chains::Runner runner({.services = services, .checkpoints = checkpoints.get()});
    if (wanted("plain")) MeasureSteps("native_noop_tool", runner, *pipeline, false, runs);
    if (wanted("sync")) MeasureSteps("native_noop_tool_checkpointed", runner, *pipeline, true, runs / 4);
  }
  if (wanted("async")) {  // pipelines.checkpoint_durability: async (the default), the same store behind the queue
    auto checkpoints = chains::NewAsyncCheckpointStore(chains::NewMemoryCheckpointStore(store->get()));
    chains::Runner runner({.services = services, .checkpoints = checkpoints.get()});
    MeasureSteps("native_noop_tool_checkpointed_async", runner, *pipeline, true, runs / 2);
  }
  store->reset();
  std::filesystem::remove_all(dir);
  executor.Shutdown();
  return 0;
}
