#include "server/server_config.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "auth/key_store.h"
#include "common/status.h"
#include "server/config_keys.h"
#include "memory/memory_service.h"
#include "memory/ttl_policy.h"
#include "server/remote_config.h"
#include "server/service_catalog.h"

namespace catena::server {
namespace {

// Reads the memory.* keys.
absl::StatusOr<memory::MemoryServiceSettings> MemorySettingsFromConfig(const Config& config) {
  memory::MemoryServiceSettings settings;
  settings.sync_writes = config.GetBool("memory.sync_writes");
  settings.default_ttl_seconds = config.GetInt("memory.default_ttl_seconds");
  auto tenant_ttls = memory::ParseTenantTtls(config.GetStringList("memory.tenant_ttl_seconds"));
  if (!tenant_ttls.ok()) return Annotate(tenant_ttls.status(), config.Origin("memory.tenant_ttl_seconds"));
  settings.tenant_ttl_seconds = *std::move(tenant_ttls);
  return settings;
}

// Reads the pipelines.* keys.
absl::StatusOr<chains::PipelineServiceSettings> PipelineSettingsFromConfig(const Config& config) {
  chains::PipelineServiceSettings settings;
  settings.dir = config.GetString("pipelines.dir");
  const std::string interval = config.GetString("pipelines.reload_interval");
  if (!absl::ParseDuration(interval, &settings.reload_interval) || settings.reload_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(config.Origin("pipelines.reload_interval"), ": '", interval,
                                                   "' is not a positive duration such as 500ms, 2s or 1m"));
  }
  settings.max_concurrent_runs = static_cast<int>(config.GetInt("pipelines.max_concurrent_runs"));
  settings.max_queued_runs = static_cast<int>(config.GetInt("pipelines.max_queued_runs"));
  settings.test_models = config.GetBool("pipelines.test_models");
  settings.extractive_model = config.GetBool("pipelines.extractive_model");
  settings.default_model = config.GetString("pipelines.default_model");
  settings.max_traces_per_tenant = config.GetInt("pipelines.max_traces_per_tenant");
  settings.sync_writes = config.GetBool("memory.sync_writes");
  settings.checkpoint_durability = config.GetString("pipelines.checkpoint_durability") == "sync"
                                       ? chains::CheckpointDurability::kSync
                                       : chains::CheckpointDurability::kAsync;
  return settings;
}

// Reads the inference.* keys.
absl::StatusOr<std::vector<inference::ModelConfig>> ModelsFromConfig(const Config& config) {
  const inference::ModelOptions model{.backend = config.GetString("inference.backend"),
                                      .threads = static_cast<int>(config.GetInt("inference.threads"))};
  auto kv_type = inference::ParseKvType(config.GetString("inference.kv_cache_type"));
  if (!kv_type.ok()) return Annotate(kv_type.status(), config.Origin("inference.kv_cache_type"));
  const inference::EngineOptions engine{.kv_memory_bytes = config.GetInt("inference.kv_cache_mb") << 20,
                                        .kv_type = *kv_type,
                                        .max_step_tokens = config.GetInt("inference.max_step_tokens"),
                                        .max_running = static_cast<int>(config.GetInt("inference.max_running")),
                                        .max_waiting = static_cast<int>(config.GetInt("inference.max_waiting"))};
  auto models = inference::ParseModelList(config.GetStringList("inference.models"), model, engine);
  if (!models.ok()) return Annotate(models.status(), config.Origin("inference.models"));
  return models;
}

// Reads the auth.* keys; per-tenant quota items are "tenant:field=value" and later items override earlier ones.
absl::StatusOr<auth::AuthOptions> AuthOptionsFromConfig(const Config& config, const std::string& data_dir) {
  auth::AuthOptions options;
  options.enabled = config.GetBool("auth.enabled");
  const std::string keys_file = config.GetString("auth.keys_file");
  options.keys_file = keys_file.empty() ? auth::DefaultKeysFile(data_dir) : std::filesystem::path(keys_file);
  options.open_health = config.GetBool("auth.open_health");
  options.open_metrics = config.GetBool("auth.open_metrics");
  const double rate = config.GetDouble("auth.quota.requests_per_second");
  if (rate < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(config.Origin("auth.quota.requests_per_second"), ": must be >= 0 (0 = no limit)"));
  }
  options.quotas.defaults = {.requests_per_second = rate,
                             .burst = config.GetInt("auth.quota.burst"),
                             .max_in_flight = config.GetInt("auth.quota.max_in_flight")};
  for (const std::string& item : config.GetStringList("auth.tenant_quotas")) {
    const std::string tenant = item.substr(0, item.find(':'));
    auto found = options.quotas.tenants.find(tenant);
    const auth::QuotaLimits& base = found == options.quotas.tenants.end() ? options.quotas.defaults : found->second;
    auto parsed = auth::ParseTenantQuota(item, base);
    if (!parsed.ok()) return Annotate(parsed.status(), config.Origin("auth.tenant_quotas"));
    options.quotas.tenants[parsed->first] = parsed->second;
  }
  return options;
}

// Reads the server.tls.* keys; INVALID_ARGUMENT when they are incomplete.
absl::StatusOr<TlsServerOptions> TlsOptionsFromConfig(const Config& config) {
  TlsServerOptions tls{.cert_file = config.GetString("server.tls.cert_file"),
                       .key_file = config.GetString("server.tls.key_file"),
                       .client_ca_file = config.GetString("server.tls.client_ca_file"),
                       .require_client_cert = config.GetBool("server.tls.require_client_cert")};
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(config.Origin("server.tls.cert_file"),
                                                   ": server.tls.cert_file and server.tls.key_file go together"));
  }
  if (!tls.enabled() && (!tls.client_ca_file.empty() || tls.require_client_cert)) {
    return absl::InvalidArgumentError(absl::StrCat(config.Origin("server.tls.client_ca_file"),
                                                   ": client certificates need server.tls.cert_file and key_file"));
  }
  if (tls.require_client_cert && tls.client_ca_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(config.Origin("server.tls.require_client_cert"),
                                                   ": require_client_cert needs server.tls.client_ca_file"));
  }
  return tls;
}

// The auth.* and server.tls.* keys (docs/security.md).
std::vector<ConfigKey> SecurityKeys() {
  return {
      BoolKey("auth.enabled", false,
              "Require an API key (authorization: Bearer <key>) on every gRPC call and HTTP "
              "request; the key's tenant is the caller's tenant."),
      StringKey("auth.keys_file", "",
                "API key file written by `catena keys`; empty = <data_dir>/auth/keys.json. "
                "Reloaded when it changes."),
      BoolKey("auth.open_health", true, "Serve grpc.health.v1, /healthz and /readyz without a key (probes)."),
      BoolKey("auth.open_metrics", true, "Serve /metrics without a key."),
      ConfigKey{.path = "auth.quota.requests_per_second",
                .type = ConfigType::kDouble,
                .default_value = "0",
                .help = "Default request rate per tenant (token bucket refill); 0 = no limit."},
      IntKey("auth.quota.burst", 0, 0, int64_t{1} << 30,
             "Default burst per tenant (bucket size); 0 = max(1, requests_per_second)."),
      IntKey("auth.quota.max_in_flight", 0, 0, int64_t{1} << 30, "Default calls in flight per tenant; 0 = no limit."),
      ConfigKey{.path = "auth.tenant_quotas",
                .type = ConfigType::kStringList,
                .default_value = "",
                .help = "Per-tenant overrides as tenant:field=value items, field one of requests_per_second, burst, "
                        "max_in_flight."},
      StringKey("server.tls.cert_file", "", "PEM server certificate chain; set (with key_file) to serve TLS."),
      StringKey("server.tls.key_file", "", "PEM private key of server.tls.cert_file."),
      StringKey("server.tls.client_ca_file", "", "PEM CA bundle for client certificates (mutual TLS)."),
      BoolKey("server.tls.require_client_cert", false,
              "Refuse clients without a certificate signed by server.tls.client_ca_file."),
  };
}

}  // namespace

absl::Status RegisterServerConfig(ConfigSchema& schema) {
  const ServerOptions defaults;
  constexpr int64_t kMaxPort = 65535;
  constexpr int64_t kDay = 86'400'000;
  const std::vector<ConfigKey> keys = {
      StringKey("server.host", defaults.host, "Address to listen on (0.0.0.0 for all interfaces)."),
      IntKey("server.grpc_port", defaults.grpc_port, 0, kMaxPort, "gRPC port; 0 picks a free port."),
      IntKey("server.http_port", defaults.http_port, 0, kMaxPort,
             "HTTP port for /healthz, /readyz, /metrics and the OpenAI-compatible /v1 routes; 0 picks a free port."),
      IntKey("server.http_max_body_bytes", defaults.http_max_body_bytes, 1024, int64_t{1} << 30,
             "Largest HTTP request body accepted (larger ones get 413)."),
      ConfigKey{.path = "server.services",
                .type = ConfigType::kStringList,
                .default_value = "all",
                .help = absl::StrCat("Services to run: all, or a list of ", absl::StrJoin(ServiceNames(), ", "), ".")},
      IntKey("server.max_message_bytes", defaults.max_message_bytes, 1024, int64_t{2} << 30,
             "Largest gRPC message accepted or sent."),
      IntKey("server.keepalive_time_ms", defaults.keepalive_time_ms, 1000, kDay,
             "Interval of keepalive pings the server sends on idle connections."),
      IntKey("server.keepalive_timeout_ms", defaults.keepalive_timeout_ms, 1000, kDay,
             "How long to wait for a keepalive ack before closing the connection."),
      IntKey("server.drain_timeout_ms", defaults.drain_timeout_ms, 0, kDay,
             "On SIGTERM/SIGINT, how long in-flight calls may take before they are cancelled."),
      IntKey("server.worker_threads", defaults.worker_threads, 0, 1024,
             "Threads of the shared executor; 0 = one per CPU core."),
      StringKey("data_dir", defaults.data_dir, "Directory for this process's data (RocksDB, indexes)."),
      StringKey("log.level", defaults.log.level, "Log level.",
                {"trace", "debug", "info", "warn", "error", "critical", "off"}),
      StringKey("log.format", "text", "Log format: text, or json (one JSON object per line).", {"text", "json"}),
      IntKey("embedding.hashing_dimension", defaults.embedding_hashing_dimension, 8, 65536,
             "Dimension of the built-in hashing embedder (named hashing-<dimension>, the default embedder)."),
      StringKey("embedding.asset_dir", "",
                "Directory of npm assets (word vectors for glove-100d); empty = $CATENA_ASSET_DIR or "
                "~/.cache/catena/assets."),
      ConfigKey{.path = "embedding.gguf_models",
                .type = ConfigType::kStringList,
                .default_value = "",
                .help = "GGUF encoder models (bert family) served as embedders, as name=path/to/model.gguf items."},
      ConfigKey{.path = "retrieval.sync_writes",
                .type = ConfigType::kBool,
                .default_value = "false",
                .help = "fsync the RocksDB WAL on every retrieval write (survives power loss); false = WAL "
                        "without fsync (survives kill -9)."},
      ConfigKey{
          .path = "memory.sync_writes",
          .type = ConfigType::kBool,
          .default_value = "false",
          .help = "Memory WAL: false = no fsync per write (survives kill -9), true = fsync (survives power loss)."},
      IntKey("memory.default_ttl_seconds", 0, 0, int64_t{100} * 365 * 86'400,
             "Retention of conversation memory in seconds; 0 keeps it forever."),
      ConfigKey{.path = "memory.tenant_ttl_seconds",
                .type = ConfigType::kStringList,
                .default_value = "",
                .help = "Per-tenant retention overrides as tenant=seconds items (0 = forever)."},
      ConfigKey{.path = "tools.files",
                .type = ConfigType::kStringList,
                .default_value = "",
                .help = "YAML tool files (HTTP tools) loaded at start for tool and agent nodes."},
      ConfigKey{.path = "inference.models",
                .type = ConfigType::kStringList,
                .default_value = "",
                .help = "GGUF models InferenceService serves, as name=path/to/model.gguf items."},
      ConfigKey{.path = "inference.autoload",
                .type = ConfigType::kBool,
                .default_value = "true",
                .help = "Load every configured model at start (false: LoadModel loads them on request)."},
      StringKey("inference.backend", "auto", "Compute backend of the models.", {"auto", "cpu", "cuda"}),
      IntKey("inference.threads", 0, 0, 1024, "CPU threads per model; 0 = one per CPU core."),
      IntKey("inference.kv_cache_mb", 512, 16, int64_t{1} << 20, "KV cache memory per model in MiB."),
      StringKey("inference.kv_cache_type", "f16",
                "Element type of cached keys and values: f16, or q8_0 (about half the bytes per position, so "
                "inference.kv_cache_mb holds about 1.9x the positions; needs a head dimension that is a "
                "multiple of 32).",
                {"f16", "q8_0"}),
      IntKey("inference.max_step_tokens", 512, 1, 65536, "Most tokens one engine step computes."),
      IntKey("inference.max_running", 64, 1, 4096, "Most sequences a model decodes at once."),
      IntKey("inference.max_waiting", 256, 0, 1 << 20,
             "Most queued requests per model; more are refused with RESOURCE_EXHAUSTED."),
      StringKey("pipelines.dir", "",
                "Directory of pipeline files (*.yaml, *.yml, *.json) loaded into tenant 'default' at start and "
                "reloaded when they change; empty = none."),
      StringKey("pipelines.reload_interval", "2s", "How often pipelines.dir is checked for changed files."),
      IntKey("pipelines.max_concurrent_runs", 64, 1, 100000, "Pipeline runs executing at once."),
      IntKey("pipelines.max_queued_runs", 256, 0, 1 << 20,
             "Runs waiting for a slot; more are refused with RESOURCE_EXHAUSTED."),
      ConfigKey{.path = "pipelines.test_models",
                .type = ConfigType::kBool,
                .default_value = "false",
                .help = "Serve the deterministic test chat models (test, test-echo, test-json) to llm nodes "
                        "and the test tools (test_echo, test_transfer) to tool and agent nodes."},
      ConfigKey{.path = "pipelines.extractive_model",
                .type = ConfigType::kBool,
                .default_value = "true",
                .help = "Serve the extractive answer model 'extractive' to llm nodes: it cites the best-matching "
                        "sentences of the numbered passages in the prompt (no download; not generative)."},
      ConfigKey{.path = "pipelines.default_model",
                .type = ConfigType::kString,
                .default_value = "extractive",
                .help = "The model 'model: default' in pipeline files stands for, unless a model named 'default' "
                        "is served (inference.models or models.remote); empty = no alias."},
      IntKey("pipelines.max_traces_per_tenant", 10000, 1, int64_t{100000000},
             "Run traces kept per tenant (GetRun); older ones are deleted."),
      ConfigKey{.path = "pipelines.checkpoint_durability",
                .type = ConfigType::kString,
                .default_value = "async",
                .help = "async (LangGraph's default): run checkpoint records are written in order behind the run "
                        "(a killed process can lose the last queued steps; approval pauses stay synced); sync: "
                        "each record is written before the step goes on.",
                .allowed_values = {"sync", "async"}},
  };
  for (const ConfigKey& key : keys) CATENA_RETURN_IF_ERROR(schema.Add(key));
  for (const ConfigKey& key : RemoteConfigKeys()) CATENA_RETURN_IF_ERROR(schema.Add(key));
  for (const ConfigKey& key : SecurityKeys()) CATENA_RETURN_IF_ERROR(schema.Add(key));
  return RegisterRemoteConfig(schema);
}

absl::StatusOr<ServerOptions> ServerOptionsFromConfig(const Config& config) {
  ServerOptions options;
  options.host = config.GetString("server.host");
  options.grpc_port = static_cast<int>(config.GetInt("server.grpc_port"));
  options.http_port = static_cast<int>(config.GetInt("server.http_port"));
  options.http_max_body_bytes = config.GetInt("server.http_max_body_bytes");
  options.max_message_bytes = config.GetInt("server.max_message_bytes");
  options.keepalive_time_ms = config.GetInt("server.keepalive_time_ms");
  options.keepalive_timeout_ms = config.GetInt("server.keepalive_timeout_ms");
  options.drain_timeout_ms = config.GetInt("server.drain_timeout_ms");
  options.worker_threads = static_cast<int>(config.GetInt("server.worker_threads"));
  options.data_dir = config.GetString("data_dir");
  options.log.level = config.GetString("log.level");
  CATENA_ASSIGN_OR_RETURN(options.log.format, ParseLogFormat(config.GetString("log.format")));
  options.embedding_hashing_dimension = static_cast<int>(config.GetInt("embedding.hashing_dimension"));
  options.asset_dir = config.GetString("embedding.asset_dir");
  options.gguf_embedders = config.GetStringList("embedding.gguf_models");
  options.retrieval_sync_writes = config.GetBool("retrieval.sync_writes");
  if (options.host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(config.Origin("server.host"), ": 'server.host' is empty"));
  }
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(config.Origin("data_dir"), ": 'data_dir' is empty"));
  }
  auto services = ExpandServiceNames(config.GetStringList("server.services"));
  if (!services.ok()) return Annotate(services.status(), config.Origin("server.services"));
  options.services = *std::move(services);
  CATENA_ASSIGN_OR_RETURN(options.memory, MemorySettingsFromConfig(config));
  CATENA_ASSIGN_OR_RETURN(options.inference_models, ModelsFromConfig(config));
  options.inference_autoload = config.GetBool("inference.autoload");
  CATENA_ASSIGN_OR_RETURN(options.pipelines, PipelineSettingsFromConfig(config));
  options.tool_files = config.GetStringList("tools.files");
  CATENA_ASSIGN_OR_RETURN(options.remote_chat_models, RemoteChatModelsFromConfig(config));
  CATENA_ASSIGN_OR_RETURN(options.remote_embedders, RemoteEmbeddersFromConfig(config));
  CATENA_ASSIGN_OR_RETURN(options.auth, AuthOptionsFromConfig(config, options.data_dir));
  CATENA_ASSIGN_OR_RETURN(options.tls, TlsOptionsFromConfig(config));
  CATENA_ASSIGN_OR_RETURN(options.remote, RemoteServicesFromConfig(config));
  for (const std::string& name : options.services) options.remote.Drop(name);
  return options;
}

}  // namespace catena::server
