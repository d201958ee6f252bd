// The configuration keys of catenad (server.*, data_dir, log.*, and services.* from remote_services_config.h) and the
// typed ServerOptions read from them.
// Used by catenad_main.cc and by tests that start servers in-process. Pure functions; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "auth/authenticator.h"
#include "chains/pipeline_service.h"
#include "chains/remote_chat_model.h"
#include "chains/remote_embedder.h"
#include "common/config.h"
#include "common/logging.h"
#include "inference/serving_options.h"
#include "memory/memory_service.h"
#include "server/remote_services_config.h"

namespace catena::server {

// server.tls.*: TLS on the gRPC and HTTP ports when cert_file is set; mutual TLS with client_ca_file.
struct TlsServerOptions {
  std::string cert_file;             // PEM certificate chain of the server; empty = plaintext
  std::string key_file;              // PEM private key of cert_file
  std::string client_ca_file;        // PEM CAs that sign client certificates; empty = clients are not asked for one
  bool require_client_cert = false;  // refuse clients without a certificate signed by client_ca_file
  bool enabled() const { return !cert_file.empty(); }
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int grpc_port = 50051;
  int http_port = 8080;
  // Largest HTTP request body (the OpenAI-compatible gateway's requests); larger ones get 413.
  int64_t http_max_body_bytes = 8 << 20;
  std::string data_dir = "data";
  // Short service names ("retrieval", ...); already expanded from "all".
  std::vector<std::string> services;
  int64_t max_message_bytes = 64 << 20;
  int64_t keepalive_time_ms = 60'000;
  int64_t keepalive_timeout_ms = 20'000;
  int64_t drain_timeout_ms = 10'000;
  int worker_threads = 0;
  LogOptions log;
  // Embedders: dimension of the hashing embedder, and where npm assets (word vectors) live.
  int embedding_hashing_dimension = 384;
  std::string asset_dir;
  // embedding.gguf_models: "name=path" GGUF encoders served as embedders.
  std::vector<std::string> gguf_embedders;
  // embedding.remote: OpenAI-compatible /embeddings endpoints served as embedders (server/remote_config.h).
  std::vector<chains::RemoteEmbedderSpec> remote_embedders;
  // models.remote: OpenAI-compatible chat models for llm nodes and the gateway.
  std::vector<chains::RemoteChatModelSpec> remote_chat_models;
  // fsync every retrieval write (power-loss safe) instead of WAL-only (kill -9 safe).
  bool retrieval_sync_writes = false;
  // memory.* keys.
  memory::MemoryServiceSettings memory;
  // inference.* keys: the GGUF models InferenceService may serve, and whether to load them at start.
  std::vector<inference::ModelConfig> inference_models;
  bool inference_autoload = true;
  // pipelines.* keys.
  chains::PipelineServiceSettings pipelines;
  // tools.files: YAML tool files (docs/agents.md "Tools") whose tools every tenant's runs may call.
  std::vector<std::string> tool_files;
  // auth.* keys; keys_file already defaulted to <data_dir>/auth/keys.json.
  auth::AuthOptions auth;
  TlsServerOptions tls;
  // services.*: services this process calls over gRPC (distributed mode). Services this process runs itself
  // are never remote here, so one config file can list every address for all processes.
  RemoteServices remote;
};

// Adds every catenad key, with defaults and help, to `schema`.
absl::Status RegisterServerConfig(ConfigSchema& schema);

// Reads ServerOptions from a config loaded with a schema that RegisterServerConfig filled.
// INVALID_ARGUMENT naming the key and its origin for unknown service names or a bad log format.
absl::StatusOr<ServerOptions> ServerOptionsFromConfig(const Config& config);

}  // namespace catena::server
