#include "inference/sampler.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"

namespace catena::inference {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr size_t kMaxLogitBiasEntries = 65536;
// Below this k the top-k candidates come from one heap pass over the logits; above it from nth_element.
constexpr size_t kHeapSelectMax = 256;
// Top-p without top-k buckets tokens by (max logit - logit) over [0, kTopPRange); the last bucket also holds
// everything further down (exp(-24) ~ 4e-11 of the top token's probability).
constexpr int kTopPBuckets = 4096;
constexpr float kTopPRange = 24.0f;

absl::Status OutOfRange(absl::string_view field, absl::string_view range, double got) {
  return absl::InvalidArgumentError(absl::StrCat(field, " must be in ", range, ", got ", got));
}

bool InRange(double value, double lo, double hi) { return value >= lo && value <= hi; }  // false for NaN

// Strict "more likely" order: higher logit, then lower token id.
template <typename C>
bool Better(const C& a, const C& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.token < b.token);
}

// Fills `out` with the k best (logit, token) pairs of `logits`, most likely first, skipping -inf entries.
template <typename C>
void TopN(std::span<const float> logits, size_t k, std::vector<C>& out) {
  out.clear();
  if (k == 0) return;
  auto worse_first = [](const C& a, const C& b) { return Better(a, b); };  // heap front = worst kept
  for (size_t i = 0; i < logits.size(); ++i) {
    const C c{logits[i], static_cast<int32_t>(i)};
    if (c.logit == kNegInf) continue;
    if (out.size() < k) {
      out.push_back(c);
      std::push_heap(out.begin(), out.end(), worse_first);
    } else if (Better(c, out.front())) {
      std::pop_heap(out.begin(), out.end(), worse_first);
      out.back() = c;
      std::push_heap(out.begin(), out.end(), worse_first);
    }
  }
  std::sort(out.begin(), out.end(), worse_first);
}

// out[i] = exp((in[i] - shift) * scale) for in[i] <= shift, 0 below about -87: exp(r) by a degree-7 Taylor
// polynomial on r in [-ln2/2, ln2/2] times 2^k (relative error ~1e-7), written so the compiler vectorizes it.
// The clones run the same IEEE operations (sampler.cc is built with -ffp-contract=off), so they give the same
// bits: which clone a CPU picks does not change the tokens a seed draws.
__attribute__((target_clones("avx512f", "avx2", "default")))
void ExpScaled(std::span<const float> in, float shift, float scale, std::span<float> out) {
  constexpr float kLog2e = 1.44269504f, kLn2Hi = 0.693145752f, kLn2Lo = 1.42860677e-6f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  for (size_t i = 0; i < in.size(); ++i) {
    const float x0 = (in[i] - shift) * scale;
    const float x = x0 > -87.0f ? x0 : -87.0f;
    const float k = (x * kLog2e + kRound) - kRound;
    const float r = (x - k * kLn2Hi) - k * kLn2Lo;
    float p = 1.0f / 5040;
    p = p * r + 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const float two_k = std::bit_cast<float>((static_cast<int32_t>(k) + 127) << 23);
    const int32_t keep = -static_cast<int32_t>(x0 > -87.0f);  // all ones, or zero below the range
    out[i] = std::bit_cast<float>(std::bit_cast<int32_t>(p * two_k) & keep);
  }
}

// The sum of `values` accumulated in double (four independent lanes).
double SumInDouble(std::span<const float> values) {
  double lane[4] = {0, 0, 0, 0};
  size_t i = 0;
  for (; i + 4 <= values.size(); i += 4) {
    for (int j = 0; j < 4; ++j) lane[j] += values[i + j];
  }
  for (; i < values.size(); ++i) lane[0] += values[i];
  return (lane[0] + lane[1]) + (lane[2] + lane[3]);
}

float MaxOf(std::span<const float> values) {
  float lane[8];
  std::fill(lane, lane + 8, kNegInf);
  size_t i = 0;
  for (; i + 8 <= values.size(); i += 8) {
    for (int j = 0; j < 8; ++j) lane[j] = lane[j] > values[i + j] ? lane[j] : values[i + j];
  }
  for (; i < values.size(); ++i) lane[0] = std::max(lane[0], values[i]);
  return *std::max_element(lane, lane + 8);
}

// The index of the largest value, the lowest index on ties (NaN never wins).
int32_t ArgMaxOf(std::span<const float> values) {
  size_t best = 0;
  for (size_t i = 1; i < values.size(); ++i) {
    if (values[i] > values[best] || std::isnan(values[best])) best = i;
  }
  return static_cast<int32_t>(best);
}

absl::Status ValidateLogitBias(const SamplingParams& p, int32_t vocab_size) {
  if (p.logit_bias.size() > kMaxLogitBiasEntries) {
    return absl::InvalidArgumentError(absl::StrCat("logit_bias may have at most ", kMaxLogitBiasEntries,
                                                   " entries, got ", p.logit_bias.size()));
  }
  for (size_t i = 0; i < p.logit_bias.size(); ++i) {
    const auto& [token, bias] = p.logit_bias[i];
    if (token < 0 || token >= vocab_size) {
      return OutOfRange(absl::StrCat("logit_bias[", i, "].token"), absl::StrCat("[0, ", vocab_size, ")"),
                        token);
    }
    if (!InRange(bias, -100, 100)) return OutOfRange(absl::StrCat("logit_bias[", i, "].bias"), "[-100, 100]", bias);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Validate(const SamplingParams& p, int32_t vocab_size) {
  if (vocab_size <= 0) return OutOfRange("vocab_size", "[1, 2^31)", vocab_size);
  if (!InRange(p.temperature, 0, 100)) return OutOfRange("temperature", "[0, 100]", p.temperature);
  if (p.top_k < 0) return OutOfRange("top_k", "[0, inf) (0 = off)", p.top_k);
  if (!(p.top_p > 0 && p.top_p <= 1)) return OutOfRange("top_p", "(0, 1]", p.top_p);
  if (!InRange(p.min_p, 0, 1)) return OutOfRange("min_p", "[0, 1]", p.min_p);
  if (!(p.repetition_penalty > 0 && p.repetition_penalty <= 10)) {
    return OutOfRange("repetition_penalty", "(0, 10]", p.repetition_penalty);
  }
  if (!InRange(p.frequency_penalty, -2, 2)) return OutOfRange("frequency_penalty", "[-2, 2]", p.frequency_penalty);
  if (!InRange(p.presence_penalty, -2, 2)) return OutOfRange("presence_penalty", "[-2, 2]", p.presence_penalty);
  if (p.penalty_last_n < -1) return OutOfRange("penalty_last_n", "[-1, inf) (-1 = all, 0 = off)", p.penalty_last_n);
  if (!InRange(p.top_logprobs, 0, kMaxTopLogprobs)) return OutOfRange("top_logprobs", "[0, 20]", p.top_logprobs);
  return ValidateLogitBias(p, vocab_size);
}

absl::StatusOr<Sampler> Sampler::Create(const SamplingParams& params, int32_t vocab_size) {
  if (absl::Status s = Validate(params, vocab_size); !s.ok()) return s;
  return Sampler(params, vocab_size);
}

Sampler::Sampler(const SamplingParams& params, int32_t vocab_size)
    : params_(params), vocab_size_(vocab_size), rng_(params.seed) {
  work_.reserve(vocab_size);
}

void Sampler::PushWindow(int32_t token) {
  const int n = params_.penalty_last_n;
  if (n == 0 || params_.repetition_penalty == 1.0f) return;
  ++window_counts_[token];
  if (n < 0) return;  // unbounded window: counts only
  if (window_.size() < static_cast<size_t>(n)) {
    window_.push_back(token);
    return;
  }
  const int32_t oldest = window_[window_next_];
  auto it = window_counts_.find(oldest);
  if (--it->second == 0) window_counts_.erase(it);
  window_[window_next_] = token;
  window_next_ = (window_next_ + 1) % window_.size();
}

void Sampler::Accept(int32_t token) {
  PushWindow(token);
  if (params_.frequency_penalty != 0.0f || params_.presence_penalty != 0.0f) ++generated_counts_[token];
}

void Sampler::SetPrompt(std::span<const int32_t> prompt) {
  window_.clear();
  window_next_ = 0;
  window_counts_.clear();
  generated_counts_.clear();
  const int n = params_.penalty_last_n;
  if (n > 0 && prompt.size() > static_cast<size_t>(n)) prompt = prompt.subspan(prompt.size() - n);
  for (int32_t token : prompt) PushWindow(token);
}

void Sampler::PrepareLogits(std::span<const float> logits) {
  const size_t n = logits.size();
  work_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const float l = logits[i];
    work_[i] = std::isnan(l) ? kNegInf : std::min(l, std::numeric_limits<float>::max());
  }
  for (const auto& [token, bias] : params_.logit_bias) {
    if (token < 0 || static_cast<size_t>(token) >= n) continue;
    work_[token] = bias <= -100.0f ? kNegInf : work_[token] + bias;
  }
  const float rp = params_.repetition_penalty;
  for (const auto& [token, count] : window_counts_) {
    if (static_cast<size_t>(token) >= n) continue;
    float& l = work_[token];
    l = l > 0 ? l / rp : l * rp;
  }
  for (const auto& [token, count] : generated_counts_) {
    if (static_cast<size_t>(token) >= n) continue;
    work_[token] -= count * params_.frequency_penalty + params_.presence_penalty;
  }
  max_logit_ = MaxOf(work_);
  if (max_logit_ == kNegInf) return;
  exp_.resize(n);
  ExpScaled(work_, max_logit_, 1.0f, exp_);
  sum_exp_ = SumInDouble(exp_);
  log_norm_ = max_logit_ + std::log(sum_exp_);
}

double Sampler::UniformDouble() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

void Sampler::SelectSortedPrefix(std::span<const int32_t> pool, size_t k) {
  cand_.resize(pool.size());
  for (size_t i = 0; i < pool.size(); ++i) cand_[i] = {work_[pool[i]], pool[i]};
  k = std::min(k, cand_.size());
  auto better = [](const Candidate& a, const Candidate& b) { return Better(a, b); };
  if (k < cand_.size()) std::nth_element(cand_.begin(), cand_.begin() + k, cand_.end(), better);
  std::sort(cand_.begin(), cand_.begin() + k, better);
}

size_t Sampler::TopCandidates(size_t k) {
  if (k <= kHeapSelectMax) {
    TopN(work_, k, cand_);
    sorted_prefix_ = cand_.size();
    return sorted_prefix_;
  }
  pool_.resize(work_.size());
  for (size_t i = 0; i < pool_.size(); ++i) pool_[i] = static_cast<int32_t>(i);
  SelectSortedPrefix(pool_, k);
  sorted_prefix_ = std::min(k, cand_.size());
  return sorted_prefix_;
}

size_t Sampler::TopPCut(size_t length) {
  scratch_.resize(length);
  for (size_t i = 0; i < length; ++i) scratch_[i] = cand_[i].logit;
  ExpScaled(scratch_, max_logit_, 1.0f, scratch_);
  const double target = params_.top_p * SumInDouble(scratch_);
  double cumulative = 0;
  for (size_t i = 0; i < length; ++i) {
    cumulative += scratch_[i];
    if (cumulative >= target) return i + 1;
  }
  return length;
}

size_t Sampler::MinPLength(size_t length) const {
  const double threshold = static_cast<double>(cand_[0].logit) + std::log(static_cast<double>(params_.min_p));
  size_t kept = 1;
  while (kept < length && cand_[kept].logit >= threshold) ++kept;
  return kept;
}

int32_t Sampler::DrawFromCandidates(size_t length) {
  scratch_.resize(length);
  for (size_t i = 0; i < length; ++i) scratch_[i] = cand_[i].logit;
  ExpScaled(scratch_, max_logit_, 1.0f / params_.temperature, scratch_);
  return cand_[DrawIndex(scratch_)].token;
}

int32_t Sampler::DrawFromAll() {
  ExpScaled(work_, max_logit_, 1.0f / params_.temperature, exp_);
  return static_cast<int32_t>(DrawIndex(exp_));
}

size_t Sampler::DrawIndex(std::span<const float> weights) {
  const double u = UniformDouble() * SumInDouble(weights);
  double cumulative = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    cumulative += weights[i];
    if (cumulative > u) return i;
  }
  size_t last = weights.size() - 1;  // u rounded up to the total: the last index with weight
  while (last > 0 && weights[last] == 0.0f) --last;
  return last;
}

void Sampler::FillTopAlternatives(Sampled& out) {
  const size_t want = static_cast<size_t>(params_.top_logprobs);
  if (want == 0) return;
  if (sorted_prefix_ < want) {
    TopN(work_, want, cand_);  // the draw is done: reuse its buffer
    sorted_prefix_ = cand_.size();
  }
  for (size_t i = 0; i < want && i < sorted_prefix_ && cand_[i].logit != kNegInf; ++i) {
    out.top_storage[i] = {cand_[i].token, static_cast<float>(cand_[i].logit - log_norm_)};
    out.top_count = static_cast<int>(i + 1);
  }
}

int32_t Sampler::DrawTruncated() {
  const size_t n = work_.size();
  const bool k_on = params_.top_k > 0 && static_cast<size_t>(params_.top_k) < n;
  const bool p_on = params_.top_p < 1.0f;
  const bool m_on = params_.min_p > 0.0f;
  if (!k_on && !p_on && !m_on) return DrawFromAll();
  size_t length = 0;
  if (k_on) {
    length = TopCandidates(static_cast<size_t>(params_.top_k));
    if (p_on) length = TopPCut(length);
    return DrawFromCandidates(m_on ? MinPLength(length) : length);
  }
  // No top-k: the pool is every live token, or those passing min-p (an upper set of the sorted order).
  const double threshold = m_on ? max_logit_ + std::log(static_cast<double>(params_.min_p)) : -HUGE_VAL;
  pool_.clear();
  for (size_t i = 0; i < n; ++i) {
    if (work_[i] != kNegInf && work_[i] >= threshold) pool_.push_back(static_cast<int32_t>(i));
  }
  if (!p_on) {
    cand_.resize(pool_.size());
    for (size_t i = 0; i < pool_.size(); ++i) cand_[i] = {work_[pool_[i]], pool_[i]};
    return DrawFromCandidates(cand_.size());
  }
  return DrawTopP();
}

// Top-p without top-k over pool_ (an upper set of the sorted order), with no full sort: bucket the pool by
// distance below the max logit, find the bucket where the probability mass reaches top_p, keep every token of
// the buckets above it and sort only the boundary bucket for the exact cut.
int32_t Sampler::DrawTopP() {
  bucket_mass_.assign(kTopPBuckets, 0.0);
  bucket_of_.resize(pool_.size());
  for (size_t i = 0; i < pool_.size(); ++i) {
    const float distance = (max_logit_ - work_[pool_[i]]) * (kTopPBuckets / kTopPRange);
    const int bucket = distance < kTopPBuckets - 1 ? static_cast<int>(distance) : kTopPBuckets - 1;
    bucket_of_[i] = static_cast<uint16_t>(bucket);
    bucket_mass_[bucket] += exp_[pool_[i]];
  }
  const double target = params_.top_p * sum_exp_;
  double cumulative = 0;
  int boundary = 0;
  while (boundary < kTopPBuckets && cumulative + bucket_mass_[boundary] < target) {
    cumulative += bucket_mass_[boundary++];
  }
  cand_.clear();
  tail_.clear();
  for (size_t i = 0; i < pool_.size(); ++i) {
    const Candidate c{work_[pool_[i]], pool_[i]};
    if (bucket_of_[i] < boundary) {
      cand_.push_back(c);
    } else if (bucket_of_[i] == boundary) {
      tail_.push_back(c);
    }
  }
  std::sort(tail_.begin(), tail_.end(), [](const Candidate& a, const Candidate& b) { return Better(a, b); });
  for (const Candidate& c : tail_) {
    cand_.push_back(c);
    cumulative += exp_[c.token];
    if (cumulative >= target) break;
  }
  return DrawFromCandidates(cand_.size());
}

Sampled Sampler::Sample(std::span<const float> logits) {
  assert(logits.size() == static_cast<size_t>(vocab_size_));
  Sampled out;
  if (logits.empty()) {
    out.logprob = kNegInf;
    return out;
  }
  PrepareLogits(logits);
  sorted_prefix_ = 0;
  if (max_logit_ == kNegInf) {  // everything banned or NaN: fall back to the raw argmax
    out.token = ArgMaxOf(logits);
    out.logprob = kNegInf;
    return out;
  }
  out.token = params_.temperature == 0.0f ? ArgMaxOf(work_) : DrawTruncated();
  out.logprob = static_cast<float>(work_[out.token] - log_norm_);
  FillTopAlternatives(out);
  return out;
}

}  // namespace catena::inference
