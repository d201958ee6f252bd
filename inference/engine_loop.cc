// The engine's step loop: cancellation and deadlines, then one batched step (decode tokens first, then prompt
// chunks of running and newly admitted sequences within the token budget), sampling and events.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "inference/engine_state.h"
#include "inference/generate.h"

namespace catena::inference {

void Engine::State::Loop() {
  while (true) {
    {
      std::unique_lock lock(mutex);
      wake.wait(lock, [&] { return stop || !waiting.empty() || !running.empty() || !cancel_requests.empty(); });
      if (stop) break;
    }
    ApplyCancellationsAndDeadlines();
    RunStep();
    UpdateStats();
  }
  std::deque<std::unique_ptr<EngineSequence>> left;
  {
    std::lock_guard lock(mutex);
    left.swap(waiting);
  }
  for (auto& seq : running) Finish(*seq, "cancelled", absl::CancelledError("the engine is shutting down"));
  for (auto& seq : left) Finish(*seq, "cancelled", absl::CancelledError("the engine is shutting down"));
  running.clear();
}

void Engine::State::ApplyCancellationsAndDeadlines() {
  std::vector<int64_t> cancels;
  std::vector<std::unique_ptr<EngineSequence>> dropped;
  const absl::Time now = absl::Now();
  {
    std::lock_guard lock(mutex);
    cancels.swap(cancel_requests);
    for (auto it = waiting.begin(); it != waiting.end();) {
      const bool cancelled = std::find(cancels.begin(), cancels.end(), (*it)->id) != cancels.end();
      if (cancelled || (*it)->request.deadline < now) {
        dropped.push_back(std::move(*it));
        it = waiting.erase(it);
      } else {
        ++it;
      }
    }
  }
  auto finish = [&](EngineSequence& seq) {
    if (std::find(cancels.begin(), cancels.end(), seq.id) != cancels.end()) {
      Finish(seq, "cancelled", absl::CancelledError("the request was cancelled"));
    } else if (seq.request.deadline < now) {
      Finish(seq, "deadline", absl::DeadlineExceededError("the request's deadline passed"));
    }
  };
  for (auto& seq : dropped) finish(*seq);
  for (auto& seq : running) finish(*seq);
  std::erase_if(running, [](const auto& seq) { return seq->done; });
}

// Frees running[index] and queues it again at the front: it is recomputed later, mostly from the prefix cache.
void Engine::State::PreemptAt(size_t index) {
  std::unique_ptr<EngineSequence> seq = std::move(running[index]);
  running.erase(running.begin() + static_cast<std::ptrdiff_t>(index));
  blocks.Free(seq->id);
  seq->computed = 0;
  std::lock_guard lock(mutex);
  ++stats.preemptions;
  waiting.push_front(std::move(seq));
}

// Makes room for running[i]'s next token by preempting the newest sequences after it; when none is left,
// running[i] itself is preempted (false).
bool Engine::State::ReserveDecode(size_t i) {
  while (!blocks.Reserve(running[i]->id, running[i]->computed + 1)) {
    if (running.size() <= i + 1) {
      PreemptAt(i);
      return false;
    }
    PreemptAt(running.size() - 1);
  }
  return true;
}

void Engine::State::AdmitWaiting(int64_t& budget, std::vector<std::pair<EngineSequence*, int64_t>>& batch) {
  while (budget > 0 && static_cast<int>(running.size()) < options.max_running) {
    std::unique_ptr<EngineSequence> seq;
    {
      std::lock_guard lock(mutex);
      if (waiting.empty()) return;
      seq = std::move(waiting.front());
      waiting.pop_front();
    }
    seq->computed = blocks.StartSequence(seq->id, seq->tokens);
    if (!seq->admitted_before) seq->cached_prompt_tokens = seq->computed;
    const int64_t n = std::min<int64_t>(static_cast<int64_t>(seq->tokens.size()) - seq->computed, budget);
    if (!blocks.Reserve(seq->id, seq->computed + n)) {
      blocks.Free(seq->id);
      std::lock_guard lock(mutex);
      waiting.push_front(std::move(seq));
      return;
    }
    seq->admitted_before = true;
    budget -= n;
    batch.emplace_back(seq.get(), n);
    running.push_back(std::move(seq));
  }
}

void Engine::State::RunStep() {
  int64_t budget = options.max_step_tokens;
  std::vector<std::pair<EngineSequence*, int64_t>> batch;  // sequence, tokens this step
  // Decode first: one token for every sequence whose prompt is done.
  for (size_t i = 0; i < running.size() && budget > 0; ++i) {
    EngineSequence& seq = *running[i];
    if (static_cast<int64_t>(seq.tokens.size()) - seq.computed != 1) continue;
    if (!ReserveDecode(i)) break;  // running[i] was the newest left and has been preempted itself
    batch.emplace_back(&seq, 1);
    --budget;
  }
  // Then prompt chunks of running sequences, then new admissions.
  for (auto& seq : running) {
    const int64_t remaining = static_cast<int64_t>(seq->tokens.size()) - seq->computed;
    if (remaining <= 1 || budget <= 0) continue;
    const int64_t n = std::min(remaining, budget);
    if (!blocks.Reserve(seq->id, seq->computed + n)) continue;
    batch.emplace_back(seq.get(), n);
    budget -= n;
  }
  AdmitWaiting(budget, batch);
  if (batch.empty()) {
    // Every running sequence is stuck on blocks held by the others: free the newest so the rest progress.
    if (running.size() > 1) PreemptAt(running.size() - 1);
    return;
  }

  std::vector<SequenceStep> steps;
  for (auto& [seq, n] : batch) {
    const bool last = seq->computed + n == static_cast<int64_t>(seq->tokens.size());
    steps.push_back({std::span<const int32_t>(seq->tokens).subspan(seq->computed, n), seq->computed,
                     blocks.Table(seq->id), last ? LogitsWanted::kLast : LogitsWanted::kNone});
  }
  auto logits = model->backend_model().Step(steps, *kv);
  {
    std::lock_guard lock(mutex);
    ++stats.steps;
  }
  if (!logits.ok()) {
    for (auto& [seq, n] : batch) Finish(*seq, "error", logits.status());
    std::erase_if(running, [](const auto& seq) { return seq->done; });
    return;
  }
  const int64_t vocab = model->spec().vocab_size;
  int64_t row = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    EngineSequence& seq = *batch[i].first;
    seq.computed += batch[i].second;
    blocks.MarkComputed(seq.id, seq.tokens, seq.computed);
    if (steps[i].logits != LogitsWanted::kLast) continue;
    const std::span<const float> row_logits = logits->subspan(row++ * vocab, vocab);
    Emit(seq, Draw(seq, row_logits));
  }
  std::erase_if(running, [](const auto& seq) { return seq->done; });
}

void Engine::State::UpdateStats() {
  std::lock_guard lock(mutex);
  stats.running = static_cast<int64_t>(running.size());
  stats.waiting = static_cast<int64_t>(waiting.size());
  stats.kv_blocks_used = blocks.used_blocks();
  if (metrics.running != nullptr) {
    metrics.running->Set(static_cast<double>(stats.running));
    metrics.waiting->Set(static_cast<double>(stats.waiting));
    metrics.kv_blocks_used->Set(static_cast<double>(stats.kv_blocks_used));
    metrics.prefix_lookups->Increment(static_cast<double>(blocks.lookups() - stats.prefix_lookups));
    metrics.prefix_hits->Increment(static_cast<double>(blocks.hits() - stats.prefix_hits));
    if (blocks.lookups() > 0) {
      metrics.prefix_hit_rate->Set(static_cast<double>(blocks.hits()) / static_cast<double>(blocks.lookups()));
    }
  }
  stats.prefix_lookups = blocks.lookups();
  stats.prefix_hits = blocks.hits();
}

}  // namespace catena::inference
