// Internal to the engine: a request's sequence and the engine's state, shared by engine.cc (public API, events)
// and engine_loop.cc (the step loop). `running` and the block manager belong to the loop thread; the rest is
// guarded by `mutex`.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.h"
#include "inference/engine.h"
#include "inference/kv_block_manager.h"

namespace catena::inference {

// One request from Submit to its last event.
struct EngineSequence {
  int64_t id = 0;
  EngineRequest request;
  EngineCallback callback;
  std::vector<int32_t> tokens;  // prompt, then generated tokens
  int64_t prompt_tokens = 0;
  int64_t computed = 0;         // positions whose KV is in the cache
  int64_t cached_prompt_tokens = 0;
  int64_t generated = 0;
  bool admitted_before = false;
  bool done = false;  // finished; removed from `running` after the step
  absl::Time submitted = absl::Now();
  absl::Time last_token;
  std::optional<Sampler> sampler;
  std::optional<GrammarMatcher> grammar;
  std::optional<TriggeredMatcher> triggered;
};

// The engine's exported metrics (children of the registry's families, labelled by model); all null without
// a registry.
struct EngineMetrics {
  Gauge* running = nullptr;
  Gauge* waiting = nullptr;
  Gauge* kv_blocks_used = nullptr;
  Gauge* kv_blocks_total = nullptr;
  Counter* prefix_lookups = nullptr;
  Counter* prefix_hits = nullptr;
  Gauge* prefix_hit_rate = nullptr;  // hits / lookups since the engine started
  Histogram* time_to_first_token = nullptr;
  Histogram* time_per_output_token = nullptr;
};
absl::StatusOr<EngineMetrics> RegisterEngineMetrics(MetricsRegistry& registry, const std::string& model);

struct Engine::State {
  std::shared_ptr<const Model> model;
  EngineOptions options;
  std::unique_ptr<KvStorage> kv;
  KvBlockManager blocks;

  mutable std::mutex mutex;  // guards waiting, cancelled ids, stats, stop
  std::condition_variable wake;
  std::deque<std::unique_ptr<EngineSequence>> waiting;
  std::vector<int64_t> cancel_requests;
  EngineStats stats;
  EngineMetrics metrics;
  bool stop = false;
  int64_t next_id = 1;

  std::vector<std::unique_ptr<EngineSequence>> running;  // owned by the loop thread
  std::thread loop;

  State(std::shared_ptr<const Model> m, const EngineOptions& o, std::unique_ptr<KvStorage> storage, int64_t n)
      : model(std::move(m)), options(o), kv(std::move(storage)), blocks(n, o.block_size) {}

  // engine_loop.cc
  void Loop();
  void ApplyCancellationsAndDeadlines();
  void RunStep();
  bool ReserveDecode(size_t i);
  void AdmitWaiting(int64_t& budget, std::vector<std::pair<EngineSequence*, int64_t>>& batch);
  void PreemptAt(size_t index);
  void UpdateStats();
  // engine.cc
  void Finish(EngineSequence& seq, std::string reason, absl::Status status = absl::OkStatus());
  void Emit(EngineSequence& seq, const Sampled& sample);
  Sampled Draw(EngineSequence& seq, std::span<const float> logits);
  std::vector<float> masked_logits;  // loop thread scratch
};

}  // namespace catena::inference
