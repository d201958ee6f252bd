#include "server/openai_pipeline_chat.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "catena/v1/pipeline.grpc.pb.h"
#include "chains/binding.h"
#include "chains/pipeline_spec.h"
#include "common/grpc_util.h"
#include "common/request_context.h"
#include "nlohmann/json.hpp"
#include "server/openai_chat_writer.h"
#include "server/openai_errors.h"

namespace catena::server {
namespace {

using Json = nlohmann::json;

// How a pipeline takes a conversation and gives its answer.
struct ChatPlan {
  std::string messages_input;  // set when the pipeline takes the whole conversation
  std::string text_input;      // else: the input given the last user message
  std::string answer_output;   // "" = the only string output, found at the end
  std::string stream_node;     // the node whose tokens are the answer ("" = stream none)
};

bool TakesText(const chains::InputSpec& input) {
  return input.type == chains::FieldType::kString || input.type == chains::FieldType::kAny;
}

// The node the answer output's template reads first (nodes.<id>...).
std::string AnswerNode(const chains::OutputSpec& output) {
  chains::ProblemList problems("pipeline.yaml");
  const chains::Binding binding = chains::Binding::Compile(output.value, "", problems);
  for (const chains::Reference& reference : binding.references()) {
    if (reference.root == "nodes" && !reference.name.empty()) return reference.name;
  }
  return "";
}

absl::StatusOr<ChatPlan> PlanFor(const v1::Pipeline& pipeline) {
  chains::ProblemList problems("pipeline.yaml");
  const chains::PipelineSpec spec = chains::ParsePipelineSpec(pipeline.source(), problems);
  ChatPlan plan;
  for (const chains::InputSpec& input : spec.inputs) {
    if (input.name == "messages") plan.messages_input = input.name;
  }
  for (int pass = 0; pass < 2 && plan.messages_input.empty() && plan.text_input.empty(); ++pass) {
    for (const chains::InputSpec& input : spec.inputs) {
      if (TakesText(input) && (pass == 1 || input.required)) {
        plan.text_input = input.name;
        break;
      }
    }
  }
  if (plan.messages_input.empty() && plan.text_input.empty()) {
    return InvalidField("model", absl::StrCat("pipeline '", pipeline.name(),
                                              "' has no 'messages' input and no string input for the user message"));
  }
  const chains::OutputSpec* answer = nullptr;
  for (const char* name : {"answer", "text"}) {
    for (const chains::OutputSpec& output : spec.outputs) {
      if (answer == nullptr && output.name == name) answer = &output;
    }
  }
  if (answer == nullptr && spec.outputs.size() == 1) answer = &spec.outputs[0];
  if (answer != nullptr) {
    plan.answer_output = answer->name;
    plan.stream_node = AnswerNode(*answer);
  }
  return plan;
}

std::string LastUserMessage(const ChatCompletionRequest& request) {
  for (auto it = request.messages.rbegin(); it != request.messages.rend(); ++it) {
    if (it->role == "user") return it->content;
  }
  return "";
}

absl::StatusOr<google::protobuf::Struct> InputsFor(const ChatPlan& plan, const ChatCompletionRequest& request) {
  Json inputs = Json::object();
  if (!plan.messages_input.empty()) {
    Json messages = Json::array();
    for (const chains::ChatMessage& message : request.messages) {
      Json item = {{"role", message.role}, {"content", message.content}};
      if (!message.tool_call_id.empty()) item["tool_call_id"] = message.tool_call_id;
      messages.push_back(std::move(item));
    }
    inputs[plan.messages_input] = std::move(messages);
  } else {
    const std::string text = LastUserMessage(request);
    if (text.empty()) return InvalidField("messages", "the conversation has no user message for the pipeline");
    inputs[plan.text_input] = text;
  }
  google::protobuf::Struct out;
  auto parsed = google::protobuf::util::JsonStringToMessage(inputs.dump(), &out);
  if (!parsed.ok()) return absl::InternalError(absl::StrCat("pipeline inputs: ", parsed.ToString()));
  return out;
}

// The answer text from the final outputs: the planned output, else the only string output.
std::string AnswerFrom(const google::protobuf::Struct& outputs, const std::string& answer_output) {
  const auto& fields = outputs.fields();
  auto as_text = [](const google::protobuf::Value& value) {
    if (value.has_string_value()) return value.string_value();
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(value, &json);
    return json;
  };
  if (!answer_output.empty()) {
    auto it = fields.find(answer_output);
    return it == fields.end() ? "" : as_text(it->second);
  }
  const google::protobuf::Value* only = nullptr;
  int strings = 0;
  for (const auto& [name, value] : fields) {
    if (value.has_string_value()) {
      only = &value;
      ++strings;
    }
  }
  return strings == 1 ? only->string_value() : "";
}

// One RunStream call: forwards the answer node's tokens and completes with the final outputs.
class RunReactor final : public grpc::ClientReadReactor<v1::RunEvent> {
 public:
  RunReactor(ChatPlan plan, std::shared_ptr<HttpResponder> responder, std::string id, std::string model,
             bool stream, bool include_usage)
      : plan_(std::move(plan)), writer_(responder, id, std::move(model), stream, include_usage) {}

  void Start(v1::PipelineService::Stub& stub, const std::string& tenant, v1::RunRequest request) {
    request_ = std::move(request);
    context_->AddMetadata(kTenantHeader, tenant);
    // The context outlives the call as long as the callback may still run.
    writer_.responder().OnClientGone([context = context_] { context->TryCancel(); });
    stub.async()->RunStream(context_.get(), &request_, this);
    StartRead(&event_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (event_.has_token() && event_.token().node() == plan_.stream_node && !plan_.stream_node.empty()) {
      writer_.Content(event_.token().text_delta());
      streamed_ += event_.token().text_delta();
    } else if (event_.has_final()) {
      final_ = event_.final();
    } else if (event_.has_interrupt()) {
      interrupt_reason_ = event_.interrupt().reason();
    }
    StartRead(&event_);
  }

  void OnDone(const grpc::Status& status) override {
    if (!status.ok()) {
      writer_.Fail(ErrorFromStatus(FromGrpcStatus(status)));
    } else {
      writer_.Complete(Answer());
    }
    delete this;
  }

 private:
  ChatAnswer Answer() const {
    ChatAnswer answer;
    const std::string text = final_.has_value() ? AnswerFrom(final_->outputs(), plan_.answer_output)
                                                : interrupt_reason_;
    answer.content = text.rfind(streamed_, 0) == 0 ? text.substr(streamed_.size()) : "";
    if (final_.has_value()) {
      answer.usage.prompt_tokens = final_->usage().prompt_tokens();
      answer.usage.completion_tokens = final_->usage().completion_tokens();
      answer.usage.cached_prompt_tokens = final_->usage().cached_prompt_tokens();
    }
    return answer;
  }

  const ChatPlan plan_;
  ChatCompletionWriter writer_;
  std::shared_ptr<grpc::ClientContext> context_ = std::make_shared<grpc::ClientContext>();
  v1::RunRequest request_;
  v1::RunEvent event_;
  std::string streamed_;
  std::optional<v1::RunFinal> final_;
  std::string interrupt_reason_;
};

}  // namespace

struct PipelineChat::Impl {
  std::unique_ptr<v1::PipelineService::Stub> stub;
};

PipelineChat::PipelineChat(std::shared_ptr<grpc::Channel> channel) : impl_(std::make_shared<Impl>()) {
  impl_->stub = v1::PipelineService::NewStub(std::move(channel));
}

PipelineChat::~PipelineChat() = default;

void PipelineChat::Chat(std::string tenant, ChatCompletionRequest request, std::shared_ptr<HttpResponder> responder,
                        std::function<void()> not_found) {
  struct Lookup {
    grpc::ClientContext context;
    v1::GetPipelineRequest request;
    v1::Pipeline pipeline;
  };
  if (!IsValidName(request.model, 128)) return not_found();
  auto lookup = std::make_shared<Lookup>();
  lookup->context.AddMetadata(kTenantHeader, tenant);
  lookup->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  lookup->request.set_name(request.model);
  auto impl = impl_;
  impl->stub->async()->GetPipeline(
      &lookup->context, &lookup->request, &lookup->pipeline,
      [impl, lookup, tenant, request = std::move(request), responder = std::move(responder),
       not_found = std::move(not_found)](grpc::Status status) mutable {
        if (status.error_code() == grpc::StatusCode::NOT_FOUND) return not_found();
        if (!status.ok()) return responder->Send(ErrorResponse(ErrorFromStatus(FromGrpcStatus(status))));
        absl::StatusOr<ChatPlan> plan = PlanFor(lookup->pipeline);
        absl::StatusOr<google::protobuf::Struct> inputs =
            plan.ok() ? InputsFor(*plan, request) : absl::StatusOr<google::protobuf::Struct>(plan.status());
        if (inputs.ok() && !request.tools.empty()) inputs = InvalidField("tools", "pipeline models take no tools");
        if (inputs.ok() && request.response_format != "text") {
          inputs = InvalidField("response_format", "pipeline models decide their own output format");
        }
        if (inputs.ok() && request.n != 1) inputs = InvalidField("n", "pipeline models answer with one choice");
        if (inputs.ok() && request.logprobs >= 0) {
          inputs = InvalidField("logprobs", "pipeline models do not report log-probabilities");
        }
        if (!inputs.ok()) return responder->Send(ErrorResponse(ErrorFromStatus(inputs.status())));
        const std::string id = NewCompletionId("chatcmpl");
        v1::RunRequest run;
        run.set_pipeline(request.model);
        run.set_version(lookup->pipeline.version());
        run.set_run_id(id);
        *run.mutable_inputs() = *std::move(inputs);
        auto* reactor = new RunReactor(*std::move(plan), std::move(responder), id, request.model, request.stream,
                                       request.include_usage);
        reactor->Start(*impl->stub, tenant, std::move(run));
      });
}

void PipelineChat::List(std::string tenant, int limit,
                        std::function<void(absl::StatusOr<std::vector<std::string>>)> done) {
  struct Listing {
    grpc::ClientContext context;
    v1::ListPipelinesRequest request;
    v1::ListPipelinesResponse response;
  };
  auto listing = std::make_shared<Listing>();
  listing->context.AddMetadata(kTenantHeader, tenant);
  listing->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  listing->request.mutable_page()->set_page_size(limit);
  impl_->stub->async()->ListPipelines(&listing->context, &listing->request, &listing->response,
                                      [listing, done = std::move(done)](grpc::Status status) {
                                        if (!status.ok()) return done(FromGrpcStatus(status));
                                        std::vector<std::string> names;
                                        for (const v1::Pipeline& pipeline : listing->response.pipelines()) {
                                          names.push_back(pipeline.name());
                                        }
                                        done(std::move(names));
                                      });
}

}  // namespace catena::server
