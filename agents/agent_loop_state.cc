// AgentLoop's progress encoding (agent_loop.h: ToProgress / TakeDelta / Restore): the conversation, the steps
// with their calls and approvals, usage, active time and the finish state, as JSON-compatible values stored in
// the run checkpoints: a whole snapshot, or deltas (new messages, the steps from the first one still open at the
// previous delta, and the scalar fields) replayed in order. nlohmann exceptions on malformed state are caught
// here and become DATA_LOSS.
#include <stdexcept>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "agents/agent_loop.h"
#include "agents/json_text.h"
#include "nlohmann/json.hpp"

namespace catena::agents {
namespace {

using chains::ChatMessage;
using Json = nlohmann::ordered_json;

constexpr int kProgressVersion = 1;

tmpl::Value Dict(std::vector<std::pair<std::string, tmpl::Value>> fields) {
  tmpl::Value out = tmpl::Value::Dict();
  for (auto& [key, value] : fields) out.map().Set(key, std::move(value));
  return out;
}

tmpl::Value MessageValue(const ChatMessage& message) {
  tmpl::Value out = Dict({{"role", message.role}, {"content", message.content}});
  if (!message.tool_calls.empty()) {
    std::vector<tmpl::Value> calls;
    for (const chains::ChatToolCall& call : message.tool_calls) {
      calls.push_back(Dict({{"id", call.id}, {"name", call.name}, {"arguments", call.arguments_json}}));
    }
    out.map().Set("tool_calls", tmpl::Value::List(std::move(calls)));
  }
  if (!message.tool_call_id.empty()) out.map().Set("tool_call_id", message.tool_call_id);
  return out;
}

ChatMessage MessageFromJson(const Json& json) {
  ChatMessage message{.role = json.at("role").get<std::string>(), .content = json.at("content").get<std::string>()};
  for (const Json& call : json.value("tool_calls", Json::array())) {
    message.tool_calls.push_back({call.at("id").get<std::string>(), call.at("name").get<std::string>(),
                                  call.at("arguments").get<std::string>()});
  }
  message.tool_call_id = json.value("tool_call_id", "");
  return message;
}

tmpl::Value CallValue(const AgentToolCall& call) {
  return Dict({{"id", call.id},
               {"name", call.name},
               {"arguments", call.arguments_json},
               {"result", call.result},
               {"is_json", call.is_json},
               {"is_error", call.is_error},
               {"done", call.done},
               {"needs_approval", call.needs_approval},
               {"approved", call.approved.has_value() ? tmpl::Value(*call.approved) : tmpl::Value::None()}});
}

tmpl::Value StepValue(const AgentStep& step) {
  std::vector<tmpl::Value> calls;
  for (const AgentToolCall& call : step.calls) calls.push_back(CallValue(call));
  return Dict({{"reason", step.reason}, {"error", step.error}, {"react", step.react}, {"observed", step.observed},
               {"calls", tmpl::Value::List(std::move(calls))}});
}

AgentToolCall CallFromJson(const Json& json) {
  AgentToolCall call{.id = json.at("id").get<std::string>(),
                     .name = json.at("name").get<std::string>(),
                     .arguments_json = json.at("arguments").get<std::string>(),
                     .result = json.value("result", ""),
                     .is_json = json.value("is_json", false),
                     .is_error = json.value("is_error", false),
                     .done = json.value("done", false),
                     .needs_approval = json.value("needs_approval", false)};
  if (json.contains("approved") && json["approved"].is_boolean()) call.approved = json["approved"].get<bool>();
  return call;
}

void AddScalars(tmpl::Value& out, const std::vector<std::pair<std::string, tmpl::Value>>& fields) {
  for (const auto& [key, value] : fields) out.map().Set(key, value);
}

void WriteMessage(JsonText& out, const ChatMessage& message) {
  out.BeginObject();
  out.Key("role");
  out.String(message.role);
  out.Key("content");
  out.String(message.content);
  if (!message.tool_calls.empty()) {
    out.Key("tool_calls");
    out.BeginArray();
    for (const chains::ChatToolCall& call : message.tool_calls) {
      out.BeginObject();
      out.Key("id");
      out.String(call.id);
      out.Key("name");
      out.String(call.name);
      out.Key("arguments");
      out.String(call.arguments_json);
      out.EndObject();
    }
    out.EndArray();
  }
  if (!message.tool_call_id.empty()) {
    out.Key("tool_call_id");
    out.String(message.tool_call_id);
  }
  out.EndObject();
}

void WriteCall(JsonText& out, const AgentToolCall& call) {
  out.BeginObject();
  for (const auto& [key, value] : {std::pair<const char*, const std::string*>{"id", &call.id},
                                   {"name", &call.name}, {"arguments", &call.arguments_json},
                                   {"result", &call.result}}) {
    out.Key(key);
    out.String(*value);
  }
  for (const auto& [key, value] : {std::pair<const char*, bool>{"is_json", call.is_json}, {"is_error", call.is_error},
                                   {"done", call.done}, {"needs_approval", call.needs_approval}}) {
    out.Key(key);
    out.Bool(value);
  }
  out.Key("approved");
  call.approved.has_value() ? out.Bool(*call.approved) : out.Null();
  out.EndObject();
}

void WriteStep(JsonText& out, const AgentStep& step) {
  out.BeginObject();
  out.Key("reason");
  out.String(step.reason);
  out.Key("error");
  out.String(step.error);
  out.Key("react");
  out.Bool(step.react);
  out.Key("observed");
  out.Bool(step.observed);
  out.Key("calls");
  out.BeginArray();
  for (const AgentToolCall& call : step.calls) WriteCall(out, call);
  out.EndArray();
  out.EndObject();
}

}  // namespace

std::vector<std::pair<std::string, tmpl::Value>> AgentLoop::Scalars(absl::Time now) const {
  return {{"prompt_tokens", usage_.prompt_tokens},
          {"completion_tokens", usage_.completion_tokens},
          {"elapsed_ms", absl::ToInt64Milliseconds(Elapsed(now))},
          {"model_calls", model_calls_},
          {"next_call_id", next_call_id_},
          {"interrupted_call", interrupted_call_},
          {"finished", finished_},
          {"finish_reason", finish_reason_},
          {"text", text_},
          {"last_text", last_text_}};
}

size_t AgentLoop::ClosedSteps() const {
  if (steps_.empty()) return 0;
  return steps_.back().observed ? steps_.size() : steps_.size() - 1;
}

std::string AgentLoop::TakeDelta(absl::Time now) {
  std::string text;
  JsonText out(text);
  out.BeginObject();
  out.Key("delta");
  out.Int(kProgressVersion);
  out.Key("messages_from");
  out.Int(static_cast<int64_t>(saved_messages_));
  out.Key("messages");
  out.BeginArray();
  for (size_t i = saved_messages_; i < messages_.size(); ++i) WriteMessage(out, messages_[i]);
  out.EndArray();
  out.Key("steps_from");
  out.Int(static_cast<int64_t>(saved_steps_));
  out.Key("steps");
  out.BeginArray();
  for (size_t i = saved_steps_; i < steps_.size(); ++i) WriteStep(out, steps_[i]);
  out.EndArray();
  WriteScalars(out, now);
  out.EndObject();
  saved_messages_ = messages_.size();
  saved_steps_ = ClosedSteps();
  return text;
}

void AgentLoop::WriteScalars(JsonText& out, absl::Time now) const {
  const auto field = [&](const char* key, auto value) {
    out.Key(key);
    if constexpr (std::is_same_v<decltype(value), bool>) {
      out.Bool(value);
    } else if constexpr (std::is_integral_v<decltype(value)>) {
      out.Int(value);
    } else {
      out.String(value);
    }
  };
  field("prompt_tokens", usage_.prompt_tokens);
  field("completion_tokens", usage_.completion_tokens);
  field("elapsed_ms", absl::ToInt64Milliseconds(Elapsed(now)));
  field("model_calls", model_calls_);
  field("next_call_id", next_call_id_);
  field("interrupted_call", std::string_view(interrupted_call_));
  field("finished", finished_);
  field("finish_reason", std::string_view(finish_reason_));
  field("text", std::string_view(text_));
  field("last_text", std::string_view(last_text_));
}

void AgentLoop::ApplyJson(const Json& state, bool is_delta) {
  const size_t messages_from = is_delta ? state.at("messages_from").get<size_t>() : 0;
  const size_t steps_from = is_delta ? state.at("steps_from").get<size_t>() : 0;
  if (messages_from > messages_.size() || steps_from > steps_.size()) {
    throw std::out_of_range("a delta starts past the end of the state before it");
  }
  messages_.resize(messages_from);
  for (const Json& message : state.at("messages")) messages_.push_back(MessageFromJson(message));
  steps_.resize(steps_from);
  for (const Json& json : state.at("steps")) {
    AgentStep step{.reason = json.value("reason", ""), .error = json.value("error", ""),
                   .react = json.value("react", false)};
    for (const Json& call : json.at("calls")) step.calls.push_back(CallFromJson(call));
    step.observed = json.value("observed", false);
    steps_.push_back(std::move(step));
  }
  usage_.prompt_tokens = state.value("prompt_tokens", int64_t{0});
  usage_.completion_tokens = state.value("completion_tokens", int64_t{0});
  elapsed_ = absl::Milliseconds(state.value("elapsed_ms", int64_t{0}));
  model_calls_ = state.value("model_calls", 0);
  next_call_id_ = state.value("next_call_id", 0);
  interrupted_call_ = state.value("interrupted_call", "");
  finished_ = state.value("finished", false);
  finish_reason_ = state.value("finish_reason", "");
  text_ = state.value("text", "");
  last_text_ = state.value("last_text", "");
}

tmpl::Value AgentLoop::ToProgress(absl::Time now) const {
  for (size_t i = message_values_.size(); i < messages_.size(); ++i) {
    message_values_.push_back(MessageValue(messages_[i]));
  }
  const size_t closed = steps_.empty() ? 0 : steps_.size() - 1;  // the last step may still change
  for (size_t i = step_values_.size(); i < closed; ++i) step_values_.push_back(StepValue(steps_[i]));
  std::vector<tmpl::Value> steps(step_values_.begin(), step_values_.begin() + closed);
  if (!steps_.empty()) steps.push_back(StepValue(steps_.back()));
  tmpl::Value progress = Dict({{"version", kProgressVersion},
                               {"messages", tmpl::Value::List(message_values_)},
                               {"steps", tmpl::Value::List(std::move(steps))}});
  AddScalars(progress, Scalars(now));
  return progress;
}

absl::StatusOr<AgentLoop> AgentLoop::Restore(AgentConfig config, const tmpl::Value& progress, absl::Time now) {
  return Restore(std::move(config), &progress, {}, now);
}

absl::StatusOr<AgentLoop> AgentLoop::Restore(AgentConfig config, const tmpl::Value* snapshot,
                                             const std::vector<tmpl::Value>& deltas, absl::Time now) {
  AgentLoop loop(std::move(config), {}, now);
  loop.messages_.clear();
  if (snapshot != nullptr) {
    absl::StatusOr<Json> state = tmpl::ToOrderedJson(*snapshot);
    if (!state.ok() || !state->is_object() || state->value("version", 0) != kProgressVersion) {
      return absl::DataLossError("agent progress: not a version-1 agent state");
    }
    try {
      loop.ApplyJson(*state, /*is_delta=*/false);
    } catch (const std::exception& error) {
      return absl::DataLossError(absl::StrCat("agent progress: ", error.what()));
    }
  }
  for (size_t i = 0; i < deltas.size(); ++i) {
    absl::StatusOr<Json> delta = tmpl::ToOrderedJson(deltas[i]);
    if (!delta.ok() || !delta->is_object() || delta->value("delta", 0) != kProgressVersion) {
      return absl::DataLossError(absl::StrCat("agent progress delta ", i, ": not a version-1 agent delta"));
    }
    try {
      loop.ApplyJson(*delta, /*is_delta=*/true);
    } catch (const std::exception& error) {
      return absl::DataLossError(absl::StrCat("agent progress delta ", i, ": ", error.what()));
    }
  }
  loop.saved_messages_ = loop.messages_.size();
  loop.saved_steps_ = loop.ClosedSteps();
  return loop;
}

}  // namespace catena::agents
