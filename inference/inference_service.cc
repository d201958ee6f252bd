#include "inference/inference_service.h"

#include <optional>
#include <random>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "catena/v1/inference.grpc.pb.h"
#include "common/grpc_util.h"
#include "common/status.h"
#include "common/stream_writer.h"
#include "inference/stop_matcher.h"
#include "inference/text_tokenizer.h"
#include "inference/tool_call_parser.h"
#include "inference/tool_choice.h"

namespace catena::inference {
namespace {

absl::Status OutOfRange(std::string_view field, float value, std::string_view range) {
  return absl::InvalidArgumentError(absl::StrCat("sampling.", std::string(field), " = ", value, " must be in ",
                                                 std::string(range)));
}

absl::Status ValidateSampling(const v1::SamplingParams& s, const TransformerSpec& spec) {
  if (s.temperature() < 0 || s.temperature() > 2) return OutOfRange("temperature", s.temperature(), "[0, 2]");
  if (s.top_k() < 0) return OutOfRange("top_k", s.top_k(), "[0, vocabulary size]");
  if (s.max_tokens() < 0 || s.max_tokens() > spec.context_length) {
    return OutOfRange("max_tokens", s.max_tokens(), absl::StrCat("[0, ", spec.context_length, "]"));
  }
  CATENA_RETURN_IF_ERROR(StopMatcher::Create({s.stop().begin(), s.stop().end()}).status());
  for (int32_t id : s.stop_token_ids()) {
    if (id < 0 || id >= spec.vocab_size) {
      return absl::InvalidArgumentError(absl::StrCat("sampling.stop_token_ids has ", id, ", outside the vocabulary"));
    }
  }
  return absl::OkStatus();
}

// Proto defaults (0) of top_p and repetition_penalty mean "off", which is 1 for both.
SamplingParams SamplingFrom(const v1::SamplingParams& s) {
  SamplingParams params{.temperature = s.temperature(),
                        .top_k = s.top_k(),
                        .top_p = s.top_p() == 0 ? 1.0f : s.top_p(),
                        .min_p = s.min_p(),
                        .repetition_penalty = s.repetition_penalty() == 0 ? 1.0f : s.repetition_penalty(),
                        .frequency_penalty = s.frequency_penalty(),
                        .presence_penalty = s.presence_penalty(),
                        .seed = s.has_seed() ? s.seed().value() : std::random_device{}(),
                        .top_logprobs = s.logprobs() ? s.top_logprobs() : 0};
  for (const auto& [token, bias] : s.logit_bias()) params.logit_bias.emplace_back(token, bias);
  return params;
}

EngineRequest EngineRequestFrom(const v1::SamplingParams& s, std::vector<int32_t> prompt, const TransformerSpec& spec,
                                const RequestContext& call) {
  EngineRequest request;
  const int64_t room = spec.context_length - static_cast<int64_t>(prompt.size());
  request.max_tokens = static_cast<int>(s.max_tokens() > 0 ? std::min<int64_t>(s.max_tokens(), room) : room);
  request.prompt = std::move(prompt);
  request.sampling = SamplingFrom(s);
  request.stop_tokens.assign(s.stop_token_ids().begin(), s.stop_token_ids().end());
  request.deadline = call.deadline;
  return request;
}

v1::FinishReason FinishReasonOf(const std::string& reason) {
  if (reason == "stop") return v1::FINISH_REASON_STOP;
  if (reason == "length") return v1::FINISH_REASON_LENGTH;
  if (reason == "cancelled") return v1::FINISH_REASON_CANCELLED;
  return v1::FINISH_REASON_UNSPECIFIED;
}

// One Generate or Chat call: engine events become stream messages (Response is GenerateResponse or ChatResponse).
template <typename Response>
class GenerationStream final : public QueuedStreamWriter<Response> {
 public:
  // With `tool_names`, call markup is held back from the deltas and the last message carries the calls.
  GenerationStream(std::shared_ptr<ServedModel> served, StopMatcher stops, bool logprobs,
                   std::vector<std::string> tool_names = {})
      : served_(std::move(served)), detokenizer_(served_->model->tokenizer()), stops_(std::move(stops)),
        logprobs_(logprobs) {
    if (!tool_names.empty()) tool_calls_.emplace(std::move(tool_names));
  }

  // Submits to the engine; on failure the stream ends with that error.
  void Start(EngineRequest request) {
    auto id = served_->engine->Submit(std::move(request), [this](const EngineEvent& event) { OnEvent(event); });
    if (!id.ok()) {
      this->Enqueue(std::nullopt, ToGrpcStatus(id.status()));
      return;
    }
    id_ = *id;
  }
  void OnCancel() override { served_->engine->Cancel(id_); }
  void OnDone() override {
    this->WaitForProducers();
    delete this;
  }

 private:
  void OnEvent(const EngineEvent& event) {
    Response message;
    std::string text;
    for (size_t i = 0; i < event.tokens.size(); ++i) {
      const int32_t token = event.tokens[i];
      if (!stops_.stopped()) text += stops_.Push(detokenizer_.Push(token)).text;
      if constexpr (std::is_same_v<Response, v1::GenerateResponse>) message.add_token_ids(token);
      if (logprobs_ && i < event.samples.size()) AddLogprobs(event.samples[i], message);
    }
    if (stops_.stopped() && !event.finished) served_->engine->Cancel(id_);
    if (event.finished) {
      if (!stops_.stopped()) text += stops_.Push(detokenizer_.Flush()).text + stops_.Flush();
      message.set_finish_reason(stops_.stopped() ? v1::FINISH_REASON_STOP : FinishReasonOf(event.finish_reason));
      v1::Usage* usage = message.mutable_usage();
      usage->set_prompt_tokens(static_cast<int32_t>(event.prompt_tokens));
      usage->set_completion_tokens(static_cast<int32_t>(event.completion_tokens));
      usage->set_total_tokens(static_cast<int32_t>(event.prompt_tokens + event.completion_tokens));
      usage->set_cached_prompt_tokens(static_cast<int32_t>(event.cached_prompt_tokens));
    }
    if constexpr (std::is_same_v<Response, v1::ChatResponse>) {
      if (tool_calls_.has_value()) FilterToolCalls(event.finished, text, message);
    }
    message.set_text_delta(std::move(text));
    const bool failed = event.finish_reason == "error" || event.finish_reason == "deadline";
    std::optional<grpc::Status> end;
    if (event.finished) end = failed ? ToGrpcStatus(event.status) : grpc::Status::OK;
    this->Enqueue(failed ? std::nullopt : std::optional<Response>(std::move(message)), end);  // last action
  }

  // The chosen token's log-probability, then its top alternatives.
  void AddLogprobs(const Sampled& sample, Response& message) const {
    const TextTokenizer& tokenizer = served_->model->tokenizer();
    auto add = [&](int32_t token, float logprob) {
      v1::TokenLogprob* out = message.add_logprobs();
      out->set_token_id(token);
      out->set_text(std::string(tokenizer.TokenText(token)));
      out->set_logprob(logprob);
      tokenizer.AppendTokenBytes(token, /*first=*/false, /*skip_special=*/false, *out->mutable_bytes());
    };
    add(sample.token, sample.logprob);
    message.mutable_logprobs(message.logprobs_size() - 1)->set_alternatives(static_cast<int32_t>(sample.top().size()));
    for (const TokenLogprob& alternative : sample.top()) add(alternative.token, alternative.logprob);
  }

  // Keeps call markup out of `text`; at the end adds the rest of the content and the parsed calls.
  void FilterToolCalls(bool finished, std::string& text, v1::ChatResponse& message) {
    text = tool_calls_->Push(text);
    if (!finished) return;
    ToolCallParse parse = tool_calls_->Finish();
    text += parse.content;
    for (const ChatToolCall& call : parse.calls) {
      v1::ToolCall* out = message.add_tool_calls();
      out->set_id(call.id);
      out->set_name(call.name);
      out->set_arguments_json(call.arguments_json);
    }
    if (!parse.calls.empty()) message.set_finish_reason(v1::FINISH_REASON_TOOL_CALLS);
  }

  std::shared_ptr<ServedModel> served_;
  std::optional<ToolCallStreamFilter> tool_calls_;
  StreamingDetokenizer detokenizer_;
  StopMatcher stops_;
  const bool logprobs_;
  int64_t id_ = 0;
};

template <typename Response>
class FailedStream final : public grpc::ServerWriteReactor<Response> {
 public:
  explicit FailedStream(const absl::Status& status) { this->Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

absl::StatusOr<std::shared_ptr<ServedModel>> DecoderModel(const ModelRegistry& registry, const std::string& name) {
  if (name.empty()) return absl::InvalidArgumentError("model is required");
  CATENA_ASSIGN_OR_RETURN(std::shared_ptr<ServedModel> served, registry.Get(name));
  if (served->engine == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("model '", name, "' is an encoder; it cannot generate text"));
  }
  return served;
}

// The grammar of `format` (null for text); KIND_JSON_OBJECT admits any JSON object.
absl::StatusOr<std::shared_ptr<const CompiledGrammar>> GrammarFor(const v1::ResponseFormat& format,
                                                                  const ServedModel& served) {
  switch (format.kind()) {
    case v1::ResponseFormat::KIND_UNSPECIFIED:
    case v1::ResponseFormat::KIND_TEXT:
      return nullptr;
    case v1::ResponseFormat::KIND_JSON_SCHEMA: {
      if (format.json_schema().empty()) {
        return absl::InvalidArgumentError("response_format.json_schema is required for KIND_JSON_SCHEMA");
      }
      auto grammar = CompileJsonSchema(format.json_schema(), served.grammar_vocabulary);
      if (!grammar.ok()) return Annotate(grammar.status(), "response_format.json_schema");
      return grammar;
    }
    case v1::ResponseFormat::KIND_JSON_OBJECT:  // any object: free keys, any values
      return CompileJsonSchema(R"({"type":"object"})", served.grammar_vocabulary);
    default:
      return absl::InvalidArgumentError(absl::StrCat("response_format.kind ", format.kind(), " is unknown"));
  }
}

std::string RoleName(v1::Role role) {
  switch (role) {
    case v1::ROLE_SYSTEM: return "system";
    case v1::ROLE_USER: return "user";
    case v1::ROLE_ASSISTANT: return "assistant";
    case v1::ROLE_TOOL: return "tool";
    default: return "";
  }
}

absl::StatusOr<std::vector<ChatMessage>> MessagesFromProto(const v1::ChatRequest& request) {
  if (request.messages_size() == 0 || request.messages_size() > 4096) {
    return absl::InvalidArgumentError("messages must hold 1 to 4096 messages");
  }
  std::vector<ChatMessage> messages;
  for (int i = 0; i < request.messages_size(); ++i) {
    const v1::ChatMessage& in = request.messages(i);
    ChatMessage out{.role = RoleName(in.role()), .content = in.content(), .name = in.name(),
                    .tool_call_id = in.tool_call_id()};
    if (in.role() == v1::ROLE_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat("messages[", i, "].role is required"));
    }
    if (out.role.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("messages[", i, "].role = ", static_cast<int>(in.role()),
                                                     " is not a role (ROLE_SYSTEM, ROLE_USER, ROLE_ASSISTANT, "
                                                     "ROLE_TOOL)"));
    }
    for (const v1::ToolCall& call : in.tool_calls()) {
      out.tool_calls.push_back({.id = call.id(), .name = call.name(), .arguments_json = call.arguments_json()});
    }
    messages.push_back(std::move(out));
  }
  return messages;
}

std::vector<ToolDefinition> ToolsFromProto(const v1::ChatRequest& request) {
  std::vector<ToolDefinition> tools;
  for (const v1::ToolSpec& tool : request.tools()) {
    tools.push_back({tool.name(), tool.description(), tool.parameters_json_schema()});
  }
  return tools;
}

// The prompt; the template sees the declared tools unless tool_choice is "none".
absl::StatusOr<std::string> RenderChat(const ServedModel& served, const v1::ChatRequest& request,
                                       const ToolChoice& choice) {
  CATENA_ASSIGN_OR_RETURN(std::vector<ChatMessage> messages, MessagesFromProto(request));
  const std::vector<ToolDefinition> tools = ToolsFromProto(request);
  ChatTemplateOptions options;
  if (!tools.empty() && choice.mode != ToolChoice::Mode::kNone) {
    CATENA_ASSIGN_OR_RETURN(options.tools, ToolsToJson(tools));
  }
  return served.chat_template->Render(messages, options);
}

// The output grammar of a Chat request: a call object when tool_choice requires a call, else response_format's.
absl::StatusOr<std::shared_ptr<const CompiledGrammar>> ChatGrammar(const v1::ChatRequest& request,
                                                                   const ToolChoice& choice, const ServedModel& served) {
  CATENA_ASSIGN_OR_RETURN(auto grammar, GrammarFor(request.response_format(), served));
  if (choice.mode != ToolChoice::Mode::kRequired && choice.mode != ToolChoice::Mode::kNamed) return grammar;
  if (grammar != nullptr) {
    return absl::InvalidArgumentError("response_format cannot be combined with tool_choice \"required\" or a tool name");
  }
  CATENA_ASSIGN_OR_RETURN(std::string schema, ToolCallSchema(choice.tools));
  auto compiled = CompileJsonSchema(schema, served.grammar_vocabulary);
  if (!compiled.ok()) return Annotate(compiled.status(), "tools (the schema of a call)");
  return compiled;
}

// The triggered grammar of "auto" tool calls: null unless the model's template has a triggered call format
// and no response_format constrains the whole reply.
absl::StatusOr<std::shared_ptr<const TriggeredGrammar>> AutoToolCallGrammar(const ToolChoice& choice,
                                                                           const ServedModel& served,
                                                                           bool constrained) {
  if (choice.mode != ToolChoice::Mode::kAuto || constrained || served.tool_call_format == ToolCallFormat::kNone ||
      served.tool_grammars == nullptr) {
    return nullptr;
  }
  auto grammar = served.tool_grammars->Get(served.tool_call_format, choice.tools);
  if (!grammar.ok()) return Annotate(grammar.status(), "tools (the schema of a call)");
  return grammar;
}

}  // namespace

namespace {

class InferenceServiceImpl final : public v1::InferenceService::CallbackService {
 public:
  explicit InferenceServiceImpl(std::shared_ptr<ModelRegistry> registry) : registry_(std::move(registry)) {}

  grpc::ServerWriteReactor<v1::GenerateResponse>* Generate(grpc::CallbackServerContext* context,
                                                            const v1::GenerateRequest* request) override {
    auto prepared = PrepareGenerate(*context, *request);
    if (!prepared.ok()) return new FailedStream<v1::GenerateResponse>(prepared.status());
    auto* stream = new GenerationStream<v1::GenerateResponse>(prepared->served, *StopMatcher::Create({request->sampling().stop().begin(), request->sampling().stop().end()}), request->sampling().logprobs());
    stream->Start(std::move(prepared->engine));
    return stream;
  }

  grpc::ServerWriteReactor<v1::ChatResponse>* Chat(grpc::CallbackServerContext* context,
                                                    const v1::ChatRequest* request) override {
    auto prepared = PrepareChat(*context, *request);
    if (!prepared.ok()) return new FailedStream<v1::ChatResponse>(prepared.status());
    auto* stream = new GenerationStream<v1::ChatResponse>(prepared->served, *StopMatcher::Create({request->sampling().stop().begin(), request->sampling().stop().end()}), request->sampling().logprobs(), std::move(prepared->tool_names));
    stream->Start(std::move(prepared->engine));
    return stream;
  }

  grpc::ServerUnaryReactor* Tokenize(grpc::CallbackServerContext* context, const v1::TokenizeRequest* request,
                                     v1::TokenizeResponse* response) override {
    return FinishUnary(context, [&](const RequestContext&) -> absl::Status {
      if (request->text().size() > (size_t{4} << 20)) return absl::InvalidArgumentError("text is over 4 MiB");
      if (request->model().empty()) return absl::InvalidArgumentError("model is required");
      CATENA_ASSIGN_OR_RETURN(std::shared_ptr<ServedModel> served, registry_->Get(request->model()));
      const TextTokenizer& tokenizer = served->model->tokenizer();
      for (int32_t id : tokenizer.Encode(request->text(), {.add_special = request->add_special_tokens()})) {
        response->add_token_ids(id);
        response->add_pieces(std::string(tokenizer.TokenText(id)));
      }
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* ListModels(grpc::CallbackServerContext* context, const v1::ListModelsRequest*,
                                       v1::ListModelsResponse* response) override {
    return FinishUnary(context, [&](const RequestContext&) -> absl::Status {
      for (const ModelSummary& summary : registry_->List()) SummaryToProto(summary, *response->add_models());
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* LoadModel(grpc::CallbackServerContext* context, const v1::LoadModelRequest* request,
                                      v1::ModelInfo* response) override {
    return FinishUnary(context, [&](const RequestContext&) -> absl::Status {
      if (request->name().empty()) return absl::InvalidArgumentError("name is required");
      CATENA_RETURN_IF_ERROR(registry_->Load(request->name()).status());
      for (const ModelSummary& summary : registry_->List()) {
        if (summary.name == request->name()) SummaryToProto(summary, *response);
      }
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* UnloadModel(grpc::CallbackServerContext* context, const v1::UnloadModelRequest* request,
                                        v1::UnloadModelResponse*) override {
    return FinishUnary(context, [&](const RequestContext&) -> absl::Status {
      if (request->name().empty()) return absl::InvalidArgumentError("name is required");
      return registry_->Unload(request->name());
    });
  }

 private:
  struct Prepared {
    std::shared_ptr<ServedModel> served;
    EngineRequest engine;
    std::vector<std::string> tool_names;  // Chat: the tools whose calls are parsed out of the reply
  };

  absl::StatusOr<Prepared> PrepareGenerate(const grpc::CallbackServerContext& context,
                                           const v1::GenerateRequest& request) const {
    CATENA_ASSIGN_OR_RETURN(const RequestContext call, RequestContextFromServer(context));
    CATENA_ASSIGN_OR_RETURN(std::shared_ptr<ServedModel> served, DecoderModel(*registry_, request.model()));
    CATENA_RETURN_IF_ERROR(ValidateSampling(request.sampling(), served->model->spec()));
    CATENA_ASSIGN_OR_RETURN(auto grammar, GrammarFor(request.response_format(), *served));
    if (request.prompt().empty()) return absl::InvalidArgumentError("prompt is required");
    std::vector<int32_t> tokens = served->model->tokenizer().Encode(request.prompt(), {.add_special = true});
    EngineRequest engine = EngineRequestFrom(request.sampling(), std::move(tokens), served->model->spec(), call);
    engine.grammar = std::move(grammar);
    return Prepared{std::move(served), std::move(engine), {}};
  }

  absl::StatusOr<Prepared> PrepareChat(const grpc::CallbackServerContext& context,
                                       const v1::ChatRequest& request) const {
    CATENA_ASSIGN_OR_RETURN(const RequestContext call, RequestContextFromServer(context));
    CATENA_ASSIGN_OR_RETURN(std::shared_ptr<ServedModel> served, DecoderModel(*registry_, request.model()));
    CATENA_RETURN_IF_ERROR(ValidateSampling(request.sampling(), served->model->spec()));
    CATENA_ASSIGN_OR_RETURN(ToolChoice choice, ResolveToolChoice(request.tool_choice(), ToolsFromProto(request)));
    CATENA_ASSIGN_OR_RETURN(auto grammar, ChatGrammar(request, choice, *served));
    CATENA_ASSIGN_OR_RETURN(auto triggered, AutoToolCallGrammar(choice, *served, grammar != nullptr));
    CATENA_ASSIGN_OR_RETURN(std::string prompt, RenderChat(*served, request, choice));
    // The template writes BOS and the turn markers itself, as Hugging Face's apply_chat_template does.
    std::vector<int32_t> tokens = served->model->tokenizer().Encode(prompt, {.parse_special = true});
    if (static_cast<int64_t>(tokens.size()) >= served->model->spec().context_length) {
      return absl::InvalidArgumentError(absl::StrCat("the conversation has ", tokens.size(),
                                                     " tokens; the model's context is ",
                                                     served->model->spec().context_length));
    }
    EngineRequest engine = EngineRequestFrom(request.sampling(), std::move(tokens), served->model->spec(), call);
    engine.grammar = std::move(grammar);
    engine.triggered_grammar = std::move(triggered);
    return Prepared{std::move(served), std::move(engine), choice.names()};
  }

  static void SummaryToProto(const ModelSummary& summary, v1::ModelInfo& out) {
    out.set_name(summary.name);
    out.set_architecture(summary.architecture);
    out.set_context_length(static_cast<int32_t>(summary.context_length));
    out.set_loaded(summary.loaded);
    out.set_backend(summary.backend);
    out.set_parameter_count(summary.parameter_count);
    out.set_quantization(summary.quantization);
    out.set_estimated_memory_bytes(summary.estimated_bytes);
  }

  std::shared_ptr<ModelRegistry> registry_;
};

}  // namespace

std::unique_ptr<grpc::Service> NewInferenceService(std::shared_ptr<ModelRegistry> registry) {
  return std::make_unique<InferenceServiceImpl>(std::move(registry));
}

}  // namespace catena::inference
