#include "chains/engine_chat_model.h"

#include <mutex>

#include "absl/strings/str_cat.h"
#include "chains/tool_calls.h"
#include "common/status.h"
#include "inference/model_registry.h"
#include "inference/stop_matcher.h"
#include "inference/text_tokenizer.h"

namespace catena::chains {
namespace {

using inference::EngineEvent;
using inference::EngineRequest;
using inference::ServedModel;

absl::StatusOr<std::vector<int32_t>> PromptTokens(const ServedModel& served, const ChatRequest& request) {
  const inference::TextTokenizer& tokenizer = served.model->tokenizer();
  if (request.raw_prompt) {
    if (request.messages.empty() || request.messages[0].content.empty()) {
      return absl::InvalidArgumentError("the prompt is empty");
    }
    return tokenizer.Encode(request.messages[0].content, {.add_special = true});
  }
  std::vector<inference::ChatMessage> messages;
  for (const ChatMessage& in : request.messages) {
    inference::ChatMessage out{.role = in.role, .content = in.content, .tool_call_id = in.tool_call_id};
    for (const ChatToolCall& call : in.tool_calls) out.tool_calls.push_back({call.id, call.name, call.arguments_json});
    messages.push_back(std::move(out));
  }
  inference::ChatTemplateOptions options;
  if (!request.tools.empty()) {
    std::vector<inference::ToolDefinition> tools;
    for (const ChatTool& tool : request.tools) tools.push_back({tool.name, tool.description, tool.parameters_json_schema});
    CATENA_ASSIGN_OR_RETURN(options.tools, inference::ToolsToJson(tools));
  }
  CATENA_ASSIGN_OR_RETURN(std::string prompt, served.chat_template->Render(messages, options));
  // The template writes BOS and the turn markers itself.
  return tokenizer.Encode(prompt, {.parse_special = true});
}

absl::StatusOr<EngineRequest> EngineRequestFor(const ServedModel& served, const ChatRequest& request) {
  EngineRequest engine;
  CATENA_ASSIGN_OR_RETURN(engine.prompt, PromptTokens(served, request));
  const int64_t room = served.model->spec().context_length - static_cast<int64_t>(engine.prompt.size());
  if (room <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("the prompt has ", engine.prompt.size(),
                                                   " tokens; the model's context is ",
                                                   served.model->spec().context_length));
  }
  engine.max_tokens = static_cast<int>(std::min<int64_t>(std::max(request.max_tokens, 1), room));
  engine.sampling.temperature = static_cast<float>(request.temperature);
  engine.sampling.top_p = request.top_p <= 0 ? 1.0f : static_cast<float>(request.top_p);
  engine.sampling.top_k = request.top_k;
  engine.sampling.min_p = static_cast<float>(request.min_p);
  engine.sampling.repetition_penalty = static_cast<float>(request.repetition_penalty);
  engine.sampling.frequency_penalty = static_cast<float>(request.frequency_penalty);
  engine.sampling.presence_penalty = static_cast<float>(request.presence_penalty);
  // Token ids and the alternatives' count are checked by the engine's Submit (inference::Validate).
  for (const auto& [token, bias] : request.logit_bias) {
    engine.sampling.logit_bias.emplace_back(token, static_cast<float>(bias));
  }
  engine.sampling.seed = static_cast<uint64_t>(request.seed);
  engine.sampling.top_logprobs = std::max(request.logprobs, 0);
  engine.deadline = request.deadline;
  if (!request.json_schema.empty()) {
    auto grammar = inference::CompileJsonSchema(request.json_schema, served.grammar_vocabulary);
    if (!grammar.ok()) return Annotate(grammar.status(), "json_schema");
    engine.grammar = *std::move(grammar);
  } else if (!request.tools.empty() && !request.raw_prompt && served.tool_grammars != nullptr &&
             served.tool_call_format != inference::ToolCallFormat::kNone) {
    // Tools offered, the model chooses ("auto"): calls in the template's format are valid by construction.
    std::vector<inference::ToolDefinition> tools;
    for (const ChatTool& tool : request.tools) tools.push_back({tool.name, tool.description, tool.parameters_json_schema});
    auto grammar = served.tool_grammars->Get(served.tool_call_format, tools);
    if (!grammar.ok()) return Annotate(grammar.status(), "tools (the schema of a call)");
    engine.triggered_grammar = *std::move(grammar);
  }
  return engine;
}

// One call: engine events (on the engine's thread) become text deltas and one on_done. The stream holds the
// Model (for its tokenizer) but not the ServedModel: the engine owns this stream through its callback, and the
// last reference to a ServedModel must never be dropped on the engine's own thread (~Engine joins it). The
// ChatCancel handle and the registry keep the ServedModel alive.
class EngineStream final : public std::enable_shared_from_this<EngineStream> {
 public:
  EngineStream(const ServedModel& served, std::vector<ChatTool> tools, bool logprobs, inference::StopMatcher stops,
               std::function<void(std::string_view)> on_delta, std::function<void(absl::StatusOr<ChatResult>)> on_done)
      : model_(served.model), engine_(served.engine.get()), tools_(std::move(tools)), logprobs_(logprobs),
        detokenizer_(model_->tokenizer()),
        stops_(std::move(stops)), on_delta_(std::move(on_delta)), on_done_(std::move(on_done)) {}

  // Submits; on failure on_done gets the error. Events may arrive before Submit returns (engine thread).
  void Start(EngineRequest request) {
    auto self = shared_from_this();
    auto id = engine_->Submit(std::move(request), [self](const EngineEvent& event) { self->OnEvent(event); });
    if (!id.ok()) return on_done_(id.status());
    bool cancel_now = false;
    {
      std::lock_guard lock(id_mutex_);
      id_ = *id;
      submitted_ = true;
      cancel_now = cancel_requested_;
    }
    if (cancel_now) engine_->Cancel(*id);
  }

  // Cancels the engine request (at once, or right after Submit returns its id).
  void Cancel() {
    int64_t id = 0;
    {
      std::lock_guard lock(id_mutex_);
      if (!submitted_) {
        cancel_requested_ = true;
        return;
      }
      id = id_;
    }
    engine_->Cancel(id);
  }

 private:
  void OnEvent(const EngineEvent& event) {
    std::string delta;
    for (size_t i = 0; i < event.tokens.size(); ++i) {
      if (stops_.stopped()) break;
      delta += stops_.Push(detokenizer_.Push(event.tokens[i])).text;
      if (logprobs_ && i < event.samples.size()) logprobs_out_.push_back(LogprobOf(event.samples[i]));
    }
    if (stops_.stopped() && !event.finished) Cancel();
    if (event.finished && !stops_.stopped()) delta += stops_.Push(detokenizer_.Flush()).text + stops_.Flush();
    if (!delta.empty()) {
      text_ += delta;
      on_delta_(delta);
    }
    if (event.finished) on_done_(Result(event));
  }

  absl::StatusOr<ChatResult> Result(const EngineEvent& event) {
    if (!stops_.stopped()) {
      if (event.finish_reason == "cancelled") return absl::CancelledError("the model call was cancelled");
      if (event.finish_reason == "deadline") return absl::DeadlineExceededError("the model call passed its deadline");
      if (event.finish_reason == "error") return event.status;
    }
    ChatResult result;
    ParsedReply parsed = ParseToolCalls(text_, tools_);
    result.text = std::move(parsed.text);
    result.tool_calls = std::move(parsed.calls);
    result.finish_reason = !result.tool_calls.empty() ? "tool_calls" : stops_.stopped() ? "stop" : event.finish_reason;
    result.usage.prompt_tokens = event.prompt_tokens;
    result.usage.completion_tokens = event.completion_tokens;
    result.usage.cached_prompt_tokens = event.cached_prompt_tokens;
    result.logprobs = std::move(logprobs_out_);
    return result;
  }

  // A sampled token's log-probability and alternatives, each with the bytes the token stands for.
  ChatTokenLogprob LogprobOf(const inference::Sampled& sample) const {
    auto entry = [&](int32_t token, float logprob) {
      ChatTokenLogprob out{.logprob = logprob};
      model_->tokenizer().AppendTokenBytes(token, /*first=*/false, /*skip_special=*/false, out.bytes);
      return out;
    };
    ChatTokenLogprob out = entry(sample.token, sample.logprob);
    for (const inference::TokenLogprob& alternative : sample.top()) {
      out.top.push_back(entry(alternative.token, alternative.logprob));
    }
    return out;
  }

  std::shared_ptr<const inference::Model> model_;
  inference::Engine* engine_;  // alive while it delivers events, and while the handle holds the ServedModel
  const std::vector<ChatTool> tools_;
  const bool logprobs_;
  std::vector<ChatTokenLogprob> logprobs_out_;  // one per token up to a stop string
  inference::StreamingDetokenizer detokenizer_;
  inference::StopMatcher stops_;
  std::function<void(std::string_view)> on_delta_;
  std::function<void(absl::StatusOr<ChatResult>)> on_done_;
  std::string text_;
  std::mutex id_mutex_;  // guards the three below
  int64_t id_ = 0;
  bool submitted_ = false;
  bool cancel_requested_ = false;
};

class EngineCancel final : public ChatCancel {
 public:
  EngineCancel(std::shared_ptr<ServedModel> served, std::shared_ptr<EngineStream> stream)
      : served_(std::move(served)), stream_(std::move(stream)) {}
  void Cancel() override { stream_->Cancel(); }

 private:
  std::shared_ptr<ServedModel> served_;
  std::shared_ptr<EngineStream> stream_;
};

}  // namespace

EngineChatModel::EngineChatModel(std::shared_ptr<inference::ModelRegistry> registry, std::string default_model)
    : registry_(std::move(registry)), default_model_(std::move(default_model)) {}

absl::StatusOr<std::string> EngineChatModel::ResolveName(std::string_view model) const {
  if (!model.empty()) return std::string(model);
  if (!default_model_.empty()) return default_model_;
  for (const inference::ModelSummary& summary : registry_->List()) {
    if (summary.loaded) return summary.name;
  }
  return absl::FailedPreconditionError("no model is loaded to serve requests that name none");
}

bool EngineChatModel::HasModel(std::string_view model) const {
  const absl::StatusOr<std::string> name = ResolveName(model);
  if (!name.ok()) return false;
  for (const inference::ModelSummary& summary : registry_->List()) {
    if (summary.name == *name) return true;
  }
  return false;
}

std::unique_ptr<ChatCancel> EngineChatModel::Chat(ChatRequest request,
                                                  std::function<void(std::string_view delta)> on_delta,
                                                  std::function<void(absl::StatusOr<ChatResult>)> on_done) {
  auto prepared = [&]() -> absl::StatusOr<std::pair<std::shared_ptr<ServedModel>, EngineRequest>> {
    CATENA_ASSIGN_OR_RETURN(std::string name, ResolveName(request.model));
    CATENA_ASSIGN_OR_RETURN(std::shared_ptr<ServedModel> served, registry_->Get(name));
    if (served->engine == nullptr || !served->chat_template.has_value()) {
      return absl::FailedPreconditionError(absl::StrCat("model '", name, "' is an encoder; it cannot generate text"));
    }
    CATENA_ASSIGN_OR_RETURN(EngineRequest engine, EngineRequestFor(*served, request));
    return std::make_pair(std::move(served), std::move(engine));
  }();
  absl::StatusOr<inference::StopMatcher> stops = inference::StopMatcher::Create(request.stop);
  if (!prepared.ok() || !stops.ok()) {
    on_done(!prepared.ok() ? prepared.status() : Annotate(stops.status(), "stop"));
    return nullptr;
  }
  auto stream = std::make_shared<EngineStream>(*prepared->first, request.tools, request.logprobs >= 0,
                                               *std::move(stops), std::move(on_delta), std::move(on_done));
  stream->Start(std::move(prepared->second));
  return std::make_unique<EngineCancel>(std::move(prepared->first), std::move(stream));
}

}  // namespace catena::chains
