// Tool calls of the tool and agent nodes (tool_dispatch.h).
#include "agents/tool_dispatch.h"

#include <algorithm>
#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "agents/tool_invoke.h"
#include "common/executor.h"
#include "common/status.h"

namespace catena::agents {
absl::Status ValidateArguments(const chains::ToolDefinition& tool, std::string_view arguments_json) {
  return CheckedToolArguments(tool, arguments_json).status();
}

ToolCallOutcome CallTool(const chains::ToolSet& tools, const chains::ToolCallContext& context, std::string_view name,
                         std::string_view arguments_json) {
  std::shared_ptr<const chains::Tool> tool = tools.Find(context.tenant, name);
  if (tool == nullptr) {
    std::vector<std::string> names;
    for (const auto& known : tools.List(context.tenant)) names.push_back(known->definition().name);
    return {absl::StrCat("unknown tool '", std::string(name),
                         "' (available: ", names.empty() ? "none" : absl::StrJoin(names, ", "), ")"),
            false, true};
  }
  absl::StatusOr<chains::ToolOutput> output = InvokeTool(*tool, context, arguments_json);
  if (!output.ok()) return {std::string(output.status().message()), false, true};
  return {std::move(output->content), output->is_json, false};
}

chains::ToolCallContext ContextFor(chains::NodeCall& call, absl::Time deadline) {
  chains::ToolCallContext context;
  context.tenant = call.tenant();
  context.run_id = call.run_id();
  context.services = &call.services();
  context.deadline = std::min(deadline, call.deadline());
  context.cancelled = [&call] { return call.cancelled(); };
  return context;
}

namespace {

// How many tool batches run inline, one inside the other, on this thread (see RunToolCalls).
constexpr int kMaxInlineDepth = 8;
thread_local int inline_depth = 0;

}  // namespace

void RunToolCalls(Executor& executor, const chains::ToolSet& tools, chains::ToolCallContext context,
                  std::vector<PendingToolCall> calls, bool parallel,
                  std::function<void(size_t index, const ToolCallOutcome&)> on_each,
                  std::function<void(std::vector<ToolCallOutcome>)> done) {
  struct Batch {
    std::vector<PendingToolCall> calls;
    std::vector<ToolCallOutcome> outcomes;
    std::atomic<size_t> left{0};
    chains::ToolCallContext context;
    std::function<void(size_t, const ToolCallOutcome&)> on_each;
    std::function<void(std::vector<ToolCallOutcome>)> done;
  };
  auto batch = std::make_shared<Batch>();
  batch->outcomes.resize(calls.size());
  batch->left = calls.size();
  batch->calls = std::move(calls);
  batch->context = std::move(context);
  batch->on_each = std::move(on_each);
  batch->done = std::move(done);
  if (batch->calls.empty()) return batch->done({});
  auto run_one = [batch, &tools](size_t index) {
    const PendingToolCall& pending = batch->calls[index];
    batch->outcomes[index] = CallTool(tools, batch->context, pending.name, pending.arguments_json);
    if (batch->on_each) batch->on_each(index, batch->outcomes[index]);
    if (batch->left.fetch_sub(1, std::memory_order_acq_rel) == 1) batch->done(std::move(batch->outcomes));
  };
  if (!parallel || batch->calls.size() == 1) {
    auto sequence = [batch, run_one] {
      for (size_t i = 0; i < batch->calls.size(); ++i) run_one(i);
    };
    // Already on one of the executor's threads: run here, saving a hand-off to another thread (most of a
    // step's overhead), unless a chain of inline steps (a model that answers inline) has grown deep.
    if (Executor::Current() == &executor && inline_depth < kMaxInlineDepth) {
      ++inline_depth;
      sequence();
      --inline_depth;
      return;
    }
    if (!executor.Post(sequence)) sequence();
    return;
  }
  for (size_t i = 0; i < batch->calls.size(); ++i) {
    if (!executor.Post([run_one, i] { run_one(i); })) run_one(i);
  }
}

}  // namespace catena::agents
