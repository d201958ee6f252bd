// OpenAiGateway: the OpenAI-compatible HTTP routes of catenad, served on its HTTP port next to /healthz, /readyz
// and /metrics: POST /v1/chat/completions (a deployed pipeline of the caller's tenant, header x-catena-tenant, or
// a chat model; streamed as SSE or whole), POST /v1/completions (a raw prompt to a model, no chat template; SSE
// or whole), POST /v1/embeddings, GET /v1/models and GET /v1/models/{id}. Errors
// have the OpenAI shape (openai_errors.h). Requests are validated before any work; model calls and runs are
// asynchronous (no I/O thread waits) and cancelled when the client disconnects. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/http_server.h"

namespace grpc {
class Channel;
}
namespace catena {
class Executor;
}
namespace catena::chains {
class ChatModel;
}
namespace catena::inference {
class EmbedderRegistry;
class ModelRegistry;
}  // namespace catena::inference

namespace catena::server {

class PipelineChat;

struct OpenAiGatewayOptions {
  Executor* executor = nullptr;                // required: embeddings run here; outlives the gateway
  std::shared_ptr<chains::ChatModel> models;  // chat models by name; null = none
  std::shared_ptr<inference::ModelRegistry> registry;  // listed under /v1/models; may be null
  std::vector<std::string> extra_model_names;  // also listed (e.g. the test models when they are on)
  std::shared_ptr<const inference::EmbedderRegistry> embedders;  // null = /v1/embeddings answers 404
  std::shared_ptr<grpc::Channel> pipelines;  // reaches PipelineService; null = no pipeline models
};

class OpenAiGateway {
 public:
  explicit OpenAiGateway(OpenAiGatewayOptions options);
  ~OpenAiGateway();

  // Whether `path` belongs to the gateway ("/v1" and below).
  static bool Serves(std::string_view path);
  // Answers one request under /v1.
  void Handle(HttpRequest request, std::shared_ptr<HttpResponder> responder);
  // The OpenAI-shaped form of an error the HTTP server detects itself (413, malformed requests).
  static HttpResponse RenderError(const HttpRequest& request, int status, std::string message);

 private:
  void ChatCompletions(const HttpRequest& request, std::shared_ptr<HttpResponder> responder);
  void Completions(const HttpRequest& request, std::shared_ptr<HttpResponder> responder);
  void Embeddings(const HttpRequest& request, std::shared_ptr<HttpResponder> responder);
  void Models(const std::string& tenant, std::string id, std::shared_ptr<HttpResponder> responder);

  const OpenAiGatewayOptions options_;
  const int64_t created_;
  std::unique_ptr<PipelineChat> pipeline_chat_;
};

}  // namespace catena::server
