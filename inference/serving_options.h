// How models are loaded and served: ModelOptions (backend, threads), EngineOptions (KV cache, batching,
// queue limits) and ModelConfig (a named model file with both). Plain data, kept free of heavy includes
// because server configuration includes it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/kv_cache.h"

namespace catena::inference {

struct ModelOptions {
  // "auto", "cpu" or "cuda".
  std::string backend = "auto";
  // CPU worker threads; 0 = every hardware thread.
  int threads = 0;
};

struct EngineOptions {
  int64_t block_size = 16;
  // KV blocks; 0 = as many as kv_memory_bytes holds.
  int64_t kv_blocks = 0;
  int64_t kv_memory_bytes = int64_t{512} << 20;
  KvType kv_type = KvType::kF16;
  // Most tokens computed in one step (decode tokens plus prompt chunks).
  int64_t max_step_tokens = 512;
  // Most sequences running at once, and most requests waiting; beyond that Submit is RESOURCE_EXHAUSTED.
  int max_running = 64;
  int max_waiting = 256;
};

struct ModelConfig {
  std::string name;
  std::string path;
  ModelOptions options;
  EngineOptions engine;
};

// Parses "name=path" items (the inference.models config key); "name=path,backend=cuda" (or cpu, auto)
// overrides options.backend for that model.
absl::StatusOr<std::vector<ModelConfig>> ParseModelList(const std::vector<std::string>& items,
                                                        const ModelOptions& options, const EngineOptions& engine);

}  // namespace catena::inference
