#include "inference/engine.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/generate.h"
#include "inference/engine_state.h"

namespace catena::inference {
namespace {

int64_t BlocksFor(const EngineOptions& options, const TransformerSpec& spec) {
  if (options.kv_blocks > 0) return options.kv_blocks;
  const KvLayout layout{.layers = spec.layer_count, .kv_dim = spec.head_count_kv * spec.head_dim,
                        .block_size = options.block_size, .num_blocks = 1, .type = options.kv_type};
  return options.kv_memory_bytes / layout.BlockBytes();
}

}  // namespace

absl::StatusOr<EngineMetrics> RegisterEngineMetrics(MetricsRegistry& registry, const std::string& model) {
  EngineMetrics m;
  const std::vector<std::string> label = {"model"}, value = {model};
  auto gauge = [&](const char* name, const char* help) -> absl::StatusOr<Gauge*> {
    CATENA_ASSIGN_OR_RETURN(GaugeFamily * family, registry.AddGauge(name, help, label));
    return &family->WithLabels(value);
  };
  auto counter = [&](const char* name, const char* help) -> absl::StatusOr<Counter*> {
    CATENA_ASSIGN_OR_RETURN(CounterFamily * family, registry.AddCounter(name, help, label));
    return &family->WithLabels(value);
  };
  auto histogram = [&](const char* name, const char* help, std::vector<double> buckets) -> absl::StatusOr<Histogram*> {
    CATENA_ASSIGN_OR_RETURN(HistogramFamily * family, registry.AddHistogram(name, help, label, std::move(buckets)));
    return &family->WithLabels(value);
  };
  CATENA_ASSIGN_OR_RETURN(m.running, gauge("catena_inference_requests_running", "Sequences being decoded."));
  CATENA_ASSIGN_OR_RETURN(m.waiting, gauge("catena_inference_requests_waiting", "Requests queued for admission."));
  CATENA_ASSIGN_OR_RETURN(m.kv_blocks_used, gauge("catena_inference_kv_blocks_used", "KV blocks held by sequences."));
  CATENA_ASSIGN_OR_RETURN(m.kv_blocks_total, gauge("catena_inference_kv_blocks_total", "KV blocks of the cache."));
  CATENA_ASSIGN_OR_RETURN(m.prefix_lookups,
                          counter("catena_inference_prefix_cache_lookups_total",
                                  "Full prompt blocks that admitted requests looked up in the prefix cache."));
  CATENA_ASSIGN_OR_RETURN(m.prefix_hits, counter("catena_inference_prefix_cache_hits_total",
                                                 "Full prompt blocks found in the prefix cache."));
  CATENA_ASSIGN_OR_RETURN(m.prefix_hit_rate, gauge("catena_inference_prefix_cache_hit_rate",
                                                   "Share of looked-up prompt blocks found in the prefix cache."));
  CATENA_ASSIGN_OR_RETURN(m.time_to_first_token,
                          histogram("catena_inference_time_to_first_token_seconds",
                                    "From Submit to the first generated token.",
                                    {.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}));
  CATENA_ASSIGN_OR_RETURN(m.time_per_output_token,
                          histogram("catena_inference_time_per_output_token_seconds",
                                    "Between consecutive generated tokens of a request.",
                                    {.005, .01, .02, .04, .08, .16, .32, .64, 1.28}));
  return m;
}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(std::shared_ptr<const Model> model,
                                                       const EngineOptions& options, MetricsRegistry* metrics,
                                                       const std::string& metrics_label) {
  const TransformerSpec& spec = model->spec();
  if (spec.kind != TransformerKind::kDecoder) {
    return absl::FailedPreconditionError(absl::StrCat(model->path(), " is an encoder; the engine serves decoders"));
  }
  if (options.block_size <= 0 || options.max_step_tokens <= 0 || options.max_running <= 0 ||
      options.max_waiting < 0) {
    return absl::InvalidArgumentError("engine options: block_size, max_step_tokens and max_running must be > 0");
  }
  const int64_t blocks = BlocksFor(options, spec);
  if (blocks * options.block_size < 2 * options.block_size) {
    return absl::InvalidArgumentError(absl::StrCat("engine options give ", blocks, " KV blocks; at least 2 needed"));
  }
  const KvLayout layout{.layers = spec.layer_count, .kv_dim = spec.head_count_kv * spec.head_dim,
                        .block_size = options.block_size, .num_blocks = blocks, .type = options.kv_type};
  CATENA_ASSIGN_OR_RETURN(std::unique_ptr<KvStorage> kv, model->backend_model().NewKvStorage(layout));
  auto state = std::make_unique<State>(std::move(model), options, std::move(kv), blocks);
  state->stats.kv_blocks_total = blocks;
  state->stats.kv_block_bytes = layout.BlockBytes();
  if (metrics != nullptr) {
    CATENA_ASSIGN_OR_RETURN(state->metrics, RegisterEngineMetrics(*metrics, metrics_label));
    state->metrics.kv_blocks_total->Set(static_cast<double>(blocks));
  }
  State* raw = state.get();
  state->loop = std::thread([raw] { raw->Loop(); });
  return std::unique_ptr<Engine>(new Engine(std::move(state)));
}

Engine::Engine(std::unique_ptr<State> state) : state_(std::move(state)) {}

Engine::~Engine() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stop = true;
  }
  state_->wake.notify_all();
  state_->loop.join();
}

const Model& Engine::model() const { return *state_->model; }

EngineStats Engine::stats() const {
  std::lock_guard lock(state_->mutex);
  return state_->stats;
}

absl::StatusOr<int64_t> Engine::Submit(EngineRequest request, EngineCallback callback) {
  const TransformerSpec& spec = state_->model->spec();
  const int64_t prompt = static_cast<int64_t>(request.prompt.size());
  if (prompt == 0) return absl::InvalidArgumentError("the prompt has no tokens");
  // Before max_tokens: a caller that fills max_tokens with the room left in the context passes 0 for such a prompt.
  if (prompt >= spec.context_length) {
    return absl::InvalidArgumentError(absl::StrCat("the prompt has ", prompt, " tokens; the model's context is ",
                                                   spec.context_length, " (room is needed for 1 generated token)"));
  }
  if (request.max_tokens < 1) return absl::InvalidArgumentError("max_tokens must be at least 1");
  const int64_t total = prompt + request.max_tokens;
  const int64_t capacity = state_->blocks.num_blocks() * state_->blocks.block_size();
  if (std::min(total, spec.context_length) > capacity) {
    return absl::InvalidArgumentError(absl::StrCat("the request needs ", std::min(total, spec.context_length),
                                                   " KV positions; the engine's cache holds ", capacity));
  }
  for (int32_t token : request.prompt) {
    if (token < 0 || token >= spec.vocab_size) {
      return absl::InvalidArgumentError(absl::StrCat("prompt token id ", token, " is outside the vocabulary"));
    }
  }
  auto seq = std::make_unique<EngineSequence>();
  CATENA_ASSIGN_OR_RETURN(Sampler sampler, Sampler::Create(request.sampling, static_cast<int32_t>(spec.vocab_size)));
  sampler.SetPrompt(request.prompt);
  seq->sampler = std::move(sampler);
  if (request.grammar != nullptr) {
    if (request.grammar->vocab_size() != spec.vocab_size) {
      return absl::InvalidArgumentError("the grammar was compiled for another vocabulary");
    }
    seq->grammar.emplace(request.grammar);
  }
  if (request.triggered_grammar != nullptr) {
    if (request.grammar != nullptr) return absl::InvalidArgumentError("a request takes a grammar or a triggered one");
    if (request.triggered_grammar->vocab_size() != spec.vocab_size) {
      return absl::InvalidArgumentError("the triggered grammar was compiled for another vocabulary");
    }
    seq->triggered.emplace(request.triggered_grammar);
  }
  seq->tokens = request.prompt;
  seq->prompt_tokens = prompt;
  seq->request = std::move(request);
  seq->callback = std::move(callback);
  std::lock_guard lock(state_->mutex);
  if (static_cast<int>(state_->waiting.size()) >= state_->options.max_waiting) {
    return absl::ResourceExhaustedError(absl::StrCat("the inference queue is full (", state_->options.max_waiting,
                                                     " waiting requests); retry later"));
  }
  seq->id = state_->next_id++;
  const int64_t id = seq->id;
  state_->waiting.push_back(std::move(seq));
  state_->stats.waiting = static_cast<int64_t>(state_->waiting.size());
  state_->wake.notify_all();
  return id;
}

void Engine::Cancel(int64_t request_id) {
  std::lock_guard lock(state_->mutex);
  state_->cancel_requests.push_back(request_id);
  state_->wake.notify_all();
}

void Engine::State::Finish(EngineSequence& seq, std::string reason, absl::Status status) {
  blocks.Free(seq.id);
  seq.done = true;
  EngineEvent event{.request_id = seq.id, .finished = true, .finish_reason = std::move(reason),
                    .status = std::move(status), .prompt_tokens = seq.prompt_tokens,
                    .cached_prompt_tokens = seq.cached_prompt_tokens, .completion_tokens = seq.generated};
  seq.callback(event);
}

Sampled Engine::State::Draw(EngineSequence& seq, std::span<const float> logits) {
  // Free text of a triggered grammar usually allows every token: sample without copying the logits.
  const bool triggered = seq.triggered.has_value() && !seq.triggered->AllowsEverything();
  if (!seq.grammar.has_value() && !triggered) return seq.sampler->Sample(logits);
  masked_logits.assign(logits.begin(), logits.end());
  if (triggered) {
    seq.triggered->ApplyMask(masked_logits);
  } else {
    seq.grammar->ApplyMask(masked_logits);
  }
  return seq.sampler->Sample(masked_logits);
}

void Engine::State::Emit(EngineSequence& seq, const Sampled& sample) {
  const int32_t token = sample.token;
  const EngineRequest& r = seq.request;
  const bool end_token = model->tokenizer().IsEndOfGeneration(token);
  const bool stop_token = ((r.stop_at_end_of_generation || seq.grammar.has_value()) && end_token) ||
                          std::find(r.stop_tokens.begin(), r.stop_tokens.end(), token) != r.stop_tokens.end();
  if (stop_token) {
    Finish(seq, "stop");
    return;
  }
  if ((seq.grammar.has_value() && !seq.grammar->Accept(token).ok()) ||
      (seq.triggered.has_value() && !seq.triggered->Accept(token).ok())) {
    Finish(seq, "error", absl::InternalError("the sampled token is not allowed by the grammar"));
    return;
  }
  seq.sampler->Accept(token);
  seq.tokens.push_back(token);
  ++seq.generated;
  const absl::Time now = absl::Now();
  if (metrics.time_to_first_token != nullptr) {
    Histogram* histogram = seq.generated == 1 ? metrics.time_to_first_token : metrics.time_per_output_token;
    histogram->Observe(absl::ToDoubleSeconds(now - (seq.generated == 1 ? seq.submitted : seq.last_token)));
  }
  seq.last_token = now;
  EngineEvent event{.request_id = seq.id, .tokens = {token}, .samples = {sample},
                    .prompt_tokens = seq.prompt_tokens, .cached_prompt_tokens = seq.cached_prompt_tokens,
                    .completion_tokens = seq.generated};
  const bool length = seq.generated >= r.max_tokens ||
                      static_cast<int64_t>(seq.tokens.size()) >= model->spec().context_length;
  if (!length) {
    seq.callback(event);
    return;
  }
  event.finished = true;
  event.finish_reason = "length";
  blocks.Free(seq.id);
  seq.done = true;
  seq.callback(event);
}

}  // namespace catena::inference
