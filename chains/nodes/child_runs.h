// ChildRuns: runs nested pipelines (map items, loop iterations) through NodeCall::RunChild with bounded
// concurrency, then finishes the node once. Children that finish inline do not recurse: a pump loop launches
// the next ones. Hooks run under the object's lock, one at a time. Internal to chains/nodes.
//
// Body convention: bodies are compiled with extra roots (item/index, loop), so the value given to RunChild is
// a dict of context roots: {inputs: <the parent run's inputs>, <extra root>: value, ...}.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "absl/status/statusor.h"
#include "chains/node_type.h"

namespace catena::chains::nodes {

class ChildRuns : public std::enable_shared_from_this<ChildRuns> {
 public:
  struct Hooks {
    // The roots of child number `index`, or nullopt when no child should start now.
    std::function<std::optional<tmpl::Value>(int64_t index)> next;
    // Child `index` finished; an error stops further launches and becomes the node's error.
    std::function<absl::Status(int64_t index, absl::StatusOr<tmpl::Value> outputs)> done;
    // The node's output, once nothing runs and nothing more starts.
    std::function<tmpl::Value()> output;
  };

  ChildRuns(NodeCall& call, std::shared_ptr<const CompiledPipeline> body, int concurrency, Hooks hooks)
      : call_(call), body_(std::move(body)), concurrency_(concurrency), hooks_(std::move(hooks)) {}

  // Launches children until `next` returns nullopt, waits for them, then calls NodeCall::Finish.
  void Start() { Pump(); }

 private:
  void Pump();
  void OnChildDone(int64_t index, absl::StatusOr<tmpl::Value> outputs);

  NodeCall& call_;
  const std::shared_ptr<const CompiledPipeline> body_;
  const int concurrency_;
  Hooks hooks_;
  std::mutex mutex_;
  int64_t launched_ = 0;
  int running_ = 0;
  bool pumping_ = false;
  bool again_ = false;
  bool exhausted_ = false;
  bool finished_ = false;
  absl::Status error_;
};

// The parent run's `inputs` root from a NodeCall context (none when absent).
tmpl::Value ParentInputs(const NodeCall& call);

}  // namespace catena::chains::nodes
