#include "server/catenad.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "chains/service_chat_models.h"
#include "auth/authenticator.h"
#include "common/executor.h"
#include "common/metrics.h"
#include "common/status.h"
#include "common/version.h"
#include "server/components.h"
#include "server/grpc_server.h"
#include "server/http_auth.h"
#include "server/http_server.h"
#include "server/openai_gateway.h"
#include "server/server_service.h"
#include "server/service_catalog.h"
#include "spdlog/spdlog.h"

namespace catena::server {
namespace {

absl::Status EnsureDataDir(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) {
    return absl::FailedPreconditionError(absl::StrCat("cannot create data directory '", path, "': ", error.message()));
  }
  return absl::OkStatus();
}

HttpResponse ServeOperationalRoute(const HttpRequest& request, bool ready, const MetricsRegistry& metrics) {
  if (request.method != "GET" && request.method != "HEAD") {
    return {.status = 405, .body = "method not allowed: use GET\n"};
  }
  const std::string path = request.target.substr(0, request.target.find('?'));
  if (path == "/healthz") return {.body = "ok\n"};
  if (path == "/readyz")
    return ready ? HttpResponse{.body = "ready\n"} : HttpResponse{.status = 503, .body = "not ready\n"};
  if (path == "/metrics") {
    return {.content_type = "text/plain; version=0.0.4; charset=utf-8", .body = metrics.RenderText()};
  }
  return {.status = 404, .body = absl::StrCat("no route ", path, "; try /healthz, /readyz or /metrics\n")};
}

}  // namespace

absl::StatusOr<std::unique_ptr<Catenad>> Catenad::Start(const ServerOptions& options) {
  std::unique_ptr<Catenad> catenad(new Catenad());
  catenad->options_ = options;
  if (absl::Status status = catenad->StartParts(); !status.ok()) {
    catenad->Shutdown();
    return status;
  }
  return catenad;
}

absl::Status Catenad::StartParts() {
  CATENA_RETURN_IF_ERROR(EnsureDataDir(options_.data_dir));
  metrics_ = std::make_unique<MetricsRegistry>();
  executor_ = std::make_unique<Executor>(ExecutorOptions{.threads = options_.worker_threads, .name = "catenad"});

  components_ =
      std::make_unique<ServerComponents>(ComponentOptions{.data_dir = options_.data_dir,
                                                          .asset_dir = options_.asset_dir,
                                                          .hashing_dimension = options_.embedding_hashing_dimension,
                                                          .gguf_embedders = options_.gguf_embedders,
                                                          .remote_embedders = options_.remote_embedders,
                                                          .remote_chat_models = options_.remote_chat_models,
                                                          .retrieval_sync_writes = options_.retrieval_sync_writes,
                                                          .memory = options_.memory,
                                                          .inference_models = options_.inference_models,
                                                          .inference_autoload = options_.inference_autoload,
                                                          .metrics = metrics_.get()});
  std::vector<const ServiceDescriptor*> selected;
  service_names_ = {"catena.v1.ServerService"};
  for (const ServiceDescriptor& descriptor : ServiceCatalog()) {
    if (std::find(options_.services.begin(), options_.services.end(), descriptor.name) == options_.services.end()) {
      continue;
    }
    selected.push_back(&descriptor);
    service_names_.emplace_back(descriptor.full_name);
  }
  auto health = std::make_shared<HealthServiceImpl>(service_names_);
  const ServiceDependencies dependencies{
      .executor = executor_.get(),
      .data_dir = options_.data_dir,
      .components = components_.get(),
      .metrics = metrics_.get(),
      .pipelines = options_.pipelines,
      .tool_files = options_.tool_files,
      .remote = options_.remote,
      .set_serving = [health](const std::string& name, bool serving) { health->SetServing(name, serving); }};
  std::vector<std::unique_ptr<grpc::Service>> services;
  for (const ServiceDescriptor* descriptor : selected) {
    auto service = descriptor->create(dependencies);
    if (!service.ok())
      return Annotate(service.status(), absl::StrCat("start ", std::string(descriptor->name), " service"));
    services.push_back(*std::move(service));
  }
  services.push_back(std::make_unique<ServerServiceImpl>(service_names_, *executor_));

  if (options_.auth.enabled || auth::TenantQuotas(options_.auth.quotas).enabled()) {
    CATENA_ASSIGN_OR_RETURN(authenticator_, auth::Authenticator::Create(options_.auth));
    if (options_.auth.enabled) spdlog::info("API keys required; key file {}", options_.auth.keys_file.string());
  }
  CATENA_ASSIGN_OR_RETURN(grpc_, GrpcServer::Start(options_, std::move(services), std::move(health), *metrics_,
                                                   authenticator_.get()));
  CATENA_RETURN_IF_ERROR(StartHttp());
  ready_ = true;
  spdlog::info("catenad {} serving {} gRPC services on {}:{}, HTTP on {}:{}, data in {}", kVersion,
               service_names_.size(), options_.host, grpc_->port(), options_.host, http_->port(), options_.data_dir);
  return absl::OkStatus();
}

// The operational routes and, under /v1, the OpenAI-compatible gateway over the same models, embedders and
// (through an in-process channel to PipelineService) pipelines that the gRPC services use.
absl::Status Catenad::StartHttp() {
  CATENA_ASSIGN_OR_RETURN(auto models, components_->Models());
  CATENA_ASSIGN_OR_RETURN(auto embedders, components_->Embedders());
  CATENA_ASSIGN_OR_RETURN(auto remote_models, components_->RemoteChatModels());
  const bool pipelines =
      std::find(options_.services.begin(), options_.services.end(), "pipeline") != options_.services.end();
  OpenAiGatewayOptions gateway{
      .executor = executor_.get(),
      .models = chains::NewServiceChatModels(models, executor_.get(), options_.pipelines.test_models, remote_models,
                                             options_.pipelines.extractive_model, options_.pipelines.default_model),
      .registry = models,
      .embedders = std::move(embedders),
      .pipelines = pipelines ? grpc_->InProcessChannel() : nullptr};
  if (options_.pipelines.test_models) gateway.extra_model_names = {"test", "test-echo", "test-json"};
  if (remote_models != nullptr) {
    for (const std::string& name : remote_models->ModelNames()) gateway.extra_model_names.push_back(name);
  }
  if (options_.pipelines.extractive_model) gateway.extra_model_names.push_back("extractive");
  gateway_ = std::make_unique<OpenAiGateway>(std::move(gateway));
  const HttpServerOptions http_options{.host = options_.host,
                                       .port = options_.http_port,
                                       .max_body_bytes = static_cast<size_t>(options_.http_max_body_bytes),
                                       .render_error = &OpenAiGateway::RenderError,
                                       .tls = {.cert_file = options_.tls.cert_file,
                                               .key_file = options_.tls.key_file,
                                               .client_ca_file = options_.tls.client_ca_file,
                                               .require_client_cert = options_.tls.require_client_cert}};
  CATENA_ASSIGN_OR_RETURN(
      http_, HttpServer::StartAsync(http_options, [this](HttpRequest request, std::shared_ptr<HttpResponder> out) {
        if (authenticator_ != nullptr && !IsOpenHttpRoute(authenticator_->options(), request.Path())) {
          out = AdmitHttpRequest(*authenticator_, request, std::move(out));
          if (out == nullptr) return;
        }
        if (OpenAiGateway::Serves(request.Path())) return gateway_->Handle(std::move(request), std::move(out));
        out->Send(ServeOperationalRoute(request, ready_.load(), *metrics_));
      }));
  return absl::OkStatus();
}

Catenad::~Catenad() { Shutdown(); }

int Catenad::grpc_port() const { return grpc_->port(); }
int Catenad::http_port() const { return http_->port(); }

void Catenad::Shutdown() {
  if (ready_.exchange(false)) spdlog::info("draining gRPC calls (up to {} ms)", options_.drain_timeout_ms);
  if (grpc_ != nullptr) grpc_->Shutdown(absl::Milliseconds(options_.drain_timeout_ms));
  if (http_ != nullptr) http_->Stop();
  if (executor_ != nullptr) executor_->Shutdown();
}

}  // namespace catena::server
