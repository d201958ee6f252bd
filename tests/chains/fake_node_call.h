// Test doubles for node types: FakeNodeCall (a NodeCall that records Finish, events, usage, interrupts and
// cancel callbacks; RunChild calls a lambda the test sets), FakeCompileContext (a NodeCompileContext whose Bind
// uses Binding::Compile and whose CompileBody returns an empty CompiledPipeline), and SpecFromJson to write a
// node's `with` as JSON. Thread-safe where the node contract needs it (Finish/Emit from other threads).
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "chains/compiled_pipeline.h"
#include "chains/node_type.h"
#include "nlohmann/json.hpp"

namespace catena::chains::testing {

// A SpecValue from JSON; positions count values in document order (line = 1 + index) so tests can check them.
inline SpecValue SpecFromJson(const nlohmann::ordered_json& json, int* counter = nullptr) {
  int local = 0;
  int& n = counter == nullptr ? local : *counter;
  SpecValue value;
  value.pos = {++n, 1};
  if (json.is_object()) {
    value.kind = SpecValue::Kind::kMap;
    for (const auto& [key, item] : json.items()) {
      SpecValue child = SpecFromJson(item, &n);
      child.key_pos = {child.pos.line, 0};
      value.fields.emplace_back(key, std::move(child));
    }
  } else if (json.is_array()) {
    value.kind = SpecValue::Kind::kList;
    for (const auto& item : json) value.items.push_back(SpecFromJson(item, &n));
  } else if (json.is_string()) {
    value.kind = SpecValue::Kind::kString;
    value.string_value = json.get<std::string>();
  } else if (json.is_boolean()) {
    value.kind = SpecValue::Kind::kBool;
    value.bool_value = json.get<bool>();
  } else if (json.is_number_integer()) {
    value.kind = SpecValue::Kind::kInt;
    value.int_value = json.get<int64_t>();
  } else if (json.is_number()) {
    value.kind = SpecValue::Kind::kFloat;
    value.float_value = json.get<double>();
  }
  return value;
}

class FakeCompileContext final : public NodeCompileContext {
 public:
  explicit FakeCompileContext(std::string node = "n") : node_(std::move(node)), problems_("p.yaml") {}

  ProblemList& problems() override { return problems_; }
  void Error(SourcePos pos, std::string message) override { problems_.Add(pos, node_, std::move(message)); }
  Binding Bind(const SpecValue& value) override { return Binding::Compile(value, node_, problems_); }
  std::shared_ptr<const CompiledPipeline> CompileBody(const SpecValue& body,
                                                      const std::vector<std::string>& extra_roots) override {
    if (fail_bodies) {
      Error(body.pos, "body has problems");
      return nullptr;
    }
    auto pipeline = std::make_shared<CompiledPipeline>();
    pipeline->extra_roots = extra_roots;
    body_roots = extra_roots;
    return pipeline;
  }
  void DeclareRoutes(const std::vector<std::pair<std::string, SourcePos>>& targets) override {
    for (const auto& [id, pos] : targets) routes.push_back(id);
  }
  const NodeRegistry& registry() const override { return NodeRegistry::BuiltIn(); }

  // Every problem message, one per line.
  std::string Messages() const {
    std::string out;
    for (const Problem& p : problems_.problems()) out += p.message + "\n";
    return out;
  }

  bool fail_bodies = false;
  std::vector<std::string> routes;
  std::vector<std::string> body_roots;

 private:
  std::string node_;
  ProblemList problems_;
};

using ChildDone = std::function<void(absl::StatusOr<tmpl::Value>)>;
using ChildRunner = std::function<void(std::shared_ptr<const CompiledPipeline>, tmpl::Value, ChildDone)>;

class FakeNodeCall final : public NodeCall {
 public:
  FakeNodeCall(RunServices services, tmpl::Value params, tmpl::Value context = tmpl::Value::Dict())
      : services_(services), params_(std::move(params)), context_(std::move(context)) {}

  const std::string& node_id() const override { return node_id_; }
  const tmpl::Value& params() const override { return params_; }
  const tmpl::Value& context() const override { return context_; }
  const RunServices& services() const override { return services_; }
  const std::string& tenant() const override { return tenant_; }
  const std::string& run_id() const override { return run_id_; }
  absl::Time deadline() const override { return absl::InfiniteFuture(); }
  bool cancelled() const override {
    std::lock_guard lock(mutex_);
    return cancelled_;
  }
  void OnCancel(std::function<void()> on_cancel) override {
    std::unique_lock lock(mutex_);
    if (cancelled_) {
      lock.unlock();
      on_cancel();
      return;
    }
    cancel_callbacks_.push_back(std::move(on_cancel));
  }
  void Emit(RunEvent event) override {
    std::lock_guard lock(mutex_);
    event.node = node_id_;
    events_.push_back(std::move(event));
  }
  void AddUsage(const TokenUsage& usage) override {
    std::lock_guard lock(mutex_);
    usage_ += usage;
  }
  void RunChild(std::shared_ptr<const CompiledPipeline> pipeline, tmpl::Value inputs, ChildDone done) override {
    child_runner(std::move(pipeline), std::move(inputs), std::move(done));
  }
  void Interrupt(std::string reason, tmpl::Value payload) override {
    std::lock_guard lock(mutex_);
    interrupt_reason_ = std::move(reason);
    interrupt_payload_ = std::move(payload);
    interrupted_ = true;
    cv_.notify_all();
  }
  const tmpl::Value* resume_data() const override { return resume_data_ ? &*resume_data_ : nullptr; }
  absl::Status SaveProgress(tmpl::Value progress) override {
    std::lock_guard lock(mutex_);
    progress_ = std::move(progress);
    progress_log_.clear();
    ++saved_progress_;
    return absl::OkStatus();
  }
  const tmpl::Value* progress() const override { return progress_ ? &*progress_ : nullptr; }
  absl::Status AppendProgress(std::string delta_json) override {
    std::lock_guard lock(mutex_);
    progress_log_.push_back(tmpl::Value::FromJson(nlohmann::json::parse(delta_json)));
    ++saved_progress_;
    return absl::OkStatus();
  }
  const std::vector<tmpl::Value>& progress_log() const override { return progress_log_; }
  void Finish(absl::StatusOr<tmpl::Value> output) override {
    std::lock_guard lock(mutex_);
    ++finish_count_;
    output_ = std::move(output);
    cv_.notify_all();
  }

  // Runs every OnCancel callback (as the executor does when the run is cancelled).
  void Cancel() {
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard lock(mutex_);
      cancelled_ = true;
      callbacks.swap(cancel_callbacks_);
    }
    for (auto& callback : callbacks) callback();
  }
  // Waits until Finish or Interrupt was called; false on timeout.
  bool Wait(std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return finish_count_ > 0 || interrupted_; });
  }

  int finish_count() const { std::lock_guard lock(mutex_); return finish_count_; }
  const absl::StatusOr<tmpl::Value>& output() const { return output_; }
  std::vector<RunEvent> events() const { std::lock_guard lock(mutex_); return events_; }
  TokenUsage usage() const { std::lock_guard lock(mutex_); return usage_; }
  bool interrupted() const { std::lock_guard lock(mutex_); return interrupted_; }
  const std::string& interrupt_reason() const { return interrupt_reason_; }
  const tmpl::Value& interrupt_payload() const { return interrupt_payload_; }

  void set_resume_data(tmpl::Value data) { resume_data_ = std::move(data); }
  void set_progress(tmpl::Value progress) { progress_ = std::move(progress); }
  int saved_progress() const { std::lock_guard lock(mutex_); return saved_progress_; }
  void set_tenant(std::string tenant) { tenant_ = std::move(tenant); }

  ChildRunner child_runner = [](std::shared_ptr<const CompiledPipeline>, tmpl::Value, ChildDone done) {
    done(absl::UnimplementedError("no child runner in this test"));
  };

 private:
  RunServices services_;
  tmpl::Value params_;
  std::vector<tmpl::Value> progress_log_;
  tmpl::Value context_;
  std::string node_id_ = "n";
  std::string tenant_ = "t1";
  std::string run_id_ = "run-1";
  std::optional<tmpl::Value> resume_data_;
  std::optional<tmpl::Value> progress_;
  int saved_progress_ = 0;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool cancelled_ = false;
  std::vector<std::function<void()>> cancel_callbacks_;
  std::vector<RunEvent> events_;
  TokenUsage usage_;
  int finish_count_ = 0;
  absl::StatusOr<tmpl::Value> output_ = absl::UnknownError("not finished");
  bool interrupted_ = false;
  std::string interrupt_reason_;
  tmpl::Value interrupt_payload_;
};

// A NodeSpec of `type` with `with` (as JSON).
inline NodeSpec MakeSpec(std::string type, const nlohmann::ordered_json& with, std::string id = "n") {
  NodeSpec spec;
  spec.id = std::move(id);
  spec.type = std::move(type);
  spec.with = SpecFromJson(with);
  spec.type_pos = {1, 9};
  return spec;
}

// Compiles a node of the built-in `type`; nullptr when Compile refused it (problems are in `context`).
inline std::unique_ptr<NodeImpl> CompileNode(std::string type, const nlohmann::ordered_json& with,
                                             FakeCompileContext& context) {
  const NodeType* node_type = NodeRegistry::BuiltIn().Find(type);
  if (node_type == nullptr) return nullptr;
  return node_type->Compile(MakeSpec(std::move(type), with), context);
}

// The resolved parameters the executor would pass: `with` without the type's lazy parameters.
// `value` as JSON (the test fails when it has no JSON form).
inline nlohmann::json J(const tmpl::Value& value) {
  auto json = tmpl::ToJson(value);
  REQUIRE(json.ok());
  return *json;
}

inline tmpl::Value ParamsOf(const std::string& type, const nlohmann::ordered_json& with) {
  nlohmann::ordered_json params = with;
  if (const NodeType* node_type = NodeRegistry::BuiltIn().Find(type)) {
    for (const ParamInfo& param : node_type->info().params) {
      if (param.lazy) params.erase(param.name);
    }
  }
  return tmpl::Value::FromJson(params);
}

}  // namespace catena::chains::testing
