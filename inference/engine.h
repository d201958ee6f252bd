// Engine: the serving loop many chat sessions share, as vLLM does on GPUs: continuous batching over a paged
// KV cache with automatic prefix caching. Each step runs the decode token of every running sequence first,
// then fills the per-step token budget with prompt chunks (chunked prefill) of admitted requests in arrival
// order; when KV blocks run out the newest sequence is preempted and later recomputed. Submit/Cancel are
// thread-safe; events are delivered on the engine's thread and must return quickly.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "inference/kv_cache.h"
#include "inference/json_schema_grammar.h"
#include "inference/model.h"
#include "inference/sampler.h"
#include "inference/triggered_grammar.h"
#include "inference/serving_options.h"

namespace catena {
class MetricsRegistry;
}

namespace catena::inference {

struct EngineRequest {
  std::vector<int32_t> prompt;
  int max_tokens = 256;
  // Sampling (temperature 0 = greedy). The request owns its sampler and its generator (seeded with
  // sampling.seed), so the output does not depend on what else is batched.
  SamplingParams sampling{.temperature = 0};
  // When set, only tokens that keep the output valid against the grammar can be drawn, and the request stops
  // ("stop") as soon as the JSON value is complete.
  std::shared_ptr<const CompiledGrammar> grammar;
  // When set (not with `grammar`), the output is free until it contains the grammar's trigger; from there up to
  // the end of the triggered part only tokens that keep it valid can be drawn (tool calls under "auto").
  std::shared_ptr<const TriggeredGrammar> triggered_grammar;
  bool stop_at_end_of_generation = true;
  std::vector<int32_t> stop_tokens;
  absl::Time deadline = absl::InfiniteFuture();
};

// What happened to a request since its last event.
struct EngineEvent {
  int64_t request_id = 0;
  std::vector<int32_t> tokens;  // newly generated tokens (usually one)
  std::vector<Sampled> samples; // their log-probabilities (and top alternatives when asked), parallel to tokens
  bool finished = false;
  std::string finish_reason;    // "stop", "length", "cancelled", "deadline", "error" when finished
  absl::Status status;          // not OK with "error"
  int64_t prompt_tokens = 0;
  int64_t cached_prompt_tokens = 0;  // prompt positions served by the prefix cache
  int64_t completion_tokens = 0;
};
using EngineCallback = std::function<void(const EngineEvent&)>;

struct EngineStats {
  int64_t running = 0;
  int64_t waiting = 0;
  int64_t kv_blocks_used = 0;
  int64_t kv_blocks_total = 0;
  int64_t kv_block_bytes = 0;  // keys and values of every layer for block_size positions (q8_0: ~0.53x f16)
  int64_t prefix_lookups = 0;
  int64_t prefix_hits = 0;
  int64_t preemptions = 0;
  int64_t steps = 0;
};

class Engine {
 public:
  // FAILED_PRECONDITION for encoder models; INVALID_ARGUMENT for options that cannot work. With `metrics`, the
  // engine exports running/waiting requests, KV blocks used, prefix-cache lookups, hits and hit rate, time to
  // first token and time per output token, labelled model=`metrics_label`.
  static absl::StatusOr<std::unique_ptr<Engine>> Create(std::shared_ptr<const Model> model,
                                                        const EngineOptions& options = {},
                                                        MetricsRegistry* metrics = nullptr,
                                                        const std::string& metrics_label = "");
  ~Engine();  // finishes unfinished requests as "cancelled"

  // Queues a request; its id is passed to every event. INVALID_ARGUMENT for an empty prompt or one that
  // cannot fit the context or the KV cache; RESOURCE_EXHAUSTED when the waiting queue is full.
  absl::StatusOr<int64_t> Submit(EngineRequest request, EngineCallback callback);
  // Finishes the request as "cancelled" at the next step (no-op when unknown or finished).
  void Cancel(int64_t request_id);
  EngineStats stats() const;
  const Model& model() const;

 private:
  struct State;
  explicit Engine(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace catena::inference
