// The `agent` node: drives an AgentLoop with services().models and the run's tools. Each model reply and each
// batch of tool results is appended with NodeCall::AppendProgress (a small checkpoint record holding only what
// changed), so Resume after an approval interrupt or a crash continues from the last step. Tool calls run on the executor (concurrently when
// parallel_tool_calls); kToolCall / kToolResult events carry every call, with the model's reason.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "agents/agent_loop.h"
#include "agents/node_types.h"
#include "chains/nodes/node_util.h"
#include "common/executor.h"
#include "common/status.h"

namespace catena::agents {
namespace {

using chains::NodeCall;
namespace nodes = chains::nodes;

absl::StatusOr<absl::Duration> GetDuration(const tmpl::Value& params, std::string_view name) {
  const tmpl::Value* value = nodes::FindParam(params, name);
  if (value == nullptr) return absl::InfiniteDuration();
  chains::SpecValue spec;
  if (value->is_string()) {
    spec.kind = chains::SpecValue::Kind::kString;
    spec.string_value = value->string_value();
  } else if (value->is_int()) {
    spec.kind = chains::SpecValue::Kind::kInt;
    spec.int_value = value->int_value();
  } else if (value->is_float()) {
    spec.kind = chains::SpecValue::Kind::kFloat;
    spec.float_value = value->float_value();
  }
  std::optional<absl::Duration> duration = chains::ParseDuration(spec);
  if (!duration.has_value() || *duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("parameter '", std::string(name), "' must be a duration such as \"30s\" or \"2m\", got ",
                                                   tmpl::Repr(*value)));
  }
  return *duration;
}

// The tools the node may call: "*" = every tool of the tenant, else the listed names.
absl::StatusOr<std::vector<chains::ToolDefinition>> ToolsFor(const NodeCall& call) {
  const tmpl::Value* tools = nodes::FindParam(call.params(), "tools");
  std::vector<chains::ToolDefinition> definitions;
  if (tools == nullptr || (tools->is_list() && tools->list().items.empty())) return definitions;
  CATENA_RETURN_IF_ERROR(nodes::NeedService(call.services().tools, "tools"));
  const chains::ToolSet& set = *call.services().tools;
  if (tools->is_string() && tools->string_value() == "*") {
    for (const auto& tool : set.List(call.tenant())) definitions.push_back(tool->definition());
    return definitions;
  }
  CATENA_ASSIGN_OR_RETURN(std::vector<std::string> names, nodes::GetStringList(call.params(), "tools"));
  for (const std::string& name : names) {
    std::shared_ptr<const chains::Tool> tool = set.Find(call.tenant(), name);
    if (tool == nullptr) {
      std::vector<std::string> known;
      for (const auto& listed : set.List(call.tenant())) known.push_back(listed->definition().name);
      return absl::NotFoundError(absl::StrCat("tools: no tool named '", name, "' (available: ",
                                              known.empty() ? "none" : absl::StrJoin(known, ", "), ")"));
    }
    definitions.push_back(tool->definition());
  }
  return definitions;
}

absl::StatusOr<AgentConfig> ConfigFrom(const NodeCall& call) {
  const tmpl::Value& params = call.params();
  AgentConfig config;
  CATENA_ASSIGN_OR_RETURN(config.model, nodes::GetString(params, "model"));
  CATENA_ASSIGN_OR_RETURN(config.temperature, nodes::GetNumber(params, "temperature", 0, 0, 2));
  CATENA_ASSIGN_OR_RETURN(std::string mode, nodes::GetString(params, "mode", "auto"));
  CATENA_ASSIGN_OR_RETURN(config.mode, ParseAgentMode(mode));
  CATENA_ASSIGN_OR_RETURN(int64_t max_steps, nodes::GetInt(params, "max_steps", 8, 1, 100));
  config.max_steps = static_cast<int>(max_steps);
  CATENA_ASSIGN_OR_RETURN(config.max_tokens, nodes::GetInt(params, "max_tokens", 4096, 1, 1 << 24));
  CATENA_ASSIGN_OR_RETURN(config.timeout, GetDuration(params, "timeout"));
  CATENA_ASSIGN_OR_RETURN(config.parallel_tool_calls, nodes::GetBool(params, "parallel_tool_calls", true));
  CATENA_ASSIGN_OR_RETURN(config.tools, ToolsFor(call));
  CATENA_ASSIGN_OR_RETURN(config.approval, ParseApprovalOverrides(nodes::FindParam(params, "approval")));
  return config;
}

absl::StatusOr<std::vector<chains::ChatMessage>> MessagesFrom(const tmpl::Value& params) {
  std::vector<chains::ChatMessage> messages;
  CATENA_ASSIGN_OR_RETURN(std::string system, nodes::GetString(params, "system"));
  if (!system.empty()) messages.push_back({.role = "system", .content = system});
  if (const tmpl::Value* list = nodes::FindParam(params, "messages")) {
    CATENA_ASSIGN_OR_RETURN(std::vector<chains::ChatMessage> given, nodes::MessagesFromValue(*list, "messages"));
    messages.insert(messages.end(), given.begin(), given.end());
  }
  CATENA_ASSIGN_OR_RETURN(std::string input, nodes::GetString(params, "input"));
  if (!input.empty()) messages.push_back({.role = "user", .content = input});
  if (messages.empty() || messages.back().role == "system") {
    return absl::InvalidArgumentError("agent got no user message: set `input` or `messages`");
  }
  return messages;
}

// One agent node execution, alive until it finishes or interrupts (held by its pending callbacks).
class AgentDriver final : public std::enable_shared_from_this<AgentDriver> {
 public:
  AgentDriver(NodeCall& call, AgentLoop loop) : call_(call), loop_(std::move(loop)) {}

  // Applies a reviewer's decision from Resume data when the run was interrupted for this call.
  absl::Status TakeDecision() {
    const tmpl::Value* resume = call_.resume_data();
    const AgentToolCall* pending = loop_.PendingApproval();
    if (resume == nullptr || resume->is_none() || pending == nullptr || loop_.interrupted_call() != pending->id) {
      return absl::OkStatus();
    }
    CATENA_ASSIGN_OR_RETURN(ApprovalDecision decision, ParseApprovalDecision(*resume));
    const std::string id = pending->id;
    if (loop_.ApplyDecision(decision)) EmitResult(id, loop_.call(IndexOf(id)));
    return Save();
  }

  void Advance() {
    while (true) {
      if (call_.cancelled()) return call_.Finish(absl::CancelledError("agent: the run was cancelled"));
      switch (loop_.phase()) {
        case AgentPhase::kFinished:
          return call_.Finish(loop_.Output());
        case AgentPhase::kAwaitApproval:
          return Interrupt();
        case AgentPhase::kRunTools:
          return RunTools();
        case AgentPhase::kCallModel:
          if (loop_.StopIfExhausted(absl::Now())) continue;
          return CallModel();
      }
    }
  }

  void CancelModel() { slot_.Cancel(); }

 private:
  absl::Status Save() { return call_.AppendProgress(loop_.TakeDelta(absl::Now())); }

  size_t IndexOf(const std::string& id) const {
    const std::vector<AgentToolCall>& calls = loop_.steps().back().calls;
    for (size_t i = 0; i < calls.size(); ++i) {
      if (calls[i].id == id) return i;
    }
    return 0;
  }

  void CallModel() {
    chains::ChatRequest request = loop_.NextRequest(call_.deadline(), absl::Now());
    agent_deadline_ = request.deadline;
    auto self = shared_from_this();
    slot_.Set(call_.services().models->Chat(
        std::move(request), [](std::string_view) {},
        [self](absl::StatusOr<chains::ChatResult> result) { self->OnReply(std::move(result)); }));
  }

  void OnReply(absl::StatusOr<chains::ChatResult> result) {
    if (!result.ok()) {
      const bool out_of_time = result.status().code() == absl::StatusCode::kDeadlineExceeded &&
                               absl::Now() >= agent_deadline_ && agent_deadline_ < call_.deadline();
      if (!out_of_time) return call_.Finish(Annotate(result.status(), "agent: model call"));
      loop_.FinishTimeout();
      return Advance();
    }
    call_.AddUsage(result->usage);
    const size_t steps_before = loop_.steps().size();
    const std::vector<size_t> done = loop_.OnModelReply(*result);
    if (loop_.steps().size() > steps_before) {
      const AgentStep& step = loop_.steps().back();
      for (const AgentToolCall& tool_call : step.calls) EmitCall(tool_call, step.reason);
      for (size_t index : done) EmitResult(step.calls[index].id, step.calls[index]);
    }
    if (absl::Status saved = Save(); !saved.ok()) return call_.Finish(Annotate(saved, "agent: checkpoint"));
    Advance();
  }

  void RunTools() {
    const std::vector<size_t> indexes = loop_.RunnableCalls();
    std::vector<PendingToolCall> pending;
    for (size_t index : indexes) pending.push_back({loop_.call(index).name, loop_.call(index).arguments_json});
    auto self = shared_from_this();
    RunToolCalls(*call_.services().executor, *call_.services().tools, ContextFor(call_, loop_.Deadline(absl::Now())),
                 std::move(pending),
                 loop_.config().parallel_tool_calls, nullptr,
                 [self, indexes](std::vector<ToolCallOutcome> outcomes) { self->OnResults(indexes, outcomes); });
  }

  void OnResults(const std::vector<size_t>& indexes, const std::vector<ToolCallOutcome>& outcomes) {
    for (size_t k = 0; k < indexes.size(); ++k) {
      loop_.OnToolResult(indexes[k], outcomes[k]);
      EmitResult(loop_.call(indexes[k]).id, loop_.call(indexes[k]));
    }
    if (absl::Status saved = Save(); !saved.ok()) return call_.Finish(Annotate(saved, "agent: checkpoint"));
    Advance();
  }

  void Interrupt() {
    const AgentToolCall& pending = *loop_.PendingApproval();
    chains::ApprovalPolicy policy;
    for (const chains::ToolDefinition& tool : loop_.config().tools) {
      if (tool.name == pending.name) policy = loop_.config().approval.For(tool);
    }
    const std::string reason = ApprovalReason(policy, pending.name);
    tmpl::Value payload = ApprovalPayload(pending.name, pending.arguments_json, pending.id, reason);
    loop_.MarkInterrupted(pending.id);
    if (absl::Status saved = Save(); !saved.ok()) return call_.Finish(Annotate(saved, "agent: checkpoint"));
    call_.Interrupt(reason, std::move(payload));
  }

  void EmitCall(const AgentToolCall& tool_call, const std::string& reason) {
    chains::RunEvent event;
    event.kind = chains::RunEvent::Kind::kToolCall;
    event.text = reason;
    event.data = nodes::MakeDict({{"id", tool_call.id},
                                  {"name", tool_call.name},
                                  {"arguments", tool_call.arguments_json},
                                  {"reason", reason},
                                  {"step", static_cast<int64_t>(loop_.steps().size())}});
    call_.Emit(std::move(event));
  }

  void EmitResult(const std::string& id, const AgentToolCall& tool_call) {
    chains::RunEvent event;
    event.kind = chains::RunEvent::Kind::kToolResult;
    event.data = nodes::MakeDict({{"tool_call_id", id},
                                  {"name", tool_call.name},
                                  {"result", tool_call.result},
                                  {"is_error", tool_call.is_error}});
    call_.Emit(std::move(event));
  }

  NodeCall& call_;
  AgentLoop loop_;
  nodes::CancelSlot slot_;
  absl::Time agent_deadline_ = absl::InfiniteFuture();
};

class AgentNode final : public chains::NodeImpl {
 public:
  void Start(NodeCall& call) const override {
    absl::StatusOr<std::shared_ptr<AgentDriver>> driver = Prepare(call);
    if (!driver.ok()) return call.Finish(driver.status());
    call.OnCancel([weak = std::weak_ptr<AgentDriver>(*driver)] {
      if (auto alive = weak.lock()) alive->CancelModel();
    });
    if (absl::Status taken = (*driver)->TakeDecision(); !taken.ok()) return call.Finish(taken);
    (*driver)->Advance();
  }

 private:
  static absl::StatusOr<std::shared_ptr<AgentDriver>> Prepare(NodeCall& call) {
    CATENA_RETURN_IF_ERROR(nodes::NeedService(call.services().models, "models"));
    CATENA_ASSIGN_OR_RETURN(AgentConfig config, ConfigFrom(call));
    if (call.progress() != nullptr || !call.progress_log().empty()) {
      CATENA_ASSIGN_OR_RETURN(AgentLoop loop, AgentLoop::Restore(std::move(config), call.progress(),
                                                                 call.progress_log(), absl::Now()));
      return std::make_shared<AgentDriver>(call, std::move(loop));
    }
    CATENA_ASSIGN_OR_RETURN(std::vector<chains::ChatMessage> messages, MessagesFrom(call.params()));
    return std::make_shared<AgentDriver>(call, AgentLoop(std::move(config), std::move(messages), absl::Now()));
  }
};

}  // namespace

std::unique_ptr<chains::NodeType> NewAgentNodeType() {
  using chains::FieldType;
  chains::NodeTypeInfo info{
      .name = "agent",
      .summary = "Runs a tool-using agent: the model calls tools until it answers or a limit is reached.",
      .params = {{"model", FieldType::kString, false, false, "\"\"", "Model name; empty = the default model."},
                 {"system", FieldType::kString, false, false, "", "The system message (instructions)."},
                 {"input", FieldType::kString, false, false, "", "The user's request (one user message, last)."},
                 {"messages", FieldType::kList, false, false, "[]", "Conversation [{role, content}] before `input`."},
                 {"tools", FieldType::kAny, true, false, "", "Tool names the agent may call, or \"*\" for all."},
                 {"approval", FieldType::kAny, false, false, "", "Approval policy: always, never, {when: expr} or "
                  "{tool: policy}; overrides the tools' own."},
                 {"mode", FieldType::kString, false, false, "auto", "native, react or auto (see docs/agents.md)."},
                 {"max_steps", FieldType::kInt, false, false, "8", "Most model calls (1-100)."},
                 {"max_tokens", FieldType::kInt, false, false, "4096", "Most completion tokens over all model calls."},
                 {"timeout", FieldType::kAny, false, false, "none", "Active time limit, e.g. \"30s\" (approval "
                  "waits do not count)."},
                 {"parallel_tool_calls", FieldType::kBool, false, false, "true", "Run a step's calls concurrently."},
                 {"temperature", FieldType::kNumber, false, false, "0", "Sampling temperature in [0, 2]."}},
      .outputs = {{"text", FieldType::kString, "The final answer (or the last reply when a limit stopped it)."},
                  {"steps", FieldType::kList, "[{reason, tool_calls: [{id, name, arguments, result, is_error, "
                   "approved?}], error?}] in order."},
                  {"finish_reason", FieldType::kString, "stop, max_steps, max_tokens or timeout."},
                  {"usage", FieldType::kMap, "{prompt_tokens, completion_tokens} of all model calls."}}};
  return std::make_unique<nodes::SimpleNodeType>(std::move(info), [](const chains::NodeSpec& spec,
                                                                     chains::NodeCompileContext& context) {
    nodes::RequireAnyOf(spec, context, {"input", "messages"});
    nodes::CheckLiteralChoice(spec, context, "mode", {"native", "react", "auto"});
    nodes::CheckLiteralRange(spec, context, "max_steps", 1, 100);
    return std::make_unique<AgentNode>();
  });
}

}  // namespace catena::agents
