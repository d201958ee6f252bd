// The plain generation API of the runtime: one sequence, greedy or seeded temperature sampling, streamed as
// valid UTF-8 pieces. The inference engine (batching, paged KV cache, full sampling) supersedes it for serving;
// the CLI's `catena generate` and the benchmarks use it. Thread-compatible: one call per session at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/model.h"

namespace catena::inference {

struct GenerateOptions {
  int max_tokens = 64;
  // 0 = greedy (argmax); otherwise softmax(logits / temperature) drawn by a Sampler seeded with `seed` (the
  // engine's sampler, so the same request gives the same tokens there).
  float temperature = 0.0f;
  uint64_t seed = 0;
  // Stop at the model's end-of-generation tokens (EOS, <|eot_id|>, ...).
  bool stop_at_end_of_generation = true;
};

struct GenerateResult {
  std::vector<int32_t> tokens;  // generated ids, without the prompt
  std::string text;             // their detokenized text
  std::string finish_reason;    // "length" or "stop"
  int64_t prompt_tokens = 0;
  double prefill_seconds = 0;
  double decode_seconds = 0;
};

// Continues `prompt` (token ids, BOS included when wanted). `on_text` receives each complete UTF-8 piece as it
// is produced. INVALID_ARGUMENT for an empty prompt or one longer than the context.
absl::StatusOr<GenerateResult> Generate(const Model& model, std::span<const int32_t> prompt,
                                        const GenerateOptions& options,
                                        const std::function<void(std::string_view)>& on_text = {});

// The index of the largest logit (the lowest index among ties).
int32_t ArgMax(std::span<const float> logits);

}  // namespace catena::inference
