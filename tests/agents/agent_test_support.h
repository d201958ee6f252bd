// Test doubles for the agents node tests: FakeTool (records each call's arguments, answers with a function the
// test sets, can wait at a rendezvous to prove calls overlap), FakeToolSet (a ToolSet of FakeTools), and a
// Harness that runs pipeline files compiled against agents::AllNodeTypes() with scripted test models and a
// RocksDB checkpoint store that survives "restarts" (a new Harness over the same directory).
#pragma once

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agents/node_types.h"
#include "chains/checkpoint_store.h"
#include "chains/compiled_pipeline.h"
#include "chains/runner.h"
#include "chains/test_chat_model.h"
#include "chains/tool.h"
#include "common/executor.h"
#include "memory/memory_store.h"
#include "tests/support/temp_dir.h"

namespace catena::agents::testing {

using Json = nlohmann::ordered_json;

class FakeTool final : public chains::Tool {
 public:
  using Answer = std::function<absl::StatusOr<chains::ToolOutput>(const Json& arguments)>;
  FakeTool(std::string name, std::string schema, Answer answer)
      : answer_(std::move(answer)) {
    definition_.name = std::move(name);
    definition_.description = "test tool " + definition_.name;
    definition_.parameters_json_schema = std::move(schema);
    definition_.source = "test";
  }
  const chains::ToolDefinition& definition() const override { return definition_; }
  absl::StatusOr<chains::ToolOutput> Invoke(const chains::ToolCallContext& context,
                                            std::string_view arguments_json) const override {
    const Json arguments = Json::parse(arguments_json);
    {
      std::lock_guard lock(mutex_);
      calls_.push_back(arguments);
      tenants_.push_back(context.tenant);
      ++in_flight_;
      cv_.notify_all();
    }
    if (rendezvous_ > 0) {  // wait (bounded) until `rendezvous_` calls are in flight at once
      std::unique_lock lock(mutex_);
      overlapped_ = cv_.wait_for(lock, std::chrono::seconds(5), [&] { return in_flight_ >= rendezvous_; }) ||
                    overlapped_;
    }
    absl::StatusOr<chains::ToolOutput> out = answer_(arguments);
    std::lock_guard lock(mutex_);
    --in_flight_;
    return out;
  }
  chains::ToolDefinition& mutable_definition() { return definition_; }
  std::vector<Json> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  std::vector<std::string> tenants() const {
    std::lock_guard lock(mutex_);
    return tenants_;
  }
  void set_rendezvous(int calls) { rendezvous_ = calls; }
  bool overlapped() const {
    std::lock_guard lock(mutex_);
    return overlapped_;
  }

 private:
  chains::ToolDefinition definition_;
  Answer answer_;
  int rendezvous_ = 0;
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  mutable std::vector<Json> calls_;
  mutable std::vector<std::string> tenants_;
  mutable int in_flight_ = 0;
  mutable bool overlapped_ = false;
};

class FakeToolSet final : public chains::ToolSet {
 public:
  void Add(std::shared_ptr<FakeTool> tool) { tools_[tool->definition().name] = std::move(tool); }
  std::shared_ptr<const chains::Tool> Find(std::string_view, std::string_view name) const override {
    auto found = tools_.find(std::string(name));
    return found == tools_.end() ? nullptr : found->second;
  }
  std::vector<std::shared_ptr<const chains::Tool>> List(std::string_view) const override {
    std::vector<std::shared_ptr<const chains::Tool>> all;
    for (const auto& [name, tool] : tools_) all.push_back(tool);
    return all;
  }

 private:
  std::map<std::string, std::shared_ptr<FakeTool>> tools_;
};

// A lookup tool: {account: string} -> {"account": ..., "balance": 120}.
inline std::shared_ptr<FakeTool> BalanceTool() {
  return std::make_shared<FakeTool>(
      "lookup_balance", R"({"type":"object","properties":{"account":{"type":"string"}},"required":["account"]})",
      [](const Json& args) -> absl::StatusOr<chains::ToolOutput> {
        return chains::ToolOutput{Json{{"account", args["account"]}, {"balance", 120}}.dump(), true};
      });
}

// A transfer tool: {amount: number, to: string} -> "sent <amount> to <to>".
inline std::shared_ptr<FakeTool> TransferTool() {
  return std::make_shared<FakeTool>(
      "transfer",
      R"({"type":"object","properties":{"amount":{"type":"number"},"to":{"type":"string"}},"required":["amount","to"]})",
      [](const Json& args) -> absl::StatusOr<chains::ToolOutput> {
        return chains::ToolOutput{"sent " + args["amount"].dump() + " to " + args["to"].get<std::string>(), false};
      });
}

// A ChatModel that counts calls and forwards to a TestChatModel.
class CountingModel final : public chains::ChatModel {
 public:
  explicit CountingModel(chains::ChatModel* inner) : inner_(inner) {}
  std::unique_ptr<chains::ChatCancel> Chat(chains::ChatRequest request,
                                           std::function<void(std::string_view)> on_delta,
                                           std::function<void(absl::StatusOr<chains::ChatResult>)> on_done) override {
    ++calls;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    return inner_->Chat(std::move(request), std::move(on_delta), std::move(on_done));
  }
  bool HasModel(std::string_view model) const override { return inner_->HasModel(model); }
  std::vector<chains::ChatRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::atomic<int> calls{0};

 private:
  chains::ChatModel* inner_;
  mutable std::mutex mutex_;
  std::vector<chains::ChatRequest> requests_;
};

// Runs pipelines with the agents node types, test models and `tools`; checkpoints in `dir`.
class Harness {
 public:
  Harness(const catena::testing::TempDir& dir, const chains::ToolSet* tools)
      : executor_(ExecutorOptions{.threads = 4, .name = "agents"}), test_models_(&executor_), models_(&test_models_) {
    auto store = memory::MemoryStore::Open({.path = (dir.path() / "memory").string()});
    REQUIRE(store.ok());
    store_ = *std::move(store);
    checkpoints_ = chains::NewMemoryCheckpointStore(store_.get());
    chains::RunnerOptions options;
    options.services = chains::RunServices{.executor = &executor_, .models = &models_, .tools = tools};
    options.checkpoints = checkpoints_.get();
    runner_ = std::make_unique<chains::Runner>(std::move(options));
  }
  ~Harness() {
    runner_.reset();
    executor_.Shutdown();
  }

  void AddModel(chains::TestModelSpec spec) { test_models_.AddModel(std::move(spec)); }
  CountingModel& models() { return models_; }
  chains::CheckpointStore& checkpoints() { return *checkpoints_; }

  static std::shared_ptr<const chains::CompiledPipeline> Compile(const std::string& yaml) {
    chains::CompileOptions options;
    options.registry = &AllNodeTypes();
    auto compiled = chains::CompilePipeline(yaml, options);
    INFO(compiled.status());
    REQUIRE(compiled.ok());
    return *compiled;
  }

  chains::RunResult Run(std::shared_ptr<const chains::CompiledPipeline> pipeline, const std::string& inputs_json,
                        const std::string& run_id) {
    return runner_->Run(std::move(pipeline), tmpl::Value::FromJson(Json::parse(inputs_json)), Options(run_id));
  }

  // Starts a run and returns its handle (the result is dropped).
  std::shared_ptr<chains::RunHandle> Start(std::shared_ptr<const chains::CompiledPipeline> pipeline,
                                           const std::string& inputs_json, const std::string& run_id) {
    auto handle = runner_->Start(std::move(pipeline), tmpl::Value::FromJson(Json::parse(inputs_json)),
                                 Options(run_id), [](chains::RunResult) {});
    REQUIRE(handle.ok());
    return *handle;
  }

  chains::RunResult Resume(std::shared_ptr<const chains::CompiledPipeline> pipeline, const std::string& resume_json,
                           const std::string& run_id) {
    std::promise<chains::RunResult> done;
    auto started = runner_->Resume(std::move(pipeline), tmpl::Value::FromJson(Json::parse(resume_json)),
                                   Options(run_id), [&done](chains::RunResult r) { done.set_value(std::move(r)); });
    INFO(started.status());
    REQUIRE(started.ok());
    auto future = done.get_future();
    REQUIRE(future.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
    return future.get();
  }

  std::vector<chains::RunEvent> events() const {
    std::lock_guard lock(*events_mutex_);
    return *events_;
  }

 private:
  chains::RunOptions Options(const std::string& run_id) {
    chains::RunOptions options;
    options.run_id = run_id;
    options.tenant = "bank";
    options.checkpoint = true;
    options.sink = [events = events_, mutex = events_mutex_](const chains::RunEvent& event) {
      std::lock_guard lock(*mutex);
      events->push_back(event);
    };
    return options;
  }

  Executor executor_;
  chains::TestChatModel test_models_;
  CountingModel models_;
  std::unique_ptr<memory::MemoryStore> store_;
  std::unique_ptr<chains::CheckpointStore> checkpoints_;
  std::unique_ptr<chains::Runner> runner_;
  std::shared_ptr<std::mutex> events_mutex_ = std::make_shared<std::mutex>();
  std::shared_ptr<std::vector<chains::RunEvent>> events_ = std::make_shared<std::vector<chains::RunEvent>>();
};

// The events of `kind` (as Json of their data).
inline std::vector<Json> EventsOf(const std::vector<chains::RunEvent>& events, chains::RunEvent::Kind kind) {
  std::vector<Json> out;
  for (const chains::RunEvent& event : events) {
    if (event.kind != kind) continue;
    auto json = tmpl::ToOrderedJson(event.data);
    out.push_back(json.ok() ? *json : Json());
  }
  return out;
}

inline Json AsJson(const tmpl::Value& value) {
  auto json = tmpl::ToOrderedJson(value);
  REQUIRE(json.ok());
  return *json;
}

}  // namespace catena::agents::testing
