// AgentLoop (agent_loop.h): requests, replies, approvals and limits. The progress encoding is in
// agent_loop_state.cc.
#include "agents/agent_loop.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agents/react_format.h"
#include "nlohmann/json.hpp"

namespace catena::agents {
namespace {

using chains::ChatMessage;
using Json = nlohmann::ordered_json;

constexpr char kNotRun[] = "not run: the agent reached max_steps";

tmpl::Value JsonOrText(const std::string& text, bool parse) {
  if (!parse) return tmpl::Value(text);
  Json json = Json::parse(text, nullptr, false);
  return json.is_discarded() ? tmpl::Value(text) : tmpl::Value::FromJson(json);
}

}  // namespace

absl::StatusOr<AgentMode> ParseAgentMode(std::string_view text) {
  if (text == "native") return AgentMode::kNative;
  if (text == "react") return AgentMode::kReact;
  if (text == "auto" || text.empty()) return AgentMode::kAuto;
  return absl::InvalidArgumentError(
      absl::StrCat("parameter 'mode' must be native, react or auto, got '", std::string(text), "'"));
}

AgentLoop::AgentLoop(AgentConfig config, std::vector<ChatMessage> messages, absl::Time now)
    : config_(std::move(config)), messages_(std::move(messages)), segment_start_(now) {
  if (!UsesReact()) return;
  const std::string instructions = ReactInstructions(config_.tools);
  if (!messages_.empty() && messages_.front().role == "system") {
    absl::StrAppend(&messages_.front().content, "\n\n", instructions);
  } else {
    messages_.insert(messages_.begin(), ChatMessage{.role = "system", .content = instructions});
  }
}

AgentPhase AgentLoop::phase() const {
  if (finished_) return AgentPhase::kFinished;
  if (steps_.empty()) return AgentPhase::kCallModel;
  bool open = false;
  for (const AgentToolCall& call : steps_.back().calls) {
    if (!call.done && call.needs_approval && !call.approved.has_value()) return AgentPhase::kAwaitApproval;
    open = open || !call.done;
  }
  return open ? AgentPhase::kRunTools : AgentPhase::kCallModel;
}

bool AgentLoop::StopIfExhausted(absl::Time now) {
  if (finished_) return true;
  if (Elapsed(now) >= config_.timeout) {
    Finish("timeout", last_text_);
  } else if (model_calls_ >= config_.max_steps) {
    Finish("max_steps", last_text_);
  } else if (usage_.completion_tokens >= config_.max_tokens) {
    Finish("max_tokens", last_text_);
  }
  return finished_;
}

absl::Time AgentLoop::Deadline(absl::Time now) const {
  if (config_.timeout == absl::InfiniteDuration()) return absl::InfiniteFuture();
  return now + (config_.timeout - Elapsed(now));
}

chains::ChatRequest AgentLoop::NextRequest(absl::Time deadline, absl::Time now) const {
  chains::ChatRequest request;
  request.model = config_.model;
  request.messages = messages_;
  request.temperature = config_.temperature;
  request.max_tokens = static_cast<int>(std::clamp<int64_t>(config_.max_tokens - usage_.completion_tokens, 1, 1 << 20));
  request.deadline = std::min(deadline, Deadline(now));
  if (UsesReact()) {
    request.stop = ReactStopStrings();
  } else {
    for (const chains::ToolDefinition& tool : config_.tools) request.tools.push_back(chains::ToChatTool(tool));
  }
  return request;
}

std::string AgentLoop::NewCallId(const std::string& proposed) {
  bool used = proposed.empty();
  for (const AgentStep& step : steps_) {
    for (const AgentToolCall& call : step.calls) used = used || call.id == proposed;
  }
  const int number = next_call_id_++;
  return used ? absl::StrCat("call_", number) : proposed;
}

std::optional<std::string> AgentLoop::Read(const chains::ChatResult& reply, AgentStep& step) {
  step.reason = reply.text;
  if (!UsesReact() && !reply.tool_calls.empty()) {
    ChatMessage assistant{.role = "assistant", .content = reply.text};
    for (const chains::ChatToolCall& call : reply.tool_calls) {
      AgentToolCall record{.id = NewCallId(call.id), .name = call.name, .arguments_json = call.arguments_json};
      assistant.tool_calls.push_back({record.id, record.name, record.arguments_json});
      step.calls.push_back(std::move(record));
    }
    messages_.push_back(std::move(assistant));
    return std::nullopt;
  }
  if (config_.mode == AgentMode::kNative) return reply.text;
  absl::StatusOr<ReactReply> parsed = ParseReactReply(reply.text, config_.tools);
  if (!parsed.ok() && !UsesReact()) return reply.text;  // auto: plain text is the answer
  messages_.push_back(ChatMessage{.role = "assistant", .content = reply.text});
  step.react = true;
  if (!parsed.ok()) {
    step.error = std::string(parsed.status().message());
    messages_.push_back(ChatMessage{.role = "user", .content = ReactFormatError(parsed.status())});
    step.observed = true;
    return std::nullopt;
  }
  step.reason = parsed->thought;
  if (parsed->is_final) return parsed->final_answer;
  step.calls.push_back(AgentToolCall{.id = NewCallId(""), .name = parsed->action,
                                     .arguments_json = parsed->action_input_json});
  return std::nullopt;
}

std::vector<size_t> AgentLoop::OnModelReply(const chains::ChatResult& reply) {
  ++model_calls_;
  usage_ += reply.usage;
  last_text_ = reply.text;
  AgentStep step;
  std::optional<std::string> answer = Read(reply, step);
  if (answer.has_value()) {
    const bool cut = reply.finish_reason == "length" && usage_.completion_tokens >= config_.max_tokens;
    Finish(cut ? "max_tokens" : "stop", *std::move(answer));
    return {};
  }
  std::vector<size_t> done;
  const bool last_step = model_calls_ >= config_.max_steps;
  for (size_t i = 0; i < step.calls.size(); ++i) {
    if (last_step) {
      step.calls[i].done = step.calls[i].is_error = true;
      step.calls[i].result = kNotRun;
      done.push_back(i);
    } else {
      Screen(step.calls[i], i, done);
    }
  }
  steps_.push_back(std::move(step));
  if (last_step && !steps_.back().calls.empty()) {
    steps_.back().observed = true;
    Finish("max_steps", last_text_);
    return done;
  }
  CloseStepIfDone();
  return done;
}

const chains::ToolDefinition* AgentLoop::FindTool(const std::string& name) const {
  for (const chains::ToolDefinition& tool : config_.tools) {
    if (tool.name == name) return &tool;
  }
  return nullptr;
}

void AgentLoop::Screen(AgentToolCall& call, size_t index, std::vector<size_t>& done) const {
  auto fail = [&](std::string message) {
    call.done = call.is_error = true;
    call.result = std::move(message);
    done.push_back(index);
  };
  const chains::ToolDefinition* tool = FindTool(call.name);
  if (tool == nullptr) {
    std::vector<std::string> names;
    for (const chains::ToolDefinition& known : config_.tools) names.push_back(known.name);
    return fail(absl::StrCat("unknown tool '", call.name, "' (available: ",
                             names.empty() ? "none" : absl::StrJoin(names, ", "), ")"));
  }
  const chains::ApprovalPolicy& policy = config_.approval.For(*tool);
  if (policy.mode == chains::ApprovalPolicy::Mode::kNever) return;
  // Calls that need a person are checked first, so that nobody is asked to approve arguments that would fail.
  if (absl::Status valid = ValidateArguments(*tool, call.arguments_json); !valid.ok()) {
    return fail(std::string(valid.message()));
  }
  const Json arguments = Json::parse(call.arguments_json.empty() ? "{}" : call.arguments_json);
  absl::StatusOr<bool> needs = NeedsApproval(policy, call.name, arguments);
  if (!needs.ok()) return fail(std::string(needs.status().message()));
  call.needs_approval = *needs;
}

void AgentLoop::FinishTimeout() { Finish("timeout", last_text_); }

void AgentLoop::Finish(std::string reason, std::string text) {
  finished_ = true;
  finish_reason_ = std::move(reason);
  text_ = std::move(text);
}

const AgentToolCall* AgentLoop::PendingApproval() const {
  if (steps_.empty()) return nullptr;
  for (const AgentToolCall& call : steps_.back().calls) {
    if (!call.done && call.needs_approval && !call.approved.has_value()) return &call;
  }
  return nullptr;
}

bool AgentLoop::ApplyDecision(const ApprovalDecision& decision) {
  const AgentToolCall* pending = PendingApproval();
  if (pending == nullptr) return false;
  AgentToolCall& call = steps_.back().calls[pending - steps_.back().calls.data()];
  interrupted_call_.clear();
  call.approved = decision.approved;
  if (decision.approved) {
    if (decision.edited_arguments_json.has_value()) call.arguments_json = *decision.edited_arguments_json;
    return false;
  }
  call.done = call.is_error = true;
  call.result = kRejectedByReviewer;
  CloseStepIfDone();
  return true;
}

std::vector<size_t> AgentLoop::RunnableCalls() const {
  std::vector<size_t> runnable;
  if (steps_.empty()) return runnable;
  const std::vector<AgentToolCall>& calls = steps_.back().calls;
  for (size_t i = 0; i < calls.size(); ++i) {
    if (!calls[i].done && (!calls[i].needs_approval || calls[i].approved == true)) runnable.push_back(i);
  }
  return runnable;
}

const AgentToolCall& AgentLoop::call(size_t index) const { return steps_.back().calls.at(index); }

void AgentLoop::OnToolResult(size_t index, const ToolCallOutcome& outcome) {
  AgentToolCall& call = steps_.back().calls.at(index);
  call.result = outcome.content;
  call.is_json = outcome.is_json;
  call.is_error = outcome.is_error;
  call.done = true;
  CloseStepIfDone();
}

void AgentLoop::CloseStepIfDone() {
  if (steps_.empty() || steps_.back().observed) return;
  AgentStep& step = steps_.back();
  for (const AgentToolCall& call : step.calls) {
    if (!call.done) return;
  }
  for (const AgentToolCall& call : step.calls) {
    if (step.react) {
      messages_.push_back(ChatMessage{.role = "user", .content = ReactObservation(call.result, call.is_error)});
    } else {
      messages_.push_back(ChatMessage{.role = "tool",
                                      .content = call.is_error ? absl::StrCat("error: ", call.result) : call.result,
                                      .tool_call_id = call.id});
    }
  }
  step.observed = true;
}

tmpl::Value AgentLoop::Output() const {
  std::vector<tmpl::Value> steps;
  for (const AgentStep& step : steps_) {
    std::vector<tmpl::Value> calls;
    for (const AgentToolCall& call : step.calls) {
      tmpl::Value record = tmpl::Value::Dict();
      record.map().Set("id", call.id);
      record.map().Set("name", call.name);
      record.map().Set("arguments", JsonOrText(call.arguments_json, true));
      record.map().Set("result", JsonOrText(call.result, call.is_json));
      record.map().Set("is_error", call.is_error);
      if (call.approved.has_value()) record.map().Set("approved", *call.approved);
      calls.push_back(std::move(record));
    }
    tmpl::Value out = tmpl::Value::Dict();
    out.map().Set("reason", step.reason);
    out.map().Set("tool_calls", tmpl::Value::List(std::move(calls)));
    if (!step.error.empty()) out.map().Set("error", step.error);
    steps.push_back(std::move(out));
  }
  tmpl::Value usage = tmpl::Value::Dict();
  usage.map().Set("prompt_tokens", usage_.prompt_tokens);
  usage.map().Set("completion_tokens", usage_.completion_tokens);
  tmpl::Value output = tmpl::Value::Dict();
  output.map().Set("text", text_);
  output.map().Set("steps", tmpl::Value::List(std::move(steps)));
  output.map().Set("finish_reason", finish_reason_);
  output.map().Set("usage", std::move(usage));
  return output;
}

}  // namespace catena::agents
