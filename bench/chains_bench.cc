// Chain engine executor: runs/s of a 3-node pipeline (prompt-like sync node -> instant model node ->
// transform-like sync node) on 2 threads without and with checkpoints, per-node overhead of a chain of trivial
// nodes, 1,000 concurrent streaming runs (model waits 20 ms, then 50 tokens 20 ms apart on timers) with time
// to first token event p99 and wall time, and RSS after 10k and 1M runs. The no_checkpoint/with_checkpoint cases
// use minimal NodeImpls written here (executor cost alone); the file_nodes_* cases run the same shape compiled
// from a pipeline file with the built-in prompt, llm.chat (instant test model) and transform node types.
// CATENA_BENCH_SCALE (default 1) scales run counts and durations down. Targets: >= 200,000 runs/s without
// checkpoints on 2 cores, >= 20,000 with, node overhead <= 2 us, ttfe p99 <= 25 ms, wall <= 1.2 s.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <time.h>
#include <unistd.h>

#include "absl/synchronization/notification.h"
#include "bench/bench_util.h"
#include "chains/checkpoint_store.h"
#include "chains/compiled_pipeline.h"
#include "chains/runner.h"
#include "chains/test_chat_model.h"
#include "common/executor.h"
#include "memory/memory_store.h"

namespace {

using catena::chains::Binding;
using catena::chains::CompiledNode;
using catena::chains::CompiledPipeline;
using catena::chains::NodeCall;
using catena::chains::NodeImpl;
using catena::chains::RunEvent;
using catena::chains::Runner;
using catena::chains::RunOptions;
using catena::chains::RunResult;
using catena::tmpl::Value;
using Clock = std::chrono::steady_clock;

double Scale() { return std::max(1e-4, std::stod(catena::bench::EnvOr("CATENA_BENCH_SCALE", "1"))); }

double RssMb(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::stod(line.substr(std::string(field).size())) / 1024.0;
  }
  return 0;
}

// prompt-like: {messages: [{role: user, content: user}], text: user}.
class PromptNode final : public NodeImpl {
 public:
  void Start(NodeCall& call) const override {
    const Value& user = *call.params().map().Find("user");
    Value message = Value::Dict();
    message.map().Set("role", "user");
    message.map().Set("content", user);
    Value out = Value::Dict();
    out.map().Set("messages", Value::List({message}));
    out.map().Set("text", user);
    call.Finish(std::move(out));
  }
};

// Instant test model: {text: "echo: <prompt>"}; or, streaming, 50 tokens 20 ms apart after a 20 ms wait.
class ModelNode final : public NodeImpl {
 public:
  explicit ModelNode(bool streaming) : streaming_(streaming) {}
  void Start(NodeCall& call) const override {
    if (!streaming_) {
      Value out = Value::Dict();
      out.map().Set("text", "echo: " + call.params().map().Find("prompt")->string_value());
      call.Finish(std::move(out));
      return;
    }
    call.services().executor->PostAfter(std::chrono::milliseconds(20), [&call] { Token(call, 0); });
  }

 private:
  static void Token(NodeCall& call, int index) {
    RunEvent event;
    event.kind = RunEvent::Kind::kToken;
    event.text = "tok ";
    call.Emit(std::move(event));
    if (index + 1 == 50) {
      Value out = Value::Dict();
      out.map().Set("text", "done");
      call.Finish(std::move(out));
      return;
    }
    call.services().executor->PostAfter(std::chrono::milliseconds(20), [&call, index] { Token(call, index + 1); });
  }
  bool streaming_;
};

// transform-like: every param becomes an output field.
class TransformNode final : public NodeImpl {
 public:
  void Start(NodeCall& call) const override {
    Value out = Value::Dict();
    for (const auto& [key, value] : call.params().map().entries()) out.map().Set(key.string_value(), value);
    call.Finish(std::move(out));
  }
};

Binding Bind(const std::string& text) {
  catena::chains::SpecValue value;
  value.kind = catena::chains::SpecValue::Kind::kString;
  value.string_value = text;
  catena::chains::ProblemList problems("bench.yaml");
  return Binding::Compile(value, "bench", problems);
}

CompiledNode Node(std::string id, std::unique_ptr<NodeImpl> impl, std::vector<int> deps) {
  CompiledNode node;
  node.id = std::move(id);
  node.type = "bench";
  node.impl = std::move(impl);
  node.dependencies = std::move(deps);
  return node;
}

std::shared_ptr<const CompiledPipeline> ThreeNodes(bool streaming) {
  auto pipeline = std::make_shared<CompiledPipeline>();
  pipeline->version = "bench-1";
  pipeline->spec.name = "bench";
  pipeline->nodes.push_back(Node("prompt", std::make_unique<PromptNode>(), {}));
  pipeline->nodes.back().params.emplace_back("user", Bind("{{ inputs.question }}"));
  pipeline->nodes.push_back(Node("model", std::make_unique<ModelNode>(streaming), {0}));
  pipeline->nodes.back().params.emplace_back("prompt", Bind("{{ nodes.prompt.text }}"));
  pipeline->nodes.push_back(Node("shape", std::make_unique<TransformNode>(), {1}));
  pipeline->nodes.back().params.emplace_back("answer", Bind("{{ nodes.model.text }}"));
  pipeline->outputs.emplace_back("answer", Bind("{{ nodes.shape.answer }}"));
  for (int i = 0; i < 2; ++i) pipeline->nodes[i].dependents.push_back(i + 1);
  return pipeline;
}

std::shared_ptr<const CompiledPipeline> TrivialChain(int length) {
  auto pipeline = std::make_shared<CompiledPipeline>();
  pipeline->version = "chain-1";
  for (int i = 0; i < length; ++i) {
    pipeline->nodes.push_back(Node("n" + std::to_string(i), std::make_unique<TransformNode>(),
                                   i == 0 ? std::vector<int>{} : std::vector<int>{i - 1}));
    if (i > 0) pipeline->nodes[i - 1].dependents.push_back(i);
  }
  return pipeline;
}

Value Inputs() {
  Value inputs = Value::Dict();
  inputs.map().Set("question", "what is the refund policy for cards?");
  return inputs;
}

double ProcessCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

struct Rate {
  double runs_per_s = 0;
  double runs_per_cpu_s = 0;  // independent of how busy the machine is: runs per second of CPU time used
};

// The same three steps written as a pipeline file with the built-in node types: prompt -> the instant test
// model (llm.chat, model "test") -> transform.
constexpr char kThreeNodeFile[] = R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: bench-three}
inputs:
  question: {type: string, required: true}
nodes:
  prompt: {type: prompt, with: {user: "{{ inputs.question }}"}}
  model: {type: llm.chat, with: {model: test, messages: "{{ nodes.prompt.messages }}", stream: false}}
  shape: {type: transform, with: {answer: "{{ nodes.model.text }}"}}
outputs:
  answer: "{{ nodes.shape.answer }}"
)";

// Runs `pipeline` from `threads` threads for about `seconds`.
Rate Throughput(Runner& runner, std::shared_ptr<const CompiledPipeline> pipeline, bool checkpoint, int threads,
                double seconds) {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> total{0};
  std::atomic<int64_t> failures{0};
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  const double cpu_start = ProcessCpuSeconds();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      const Value inputs = Inputs();
      int64_t runs = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        RunOptions options;
        options.checkpoint = checkpoint;
        RunResult result = runner.Run(pipeline, inputs, std::move(options));
        failures += result.status.ok() ? 0 : 1;
        ++runs;
      }
      total += runs;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& worker : workers) worker.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = ProcessCpuSeconds() - cpu_start;
  if (failures > 0) std::fprintf(stderr, "chains_bench: %lld runs failed\n", static_cast<long long>(failures.load()));
  return Rate{static_cast<double>(total) / elapsed, static_cast<double>(total) / cpu};
}

double NodeOverheadUs(Runner& runner) {
  constexpr int kLength = 200;
  auto pipeline = TrivialChain(kLength);
  std::vector<double> samples;
  for (int i = 0; i < 300; ++i) {
    const auto start = Clock::now();
    RunResult result = runner.Run(pipeline, Value::Dict(), {});
    const double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    if (!result.status.ok()) std::fprintf(stderr, "chains_bench: chain failed\n");
    samples.push_back(us / kLength);
  }
  return catena::bench::Quantile(samples, 0.5);
}

void Streaming(Runner& runner, int runs) {
  auto pipeline = ThreeNodes(true);
  std::vector<double> first_ms(runs, -1);
  std::atomic<int> remaining{runs};
  absl::Notification all_done;
  const auto start = Clock::now();
  for (int i = 0; i < runs; ++i) {
    RunOptions options;
    const auto run_start = Clock::now();
    options.sink = [&first_ms, i, run_start](const RunEvent& event) {
      if (event.kind == RunEvent::Kind::kToken && first_ms[i] < 0) {
        first_ms[i] = std::chrono::duration<double, std::milli>(Clock::now() - run_start).count();
      }
    };
    auto handle = runner.Start(pipeline, Inputs(), std::move(options), [&](RunResult) {
      if (--remaining == 0) all_done.Notify();
    });
    if (!handle.ok()) std::fprintf(stderr, "chains_bench: start failed\n");
  }
  all_done.WaitForNotification();
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  catena::bench::Emit("chains", "streaming_1000", "ttfe_p99_ms", catena::bench::Quantile(first_ms, 0.99), "ms");
  catena::bench::Emit("chains", "streaming_1000", "wall_s", wall, "s");
  catena::bench::Emit("chains", "streaming_1000", "rss_mb_peak", RssMb("VmHWM:"), "MB");
}

void RssAfterRuns(Runner& runner, int64_t runs, const std::string& metric) {
  auto pipeline = ThreeNodes(false);
  const Value inputs = Inputs();
  for (int64_t i = 0; i < runs; ++i) runner.Run(pipeline, inputs, {});
  catena::bench::Emit("chains", "rss", metric, RssMb("VmRSS:"), "MB");
}

}  // namespace

int main() {
  const double scale = Scale();
  catena::Executor executor(catena::ExecutorOptions{.threads = 2, .name = "chains-bench"});
  const std::string dir = "/tmp/chains-bench-" + std::to_string(::getpid());
  auto store = catena::memory::MemoryStore::Open({.path = dir});
  if (!store.ok()) {
    std::fprintf(stderr, "chains_bench: %s\n", std::string(store.status().message()).c_str());
    return 1;
  }
  auto checkpoints = catena::chains::NewMemoryCheckpointStore(store->get());
  catena::chains::RunnerOptions options;
  options.services.executor = &executor;
  options.checkpoints = checkpoints.get();
  Runner runner(options);
  catena::chains::TestChatModel test_model;  // no delays: replies inline
  catena::chains::RunnerOptions file_options = options;
  file_options.services.models = &test_model;
  Runner file_runner(file_options);
  auto file_pipeline = catena::chains::CompilePipeline(kThreeNodeFile, {.file = "bench-three.yaml"});
  if (!file_pipeline.ok()) {
    std::fprintf(stderr, "chains_bench: %s\n", std::string(file_pipeline.status().message()).c_str());
    return 1;
  }
  const double seconds = std::max(0.2, 2.0 * scale);
  // CATENA_CHAINS_BENCH_CASE=<case> runs one case (for profiling); empty runs all.
  const std::string only = catena::bench::EnvOr("CATENA_CHAINS_BENCH_CASE", "");
  auto wanted = [&](const char* name) { return only.empty() || only == name; };
  for (const bool checkpoint : {false, true}) {
    const char* name = checkpoint ? "with_checkpoint" : "no_checkpoint";
    if (!wanted(name)) continue;
    const Rate rate = Throughput(runner, ThreeNodes(false), checkpoint, 2, seconds);
    catena::bench::Emit("chains", name, "runs_per_s", rate.runs_per_s, "1/s");
    catena::bench::Emit("chains", name, "runs_per_cpu_s", rate.runs_per_cpu_s, "1/s");
    // The same shape from a pipeline file with the built-in prompt, llm.chat (test model) and transform nodes.
    const std::string file_case = std::string("file_nodes_") + name;
    const Rate file_rate = Throughput(file_runner, *file_pipeline, checkpoint, 2, seconds);
    catena::bench::Emit("chains", file_case, "runs_per_s", file_rate.runs_per_s, "1/s");
    catena::bench::Emit("chains", file_case, "runs_per_cpu_s", file_rate.runs_per_cpu_s, "1/s");
  }
  if (wanted("chain_200")) {
    catena::bench::Emit("chains", "chain_200", "node_overhead_us", NodeOverheadUs(runner), "us");
  }
  if (wanted("streaming_1000")) Streaming(runner, 1000);
  if (wanted("rss")) {
    RssAfterRuns(runner, static_cast<int64_t>(10000 * scale), "rss_mb_10k");
    RssAfterRuns(runner, static_cast<int64_t>(990000 * scale), "rss_mb_1m");
  }
  store->reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return 0;
}
