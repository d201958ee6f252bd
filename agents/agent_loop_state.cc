// AgentLoop's progress encoding (agent_loop.h: ToProgress / Restore): the conversation, the steps with their
// calls and approvals, usage, active time and the finish state, as a JSON-compatible value stored in the run
// checkpoint. nlohmann exceptions on malformed state are caught here and become DATA_LOSS.
#include "absl/strings/str_cat.h"
#include "agents/agent_loop.h"
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

}  // namespace

tmpl::Value AgentLoop::ToProgress(absl::Time now) const {
  for (size_t i = message_values_.size(); i < messages_.size(); ++i) {
    message_values_.push_back(MessageValue(messages_[i]));
  }
  const size_t closed = steps_.empty() ? 0 : steps_.size() - 1;  // the last step may still change
  for (size_t i = step_values_.size(); i < closed; ++i) step_values_.push_back(StepValue(steps_[i]));
  std::vector<tmpl::Value> steps(step_values_.begin(), step_values_.begin() + closed);
  if (!steps_.empty()) steps.push_back(StepValue(steps_.back()));
  return Dict({{"version", kProgressVersion},
               {"messages", tmpl::Value::List(message_values_)},
               {"steps", tmpl::Value::List(std::move(steps))},
               {"prompt_tokens", usage_.prompt_tokens},
               {"completion_tokens", usage_.completion_tokens},
               {"elapsed_ms", absl::ToInt64Milliseconds(Elapsed(now))},
               {"model_calls", model_calls_},
               {"next_call_id", next_call_id_},
               {"interrupted_call", interrupted_call_},
               {"finished", finished_},
               {"finish_reason", finish_reason_},
               {"text", text_},
               {"last_text", last_text_}});
}

absl::StatusOr<AgentLoop> AgentLoop::Restore(AgentConfig config, const tmpl::Value& progress, absl::Time now) {
  absl::StatusOr<Json> state = tmpl::ToOrderedJson(progress);
  if (!state.ok() || !state->is_object() || state->value("version", 0) != kProgressVersion) {
    return absl::DataLossError("agent progress: not a version-1 agent state");
  }
  AgentLoop loop(std::move(config), {}, now);
  try {
    loop.messages_.clear();
    for (const Json& message : state->at("messages")) loop.messages_.push_back(MessageFromJson(message));
    for (const Json& json : state->at("steps")) {
      AgentStep step{.reason = json.value("reason", ""), .error = json.value("error", ""),
                     .react = json.value("react", false)};
      for (const Json& call : json.at("calls")) step.calls.push_back(CallFromJson(call));
      step.observed = json.value("observed", false);
      loop.steps_.push_back(std::move(step));
    }
    loop.usage_.prompt_tokens = state->value("prompt_tokens", int64_t{0});
    loop.usage_.completion_tokens = state->value("completion_tokens", int64_t{0});
    loop.elapsed_ = absl::Milliseconds(state->value("elapsed_ms", int64_t{0}));
    loop.model_calls_ = state->value("model_calls", 0);
    loop.next_call_id_ = state->value("next_call_id", 0);
    loop.interrupted_call_ = state->value("interrupted_call", "");
    loop.finished_ = state->value("finished", false);
    loop.finish_reason_ = state->value("finish_reason", "");
    loop.text_ = state->value("text", "");
    loop.last_text_ = state->value("last_text", "");
  } catch (const Json::exception& error) {
    return absl::DataLossError(absl::StrCat("agent progress: ", error.what()));
  }
  return loop;
}

}  // namespace catena::agents
