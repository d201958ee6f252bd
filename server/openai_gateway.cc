#include "server/openai_gateway.h"

#include <grpcpp/grpcpp.h>

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "chains/chat_model.h"
#include "common/executor.h"
#include "common/request_context.h"
#include "inference/embedder_registry.h"
#include "inference/model_registry.h"
#include "nlohmann/json.hpp"
#include "server/openai_embeddings.h"
#include "server/openai_errors.h"
#include "server/openai_model_chat.h"
#include "server/openai_pipeline_chat.h"
#include "server/openai_request.h"

namespace catena::server {
namespace {

using Json = nlohmann::json;

constexpr int kMaxListedPipelines = 1000;
constexpr char kPipelinePrefix[] = "pipeline:";
constexpr size_t kPipelinePrefixSize = sizeof(kPipelinePrefix) - 1;

OpenAiError MethodNotAllowed(const HttpRequest& request, std::string_view allowed) {
  return {.status = 405,
          .type = "invalid_request_error",
          .message = absl::StrCat("method ", request.method, " is not allowed on ", request.Path(), "; use ",
                                  std::string(allowed)),
          .code = "method_not_allowed"};
}

HttpResponse WithAllow(HttpResponse response, std::string_view allowed) {
  response.headers.emplace_back("Allow", std::string(allowed));
  return response;
}

absl::StatusOr<std::string> TenantOf(const HttpRequest& request) {
  std::string tenant = request.Header("x-catena-tenant");
  if (tenant.empty()) return std::string(kDefaultTenant);
  if (absl::Status valid = ValidateTenantId(tenant); !valid.ok()) {
    return InvalidField("", absl::StrCat("header x-catena-tenant: ", valid.message()));
  }
  return tenant;
}

Json ModelJson(const std::string& id, int64_t created, const std::string& owner) {
  return {{"id", id}, {"object", "model"}, {"created", created}, {"owned_by", owner}};
}

}  // namespace

OpenAiGateway::OpenAiGateway(OpenAiGatewayOptions options)
    : options_(std::move(options)), created_(absl::ToUnixSeconds(absl::Now())) {
  if (options_.pipelines != nullptr) pipeline_chat_ = std::make_unique<PipelineChat>(options_.pipelines);
}

OpenAiGateway::~OpenAiGateway() = default;

bool OpenAiGateway::Serves(std::string_view path) { return path == "/v1" || path.substr(0, 4) == "/v1/"; }

HttpResponse OpenAiGateway::RenderError(const HttpRequest& request, int status, std::string message) {
  OpenAiError error{.status = status, .type = "invalid_request_error", .message = std::move(message)};
  if (status == 413) error.code = "request_too_large";
  if (!Serves(request.Path())) return {.status = status, .body = error.message + "\n"};
  return ErrorResponse(error);
}

void OpenAiGateway::Handle(HttpRequest request, std::shared_ptr<HttpResponder> responder) {
  const std::string path = request.Path();
  auto route = [&](std::string_view method) {
    if (request.method == method) return true;
    responder->Send(WithAllow(ErrorResponse(MethodNotAllowed(request, method)), method));
    return false;
  };
  if (path == "/v1/chat/completions") {
    if (route("POST")) ChatCompletions(request, std::move(responder));
    return;
  }
  if (path == "/v1/completions") {
    if (route("POST")) Completions(request, std::move(responder));
    return;
  }
  if (path == "/v1/embeddings") {
    if (route("POST")) Embeddings(request, std::move(responder));
    return;
  }
  if (path == "/v1/models" || absl::StartsWith(path, "/v1/models/")) {
    if (!route("GET")) return;
    absl::StatusOr<std::string> tenant = TenantOf(request);
    if (!tenant.ok()) return responder->Send(ErrorResponse(ErrorFromStatus(tenant.status())));
    std::string id = path.size() > 11 ? path.substr(11) : "";
    return Models(*tenant, std::move(id), std::move(responder));
  }
  responder->Send(ErrorResponse({.status = 404,
                                 .type = "invalid_request_error",
                                 .message = absl::StrCat("Unknown request URL: ", request.method, " ", path,
                                                         "; the gateway serves POST /v1/chat/completions, "
                                                         "POST /v1/completions, POST /v1/embeddings and "
                                                         "GET /v1/models"),
                                 .code = "unknown_url"}));
}

void OpenAiGateway::ChatCompletions(const HttpRequest& request, std::shared_ptr<HttpResponder> responder) {
  absl::StatusOr<ChatCompletionRequest> chat = ParseChatCompletionRequest(request.body);
  absl::StatusOr<std::string> tenant = chat.ok() ? TenantOf(request) : chat.status();
  if (!tenant.ok()) return responder->Send(ErrorResponse(ErrorFromStatus(tenant.status())));
  const bool pipeline_only = absl::StartsWith(chat->model, kPipelinePrefix);
  if (pipeline_only) chat->model = chat->model.substr(kPipelinePrefixSize);
  if (!pipeline_only && options_.models != nullptr && options_.models->HasModel(chat->model)) {
    return ChatWithModel(options_.models, options_.executor, *std::move(chat), std::move(responder));
  }
  const std::string detail = absl::StrCat("no pipeline of that name for tenant '", *tenant, "'",
                                          pipeline_only ? "" : " and no chat model of that name");
  if (pipeline_chat_ == nullptr) return responder->Send(ErrorResponse(ModelNotFound(chat->model, detail)));
  const std::string model = chat->model;
  pipeline_chat_->Chat(*tenant, *std::move(chat), responder, [responder, model, detail] {
    responder->Send(ErrorResponse(ModelNotFound(model, detail)));
  });
}

void OpenAiGateway::Completions(const HttpRequest& request, std::shared_ptr<HttpResponder> responder) {
  absl::StatusOr<ChatCompletionRequest> completion = ParseCompletionRequest(request.body);
  absl::StatusOr<std::string> tenant = completion.ok() ? TenantOf(request) : completion.status();
  if (!tenant.ok()) return responder->Send(ErrorResponse(ErrorFromStatus(tenant.status())));
  if (options_.models == nullptr || !options_.models->HasModel(completion->model)) {
    return responder->Send(ErrorResponse(ModelNotFound(
        completion->model, "no model of that name (pipelines answer POST /v1/chat/completions only)")));
  }
  ChatWithModel(options_.models, options_.executor, *std::move(completion), std::move(responder));
}

void OpenAiGateway::Embeddings(const HttpRequest& request, std::shared_ptr<HttpResponder> responder) {
  absl::StatusOr<EmbeddingsRequest> parsed = ParseEmbeddingsRequest(request.body);
  if (!parsed.ok()) return responder->Send(ErrorResponse(ErrorFromStatus(parsed.status())));
  if (options_.embedders == nullptr) {
    return responder->Send(ErrorResponse(ModelNotFound(parsed->model, "this server has no embedders")));
  }
  auto work = [embedders = options_.embedders, parsed = *std::move(parsed), responder]() {
    if (responder->client_gone()) return;
    absl::StatusOr<std::string> body = EmbeddingsResponseJson(*embedders, parsed);
    if (body.ok()) return responder->Send({.content_type = "application/json", .body = *std::move(body)});
    if (body.status().code() == absl::StatusCode::kNotFound) {
      return responder->Send(ErrorResponse(ModelNotFound(parsed.model, std::string(body.status().message()))));
    }
    responder->Send(ErrorResponse(ErrorFromStatus(body.status())));
  };
  if (!options_.executor->Post(std::move(work))) {
    responder->Send(ErrorResponse(ErrorFromStatus(absl::UnavailableError("the server is shutting down"))));
  }
}

// Lists pipelines (when any) first, then models and embedders; with `id`, answers that one entry or 404.
void OpenAiGateway::Models(const std::string& tenant, std::string id, std::shared_ptr<HttpResponder> responder) {
  Json local = Json::array();
  std::set<std::string> seen;
  auto add = [&](const std::string& name, const std::string& owner) {
    if (seen.insert(name).second) local.push_back(ModelJson(name, created_, owner));
  };
  if (options_.registry != nullptr) {
    for (const inference::ModelSummary& model : options_.registry->List()) add(model.name, "catena");
  }
  for (const std::string& name : options_.extra_model_names) add(name, "catena");
  if (options_.embedders != nullptr) {
    for (const inference::EmbedderInfo& info : options_.embedders->List()) add(info.name, "catena-embedder");
  }
  auto answer = [created = created_, id, responder, local](std::vector<std::string> pipelines) {
    Json data = Json::array();
    for (const std::string& name : pipelines) data.push_back(ModelJson(name, created, "catena-pipeline"));
    for (const Json& model : local) data.push_back(model);
    if (id.empty()) {
      return responder->Send({.content_type = "application/json",
                              .body = Json{{"object", "list"}, {"data", data}}.dump()});
    }
    const std::string wanted = absl::StartsWith(id, kPipelinePrefix) ? id.substr(kPipelinePrefixSize) : id;
    for (const Json& model : data) {
      if (model["id"] == wanted) return responder->Send({.content_type = "application/json", .body = model.dump()});
    }
    responder->Send(ErrorResponse(ModelNotFound(id, "no pipeline, model or embedder of that name")));
  };
  if (pipeline_chat_ == nullptr) return answer({});
  pipeline_chat_->List(tenant, kMaxListedPipelines,
                       [answer, responder](absl::StatusOr<std::vector<std::string>> names) {
                         if (!names.ok()) return responder->Send(ErrorResponse(ErrorFromStatus(names.status())));
                         answer(*std::move(names));
                       });
}

}  // namespace catena::server
