// Test support for the Runner tests: hand-built CompiledPipelines (no YAML front end) and small NodeImpls
// (sync echo, timer-driven async, flaky, never-finishing, interrupting, routing, nested) that record what
// happened to them. Counters are atomics; the node objects are shared by every run of a pipeline.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "chains/compiled_pipeline.h"
#include "common/executor.h"

namespace catena::chains::testing {

using SteadyClock = std::chrono::steady_clock;

// What a node saw: calls, threads and start/end times.
struct Probe {
  std::atomic<int> calls{0};
  std::atomic<int> cancels{0};
  std::mutex mu;
  std::vector<std::thread::id> threads;
  std::vector<std::pair<SteadyClock::time_point, SteadyClock::time_point>> intervals;
  std::vector<tmpl::Value> resume_data;

  void Record(std::thread::id thread) {
    std::lock_guard<std::mutex> lock(mu);
    threads.push_back(thread);
  }
};

inline tmpl::Value Json(const std::string& text) { return tmpl::Value::FromJson(nlohmann::json::parse(text)); }

// Finishes inline with its params (plus {ran: true}).
class EchoNode final : public NodeImpl {
 public:
  explicit EchoNode(std::shared_ptr<Probe> probe = nullptr) : probe_(std::move(probe)) {}
  void Start(NodeCall& call) const override {
    if (probe_) {
      probe_->calls++;
      probe_->Record(std::this_thread::get_id());
      if (const tmpl::Value* resume = call.resume_data()) {
        std::lock_guard<std::mutex> lock(probe_->mu);
        probe_->resume_data.push_back(*resume);
      }
    }
    tmpl::Value out = tmpl::Value::Dict();
    for (const auto& [key, value] : call.params().map().entries()) out.map().Set(tmpl::ToStr(key), value);
    out.map().Set("ran", true);
    call.Finish(std::move(out));
  }

 private:
  std::shared_ptr<Probe> probe_;
};

// Finishes {value: params.value} after `delay` on an executor timer, optionally emitting `tokens` token events.
class AsyncNode final : public NodeImpl {
 public:
  AsyncNode(std::shared_ptr<Probe> probe, std::chrono::milliseconds delay, int tokens = 0)
      : probe_(std::move(probe)), delay_(delay), tokens_(tokens) {}
  void Start(NodeCall& call) const override {
    probe_->calls++;
    const auto start = SteadyClock::now();
    call.services().executor->PostAfter(delay_, [this, &call, start] {
      for (int i = 0; i < tokens_; ++i) {
        RunEvent event;
        event.kind = RunEvent::Kind::kToken;
        event.text = "t" + std::to_string(i);
        call.Emit(std::move(event));
      }
      {
        std::lock_guard<std::mutex> lock(probe_->mu);
        probe_->intervals.emplace_back(start, SteadyClock::now());
      }
      tmpl::Value out = tmpl::Value::Dict();
      const tmpl::Value* value = call.params().map().Find("value");
      out.map().Set("value", value != nullptr ? *value : tmpl::Value::None());
      call.Finish(std::move(out));
    });
  }

 private:
  std::shared_ptr<Probe> probe_;
  std::chrono::milliseconds delay_;
  int tokens_;
};

// Fails (UNAVAILABLE) its first `failures` calls, then finishes {attempt: n}.
class FlakyNode final : public NodeImpl {
 public:
  FlakyNode(std::shared_ptr<Probe> probe, int failures) : probe_(std::move(probe)), failures_(failures) {}
  void Start(NodeCall& call) const override {
    const int attempt = probe_->calls++;
    {
      std::lock_guard<std::mutex> lock(probe_->mu);
      probe_->intervals.emplace_back(SteadyClock::now(), SteadyClock::now());
    }
    if (attempt < failures_) return call.Finish(absl::UnavailableError("backend down"));
    tmpl::Value out = tmpl::Value::Dict();
    out.map().Set("attempt", attempt + 1);
    call.Finish(std::move(out));
  }

 private:
  std::shared_ptr<Probe> probe_;
  int failures_;
};

// Never finishes on its own; finishes CANCELLED when told to cancel.
class HangingNode final : public NodeImpl {
 public:
  explicit HangingNode(std::shared_ptr<Probe> probe) : probe_(std::move(probe)) {}
  void Start(NodeCall& call) const override {
    probe_->calls++;
    call.OnCancel([probe = probe_, &call] {
      probe->cancels++;
      call.Finish(absl::CancelledError("stopped"));
    });
  }

 private:
  std::shared_ptr<Probe> probe_;
};

// Interrupts for approval; when resumed, finishes {approved: resume_data.approved}.
class ApprovalNode final : public NodeImpl {
 public:
  explicit ApprovalNode(std::shared_ptr<Probe> probe) : probe_(std::move(probe)) {}
  void Start(NodeCall& call) const override {
    probe_->calls++;
    const tmpl::Value* resume = call.resume_data();
    if (resume == nullptr) return call.Interrupt("needs approval", Json(R"({"amount": 250})"));
    tmpl::Value out = tmpl::Value::Dict();
    const tmpl::Value* approved = resume->is_map() ? resume->map().Find("approved") : nullptr;
    out.map().Set("approved", approved != nullptr ? *approved : tmpl::Value(false));
    call.Finish(std::move(out));
  }

 private:
  std::shared_ptr<Probe> probe_;
};

// Router: finishes {next: params.choice}.
class RouteNode final : public NodeImpl {
 public:
  void Start(NodeCall& call) const override {
    tmpl::Value out = tmpl::Value::Dict();
    out.map().Set("next", *call.params().map().Find("choice"));
    call.Finish(std::move(out));
  }
};

// Runs `body` with its params as inputs and finishes with the body's outputs.
class NestedNode final : public NodeImpl {
 public:
  explicit NestedNode(std::shared_ptr<const CompiledPipeline> body) : body_(std::move(body)) {}
  void Start(NodeCall& call) const override {
    tmpl::Value inputs = tmpl::Value::Dict();
    for (const auto& [key, value] : call.params().map().entries()) inputs.map().Set(tmpl::ToStr(key), value);
    call.RunChild(body_, std::move(inputs), [&call](absl::StatusOr<tmpl::Value> outputs) { call.Finish(outputs); });
  }

 private:
  std::shared_ptr<const CompiledPipeline> body_;
};

// Builds a CompiledPipeline by hand; nodes must be added after their dependencies.
class PipelineBuilder {
 public:
  explicit PipelineBuilder(std::string version = "v1") : pipeline_(std::make_shared<CompiledPipeline>()) {
    pipeline_->version = std::move(version);
    pipeline_->spec.name = "test";
  }

  int Add(const std::string& id, std::unique_ptr<NodeImpl> impl, const std::vector<std::string>& deps = {}) {
    CompiledNode node;
    node.id = id;
    node.type = "test";
    node.impl = std::move(impl);
    for (const std::string& dep : deps) node.dependencies.push_back(Index(dep));
    pipeline_->nodes.push_back(std::move(node));
    return static_cast<int>(pipeline_->nodes.size()) - 1;
  }
  CompiledNode& node(const std::string& id) { return pipeline_->nodes[Index(id)]; }
  void Param(const std::string& id, const std::string& name, const std::string& text) {
    node(id).params.emplace_back(name, Bind(text));
  }
  void When(const std::string& id, const std::string& text) { node(id).when = Bind(text); }
  void ExtraRoot(const std::string& name) { pipeline_->extra_roots.push_back(name); }
  void Output(const std::string& name, const std::string& text) { pipeline_->outputs.emplace_back(name, Bind(text)); }
  void Input(const std::string& name, FieldType type, bool required) {
    InputSpec input;
    input.name = name;
    input.type = type;
    input.required = required;
    pipeline_->spec.inputs.push_back(std::move(input));
  }
  void Default(const std::string& input, int64_t value) {
    for (InputSpec& spec : pipeline_->spec.inputs) {
      if (spec.name != input) continue;
      SpecValue literal;
      literal.kind = SpecValue::Kind::kInt;
      literal.int_value = value;
      spec.default_value = literal;
    }
  }
  // `router` chooses between `targets` (which then wait for it and are gated by it).
  void Routes(const std::string& router, const std::vector<std::string>& targets) {
    for (const std::string& target : targets) {
      node(router).route_targets.push_back(Index(target));
      node(target).gated_by.push_back(Index(router));
    }
  }
  std::shared_ptr<const CompiledPipeline> Build() {
    for (size_t i = 0; i < pipeline_->nodes.size(); ++i) {
      for (int dep : pipeline_->nodes[i].dependencies) pipeline_->nodes[dep].dependents.push_back(static_cast<int>(i));
    }
    return pipeline_;
  }
  int Index(const std::string& id) const {
    for (size_t i = 0; i < pipeline_->nodes.size(); ++i) {
      if (pipeline_->nodes[i].id == id) return static_cast<int>(i);
    }
    FAIL("unknown node " << id);
    return -1;
  }

  static Binding Bind(const std::string& text) {
    SpecValue value;
    value.kind = SpecValue::Kind::kString;
    value.string_value = text;
    ProblemList problems("test.yaml");
    Binding binding = Binding::Compile(value, "n", problems);
    REQUIRE(problems.empty());
    return binding;
  }

 private:
  std::shared_ptr<CompiledPipeline> pipeline_;
};

}  // namespace catena::chains::testing
