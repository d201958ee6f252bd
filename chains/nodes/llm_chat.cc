// llm.chat and llm.generate: one call to services().models. Deltas become kToken events (stream: true), the
// usage is added to the run, and cancelling the run cancels the call.
#include "absl/strings/str_cat.h"
#include "chains/json_schema_check.h"
#include "chains/nodes/node_types.h"
#include "chains/nodes/node_util.h"
#include "common/status.h"

namespace catena::chains {
namespace {

absl::Status ReadSampling(const tmpl::Value& params, ChatRequest& request) {
  CATENA_ASSIGN_OR_RETURN(request.model, nodes::GetString(params, "model"));
  CATENA_ASSIGN_OR_RETURN(int64_t max_tokens, nodes::GetInt(params, "max_tokens", 256, 1, 1 << 20));
  request.max_tokens = static_cast<int>(max_tokens);
  CATENA_ASSIGN_OR_RETURN(request.temperature, nodes::GetNumber(params, "temperature", 0, 0, 2));
  CATENA_ASSIGN_OR_RETURN(request.top_p, nodes::GetNumber(params, "top_p", 1, 0, 1));
  CATENA_ASSIGN_OR_RETURN(int64_t top_k, nodes::GetInt(params, "top_k", 0, 0, 1 << 30));
  request.top_k = static_cast<int>(top_k);
  CATENA_ASSIGN_OR_RETURN(request.min_p, nodes::GetNumber(params, "min_p", 0, 0, 1));
  CATENA_ASSIGN_OR_RETURN(request.repetition_penalty, nodes::GetNumber(params, "repetition_penalty", 1, 0, 2));
  if (request.repetition_penalty == 0) return absl::InvalidArgumentError("repetition_penalty must be in (0, 2]");
  CATENA_ASSIGN_OR_RETURN(request.frequency_penalty, nodes::GetNumber(params, "frequency_penalty", 0, -2, 2));
  CATENA_ASSIGN_OR_RETURN(request.presence_penalty, nodes::GetNumber(params, "presence_penalty", 0, -2, 2));
  CATENA_ASSIGN_OR_RETURN(request.seed, nodes::GetInt(params, "seed", 0, 0, INT64_MAX));
  CATENA_ASSIGN_OR_RETURN(request.stop, nodes::GetStringList(params, "stop"));
  return absl::OkStatus();
}

absl::Status ReadTools(const tmpl::Value& params, ChatRequest& request) {
  CATENA_ASSIGN_OR_RETURN(tmpl::Value tools, nodes::GetList(params, "tools"));
  for (size_t i = 0; i < tools.list().items.size(); ++i) {
    const tmpl::Value& tool = tools.list().items[i];
    const std::string where = absl::StrCat("tools[", i, "]");
    if (!tool.is_map()) return absl::InvalidArgumentError(where + " must be a {name, description, parameters} map");
    CATENA_ASSIGN_OR_RETURN(std::string name, nodes::RequireString(tool, "name"));
    CATENA_ASSIGN_OR_RETURN(std::string description, nodes::GetString(tool, "description"));
    std::string schema = R"({"type":"object"})";
    if (const tmpl::Value* parameters = nodes::FindParam(tool, "parameters")) {
      CATENA_ASSIGN_OR_RETURN(schema, nodes::ToJsonText(*parameters, where + ".parameters"));
    }
    request.tools.push_back({std::move(name), std::move(description), std::move(schema)});
  }
  return absl::OkStatus();
}

absl::StatusOr<ChatRequest> ChatRequestFrom(NodeCall& call, bool raw) {
  const tmpl::Value& params = call.params();
  ChatRequest request;
  CATENA_RETURN_IF_ERROR(ReadSampling(params, request));
  request.deadline = call.deadline();
  CATENA_ASSIGN_OR_RETURN(std::string prompt, nodes::GetString(params, "prompt"));
  if (raw) {
    if (prompt.empty()) return absl::InvalidArgumentError("parameter 'prompt' is required (got nothing)");
    request.raw_prompt = true;
    request.messages.push_back({.role = "user", .content = prompt});
    return request;
  }
  CATENA_ASSIGN_OR_RETURN(std::string system, nodes::GetString(params, "system"));
  if (!system.empty()) request.messages.push_back({.role = "system", .content = system});
  if (const tmpl::Value* list = nodes::FindParam(params, "messages")) {
    CATENA_ASSIGN_OR_RETURN(std::vector<ChatMessage> messages, nodes::MessagesFromValue(*list, "messages"));
    request.messages.insert(request.messages.end(), messages.begin(), messages.end());
  }
  if (!prompt.empty()) request.messages.push_back({.role = "user", .content = prompt});
  if (request.messages.empty()) return absl::InvalidArgumentError("llm.chat got no messages and no prompt");
  CATENA_ASSIGN_OR_RETURN(tmpl::Value schema, nodes::GetMap(params, "json_schema"));
  if (schema.is_map()) {
    CATENA_ASSIGN_OR_RETURN(request.json_schema, nodes::ToJsonText(schema, "json_schema"));
  }
  CATENA_RETURN_IF_ERROR(ReadTools(params, request));
  return request;
}

tmpl::Value ToolCallsValue(const std::vector<ChatToolCall>& calls) {
  std::vector<tmpl::Value> items;
  for (const ChatToolCall& call : calls) {
    nlohmann::ordered_json arguments = nlohmann::ordered_json::parse(call.arguments_json, nullptr, false);
    tmpl::Value args = arguments.is_discarded() ? tmpl::Value(call.arguments_json) : tmpl::Value::FromJson(arguments);
    items.push_back(nodes::MakeDict({{"id", call.id}, {"name", call.name}, {"arguments", std::move(args)}}));
  }
  return tmpl::Value::List(std::move(items));
}

absl::StatusOr<tmpl::Value> OutputOf(const ChatResult& result, bool wants_json) {
  tmpl::Value output = nodes::MakeDict(
      {{"text", result.text},
       {"tool_calls", ToolCallsValue(result.tool_calls)},
       {"finish_reason", result.finish_reason},
       {"usage", nodes::MakeDict({{"prompt_tokens", result.usage.prompt_tokens},
                                  {"completion_tokens", result.usage.completion_tokens}})}});
  if (wants_json) {
    absl::StatusOr<nlohmann::ordered_json> json = ExtractJson(result.text);
    if (!json.ok()) return Annotate(json.status(), "the model's reply for json_schema");
    output.map().Set("json", tmpl::Value::FromJson(*json));
  }
  return output;
}

class LlmNode final : public NodeImpl {
 public:
  explicit LlmNode(bool raw) : raw_(raw) {}

  void Start(NodeCall& call) const override {
    absl::Status ready = nodes::NeedService(call.services().models, "models");
    absl::StatusOr<ChatRequest> request = ready.ok() ? ChatRequestFrom(call, raw_) : absl::StatusOr<ChatRequest>(ready);
    absl::StatusOr<bool> stream = nodes::GetBool(call.params(), "stream", true);
    if (!request.ok() || !stream.ok()) {
      call.Finish(!request.ok() ? request.status() : stream.status());
      return;
    }
    const bool wants_json = !request->json_schema.empty();
    auto slot = std::make_shared<nodes::CancelSlot>();
    call.OnCancel([slot] { slot->Cancel(); });
    auto on_delta = [&call, emit = *stream](std::string_view delta) {
      if (!emit || delta.empty()) return;
      RunEvent event;
      event.kind = RunEvent::Kind::kToken;
      event.text = std::string(delta);
      call.Emit(std::move(event));
    };
    auto on_done = [&call, wants_json](absl::StatusOr<ChatResult> result) {
      if (!result.ok()) return call.Finish(result.status());
      call.AddUsage(result->usage);
      call.Finish(OutputOf(*result, wants_json));
    };
    slot->Set(call.services().models->Chat(*std::move(request), std::move(on_delta), std::move(on_done)));
  }

 private:
  const bool raw_;
};

std::vector<OutputInfo> LlmOutputs() {
  return {{"text", FieldType::kString, "The reply."},
          {"json", FieldType::kAny, "The reply parsed as JSON (only with json_schema)."},
          {"tool_calls", FieldType::kList, "Tool calls [{id, name, arguments}] the model made."},
          {"finish_reason", FieldType::kString, "stop, length or tool_calls."},
          {"usage", FieldType::kMap, "{prompt_tokens, completion_tokens} of this call."}};
}

std::vector<ParamInfo> SamplingParams() {
  return {{"model", FieldType::kString, false, false, "\"\"", "Model name; empty = the default model."},
          {"max_tokens", FieldType::kInt, false, false, "256", "Most tokens to generate."},
          {"temperature", FieldType::kNumber, false, false, "0", "Sampling temperature in [0, 2]; 0 = greedy."},
          {"top_p", FieldType::kNumber, false, false, "1", "Nucleus sampling mass in (0, 1]."},
          {"top_k", FieldType::kInt, false, false, "0", "Sample from the k most likely tokens; 0 = off."},
          {"min_p", FieldType::kNumber, false, false, "0",
           "Drop tokens less likely than min_p times the most likely one, in [0, 1]; 0 = off."},
          {"repetition_penalty", FieldType::kNumber, false, false, "1",
           "Penalty on tokens of the last 64 (prompt and reply), in (0, 2]; 1 = off."},
          {"frequency_penalty", FieldType::kNumber, false, false, "0",
           "Subtracted from a token's logit per time it was generated, in [-2, 2]."},
          {"presence_penalty", FieldType::kNumber, false, false, "0",
           "Subtracted from the logit of every token generated so far, in [-2, 2]."},
          {"seed", FieldType::kInt, false, false, "0", "Seed of the sampler."},
          {"stop", FieldType::kList, false, false, "[]", "Stop strings; the reply ends before the first one."},
          {"stream", FieldType::kBool, false, false, "true", "Emit a token event per streamed piece."}};
}

}  // namespace

std::unique_ptr<NodeType> NewLlmChatNodeType() {
  NodeTypeInfo info{.name = "llm.chat",
                    .summary = "Calls a chat model with messages (or one prompt) and streams its reply.",
                    .params = SamplingParams(),
                    .outputs = LlmOutputs()};
  info.params.insert(
      info.params.begin() + 1,
      {{"messages", FieldType::kList, false, false, "[]", "Messages [{role, content}], e.g. nodes.<prompt>.messages."},
       {"prompt", FieldType::kString, false, false, "", "One user message, after `messages`."},
       {"system", FieldType::kString, false, false, "", "A system message, before `messages`."}});
  info.params.push_back({"json_schema", FieldType::kMap, false, false, "", "JSON Schema the reply must satisfy; "
                         "the output then also has `json`."});
  info.params.push_back({"tools", FieldType::kList, false, false, "[]",
                         "Tools [{name, description, parameters}] the model may call."});
  return std::make_unique<nodes::SimpleNodeType>(std::move(info), [](const NodeSpec& spec, NodeCompileContext& ctx) {
    nodes::RequireAnyOf(spec, ctx, {"messages", "prompt"});
    return std::make_unique<LlmNode>(false);
  });
}

std::unique_ptr<NodeType> NewLlmGenerateNodeType() {
  NodeTypeInfo info{.name = "llm.generate",
                    .summary = "Continues a raw prompt (no chat template) and streams the completion.",
                    .params = SamplingParams(),
                    .outputs = LlmOutputs()};
  info.params.insert(info.params.begin() + 1,
                     {"prompt", FieldType::kString, true, false, "", "The whole prompt text, sent as is."});
  info.outputs.erase(info.outputs.begin() + 1);  // no json_schema here
  return std::make_unique<nodes::SimpleNodeType>(std::move(info), [](const NodeSpec&, NodeCompileContext&) {
    return std::make_unique<LlmNode>(true);
  });
}

}  // namespace catena::chains
