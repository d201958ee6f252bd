// The token sampler of the inference engine: SamplingParams (what a request asks for), Validate, and Sampler,
// which turns one sequence's logits into the next token plus its log-probability and top alternatives.
// One Sampler per sequence: it owns that sequence's RNG and token history, so a seed gives the same tokens
// whatever else is batched with it. Thread-compatible: distinct Samplers may run on distinct threads.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace catena::inference {

inline constexpr int kMaxTopLogprobs = 20;

struct SamplingParams {
  // Softmax temperature of the final draw; 0 = greedy (argmax, lowest id on ties). Allowed: [0, 100].
  float temperature = 1.0f;
  // Keep only the k most likely tokens; 0 = off. Allowed: >= 0 (values >= vocab size are off).
  int top_k = 0;
  // Keep the smallest most-likely prefix whose probability reaches top_p; 1 = off. Allowed: (0, 1].
  float top_p = 1.0f;
  // Drop tokens with p < min_p * p_max; 0 = off. Allowed: [0, 1].
  float min_p = 0.0f;
  // llama.cpp/HF: over tokens seen in the last penalty_last_n tokens of prompt + output, positive logits are
  // divided by it and negative ones multiplied; 1 = off. Allowed: (0, 10].
  float repetition_penalty = 1.0f;
  // OpenAI: logit -= count * frequency_penalty + (count > 0) * presence_penalty, count = how often the token
  // was generated so far (Accept, all of the output, not windowed). Allowed: [-2, 2] each.
  float frequency_penalty = 0.0f;
  float presence_penalty = 0.0f;
  // The repetition-penalty window over prompt + output; 0 = off, -1 = everything. Allowed: >= -1.
  int penalty_last_n = 64;
  // OpenAI: (token, bias) added to the logit; bias <= -100 bans the token outright (logit -inf). Entries for
  // the same token add up. Allowed: token in [0, vocab_size), bias in [-100, 100].
  std::vector<std::pair<int32_t, float>> logit_bias;
  uint64_t seed = 0;
  // How many most likely alternatives to report with each token. Allowed: [0, 20].
  int top_logprobs = 0;
};

// OK, or INVALID_ARGUMENT naming the first bad field and its allowed range (e.g. "top_p must be in (0, 1]").
absl::Status Validate(const SamplingParams& params, int32_t vocab_size);

struct TokenLogprob {
  int32_t token = -1;
  float logprob = 0.0f;
};

// One sampled token. `logprob` and `top` are log-softmax values of the model's distribution after logit bias
// and penalties, at temperature 1 and before any truncation (top-k/top-p/min-p): the model's own view of
// the token, as OpenAI reports it, not the probability the draw used. Banned tokens have -inf.
struct Sampled {
  int32_t token = -1;
  float logprob = 0.0f;
  // The `top_logprobs` most likely tokens by that same distribution, most likely first (lower id on ties).
  std::array<TokenLogprob, kMaxTopLogprobs> top_storage{};
  int top_count = 0;

  // The reported alternatives (the first top_count entries of top_storage).
  std::span<const TokenLogprob> top() const { return {top_storage.data(), static_cast<size_t>(top_count)}; }
};

class Sampler {
 public:
  // Validates `params` against the vocabulary size (see Validate).
  static absl::StatusOr<Sampler> Create(const SamplingParams& params, int32_t vocab_size);

  // Picks the next token from `logits` (vocab_size values; NaN counts as -inf). Order, as llama.cpp
  // documents it: logit bias, penalties, then argmax when temperature == 0, else top-k, top-p (over the
  // top-k renormalized set), min-p, temperature, softmax and one draw from the RNG. Does not record the
  // token: call Accept. If every token is banned or non-finite, returns the raw argmax with logprob -inf.
  Sampled Sample(std::span<const float> logits);

  // Records a generated token for the penalties (the engine calls it for each token it keeps).
  void Accept(int32_t token);
  // Replaces the history with `prompt` (repetition-penalty window only) and clears the generated counts.
  void SetPrompt(std::span<const int32_t> prompt);

  const SamplingParams& params() const { return params_; }

 private:
  struct Candidate {
    float logit;
    int32_t token;
  };

  Sampler(const SamplingParams& params, int32_t vocab_size);

  void PrepareLogits(std::span<const float> logits);
  void PushWindow(int32_t token);
  size_t TopCandidates(size_t k);
  // Top-p over the sorted cand_[0, length), renormalized over that set: the kept prefix length.
  size_t TopPCut(size_t length);
  size_t MinPLength(size_t length) const;
  void SelectSortedPrefix(std::span<const int32_t> pool, size_t k);
  void FillTopAlternatives(Sampled& out);
  int32_t DrawTruncated();
  int32_t DrawTopP();
  int32_t DrawFromCandidates(size_t length);
  int32_t DrawFromAll();
  size_t DrawIndex(std::span<const float> weights);
  double UniformDouble();

  SamplingParams params_;
  int32_t vocab_size_;
  std::mt19937_64 rng_;
  // Token history: the repetition window (a ring over prompt + output) and counts of generated tokens.
  std::vector<int32_t> window_;
  size_t window_next_ = 0;
  absl::flat_hash_map<int32_t, int32_t> window_counts_;
  absl::flat_hash_map<int32_t, int32_t> generated_counts_;
  // Per-call buffers, reused across calls.
  std::vector<float> work_;        // adjusted logits
  std::vector<float> exp_;         // exp of work_ (shifted, scaled)
  std::vector<int32_t> pool_;      // candidate ids before selection
  std::vector<Candidate> cand_;    // candidates of the draw
  size_t sorted_prefix_ = 0;       // cand_[0, sorted_prefix_) is the vocabulary's most likely prefix
  std::vector<float> scratch_;     // weights of a draw over candidates
  std::vector<Candidate> tail_;    // top-p's boundary bucket
  std::vector<double> bucket_mass_;
  std::vector<uint16_t> bucket_of_;
  double sum_exp_ = 0;             // sum of exp(work_ - max_logit_)
  double log_norm_ = 0;            // logsumexp of work_
  float max_logit_ = 0;
};

}  // namespace catena::inference
