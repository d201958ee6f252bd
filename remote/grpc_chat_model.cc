#include "remote/grpc_chat_model.h"

#include <algorithm>
#include <type_traits>

#include "absl/time/clock.h"

namespace catena::remote {
namespace {

v1::Role RoleToProto(const std::string& role) {
  if (role == "system") return v1::ROLE_SYSTEM;
  if (role == "assistant") return v1::ROLE_ASSISTANT;
  if (role == "tool") return v1::ROLE_TOOL;
  return v1::ROLE_USER;
}

std::string FinishReasonName(v1::FinishReason reason) {
  switch (reason) {
    case v1::FINISH_REASON_LENGTH:
      return "length";
    case v1::FINISH_REASON_TOOL_CALLS:
      return "tool_calls";
    case v1::FINISH_REASON_CANCELLED:
      return "cancelled";
    default:
      return "stop";
  }
}

v1::SamplingParams SamplingToProto(const chains::ChatRequest& request) {
  v1::SamplingParams sampling;
  sampling.set_temperature(static_cast<float>(request.temperature));
  sampling.set_top_p(request.top_p <= 0 ? 1.0f : static_cast<float>(request.top_p));
  sampling.set_top_k(request.top_k);
  sampling.set_min_p(static_cast<float>(request.min_p));
  sampling.set_repetition_penalty(static_cast<float>(request.repetition_penalty));
  sampling.set_frequency_penalty(static_cast<float>(request.frequency_penalty));
  sampling.set_presence_penalty(static_cast<float>(request.presence_penalty));
  for (const auto& [token, bias] : request.logit_bias) {
    (*sampling.mutable_logit_bias())[token] += static_cast<float>(bias);
  }
  sampling.mutable_seed()->set_value(static_cast<uint64_t>(request.seed));
  sampling.set_max_tokens(std::max(request.max_tokens, 1));
  for (const std::string& stop : request.stop) sampling.add_stop(stop);
  if (request.logprobs >= 0) {
    sampling.set_logprobs(true);
    sampling.set_top_logprobs(request.logprobs);
  }
  return sampling;
}

v1::ResponseFormat FormatToProto(const chains::ChatRequest& request) {
  v1::ResponseFormat format;
  if (!request.json_schema.empty()) {
    format.set_kind(v1::ResponseFormat::KIND_JSON_SCHEMA);
    format.set_json_schema(request.json_schema);
  }
  return format;
}

class CancelHandle final : public chains::ChatCancel {
 public:
  explicit CancelHandle(std::shared_ptr<grpc::ClientContext> context) : context_(std::move(context)) {}
  void Cancel() override { context_->TryCancel(); }

 private:
  const std::shared_ptr<grpc::ClientContext> context_;
};

// A response's logprobs (each generated token's entry, then its `alternatives` entries) onto `out`.
void AppendLogprobs(const google::protobuf::RepeatedPtrField<v1::TokenLogprob>& entries,
                    std::vector<chains::ChatTokenLogprob>& out) {
  for (int i = 0; i < entries.size();) {
    const v1::TokenLogprob& chosen = entries[i++];
    chains::ChatTokenLogprob token{.bytes = chosen.bytes(), .logprob = chosen.logprob()};
    for (int k = 0; k < chosen.alternatives() && i < entries.size(); ++k, ++i) {
      token.top.push_back({.bytes = entries[i].bytes(), .logprob = entries[i].logprob()});
    }
    out.push_back(std::move(token));
  }
}

// Reads one Chat or Generate stream; owns the request and (with the cancel handle) the context, and deletes
// itself when the call is done.
template <typename Request, typename Response>
class StreamReader final : public grpc::ClientReadReactor<Response> {
 public:
  StreamReader(std::shared_ptr<const RemoteCaller> caller, const char* method, Request request,
               std::shared_ptr<grpc::ClientContext> context, std::function<void(std::string_view)> on_delta,
               std::function<void(absl::StatusOr<chains::ChatResult>)> on_done)
      : caller_(std::move(caller)),
        method_(method),
        request_(std::move(request)),
        context_(std::move(context)),
        on_delta_(std::move(on_delta)),
        on_done_(std::move(on_done)) {}

  const Request* request() const { return &request_; }
  grpc::ClientContext* context() const { return context_.get(); }

  void Begin() {
    this->StartRead(&response_);
    this->StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // end of stream; OnDone follows
    const std::string& delta = response_.text_delta();
    if (!delta.empty()) {
      result_.text += delta;
      on_delta_(delta);
    }
    AppendLogprobs(response_.logprobs(), result_.logprobs);
    if constexpr (std::is_same_v<Response, v1::ChatResponse>) {
      for (const v1::ToolCall& call : response_.tool_calls()) {
        result_.tool_calls.push_back({call.id(), call.name(), call.arguments_json()});
      }
    }
    if (response_.finish_reason() != v1::FINISH_REASON_UNSPECIFIED) {
      result_.finish_reason = FinishReasonName(response_.finish_reason());
      result_.usage.prompt_tokens = response_.usage().prompt_tokens();
      result_.usage.completion_tokens = response_.usage().completion_tokens();
      result_.usage.cached_prompt_tokens = response_.usage().cached_prompt_tokens();
    }
    this->StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    if (!status.ok()) {
      on_done_(caller_->Describe(status, method_));
    } else if (result_.finish_reason == "cancelled") {
      on_done_(absl::CancelledError("the model call was cancelled"));
    } else {
      if (result_.finish_reason.empty()) result_.finish_reason = "stop";
      on_done_(std::move(result_));
    }
    delete this;
  }

 private:
  const std::shared_ptr<const RemoteCaller> caller_;
  const char* const method_;
  const Request request_;
  const std::shared_ptr<grpc::ClientContext> context_;
  std::function<void(std::string_view)> on_delta_;
  std::function<void(absl::StatusOr<chains::ChatResult>)> on_done_;
  Response response_;
  chains::ChatResult result_;
};

v1::GenerateRequest GenerateRequestToProto(const chains::ChatRequest& request) {
  v1::GenerateRequest proto;
  proto.set_model(request.model);
  proto.set_prompt(request.messages.empty() ? "" : request.messages.front().content);
  *proto.mutable_sampling() = SamplingToProto(request);
  *proto.mutable_response_format() = FormatToProto(request);
  return proto;
}

}  // namespace

v1::ChatRequest ChatRequestToProto(const chains::ChatRequest& request) {
  v1::ChatRequest proto;
  proto.set_model(request.model);
  for (const chains::ChatMessage& message : request.messages) {
    v1::ChatMessage* out = proto.add_messages();
    out->set_role(RoleToProto(message.role));
    out->set_content(message.content);
    out->set_tool_call_id(message.tool_call_id);
    for (const chains::ChatToolCall& call : message.tool_calls) {
      v1::ToolCall* tool_call = out->add_tool_calls();
      tool_call->set_id(call.id);
      tool_call->set_name(call.name);
      tool_call->set_arguments_json(call.arguments_json);
    }
  }
  *proto.mutable_sampling() = SamplingToProto(request);
  for (const chains::ChatTool& tool : request.tools) {
    v1::ToolSpec* spec = proto.add_tools();
    spec->set_name(tool.name);
    spec->set_description(tool.description);
    spec->set_parameters_json_schema(tool.parameters_json_schema);
  }
  *proto.mutable_response_format() = FormatToProto(request);
  return proto;
}

GrpcChatModel::GrpcChatModel(RemoteServiceOptions options)
    : caller_(std::make_shared<const RemoteCaller>(std::move(options))),
      stub_(v1::InferenceService::NewStub(caller_->channel())) {}

std::unique_ptr<chains::ChatCancel> GrpcChatModel::Chat(
    chains::ChatRequest request, std::function<void(std::string_view delta)> on_delta,
    std::function<void(absl::StatusOr<chains::ChatResult>)> on_done) {
  auto context = std::make_shared<grpc::ClientContext>();
  const absl::Time deadline = std::min(request.deadline, absl::Now() + caller_->options().deadline);
  caller_->Prepare(*context, "", deadline);
  if (request.raw_prompt) {
    auto* reader = new StreamReader<v1::GenerateRequest, v1::GenerateResponse>(caller_, "InferenceService.Generate",
                                                                               GenerateRequestToProto(request), context,
                                                                               std::move(on_delta), std::move(on_done));
    stub_->async()->Generate(reader->context(), reader->request(), reader);
    reader->Begin();
  } else {
    auto* reader = new StreamReader<v1::ChatRequest, v1::ChatResponse>(caller_, "InferenceService.Chat",
                                                                       ChatRequestToProto(request), context,
                                                                       std::move(on_delta), std::move(on_done));
    stub_->async()->Chat(reader->context(), reader->request(), reader);
    reader->Begin();
  }
  return std::make_unique<CancelHandle>(std::move(context));
}

}  // namespace catena::remote
