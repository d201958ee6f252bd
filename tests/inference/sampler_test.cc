#include "inference/sampler.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <numeric>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

namespace catena::inference {
namespace {

Sampler MakeSampler(const SamplingParams& params, int32_t vocab_size) {
  absl::StatusOr<Sampler> sampler = Sampler::Create(params, vocab_size);
  REQUIRE(sampler.ok());
  return *std::move(sampler);
}

std::vector<float> RandomLogits(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> logits(n);
  for (float& l : logits) l = normal(gen);
  return logits;
}

// The exact distribution of the sampling chain, computed independently in double: sort by logit, keep the
// top k, then the shortest prefix whose renormalized mass reaches top_p, then p >= min_p * p_max, then
// softmax(l / T) over what is left.
std::vector<double> ExpectedDistribution(const std::vector<float>& logits, int top_k, double top_p,
                                         double min_p, double temperature) {
  const size_t n = logits.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return logits[a] > logits[b]; });
  size_t keep = (top_k > 0 && static_cast<size_t>(top_k) < n) ? top_k : n;
  double mass = 0;
  for (size_t i = 0; i < keep; ++i) mass += std::exp(static_cast<double>(logits[order[i]]));
  double cumulative = 0;
  for (size_t i = 0; i < keep; ++i) {
    cumulative += std::exp(static_cast<double>(logits[order[i]])) / mass;
    if (cumulative >= top_p) {
      keep = i + 1;
      break;
    }
  }
  const double top = logits[order[0]];
  std::vector<double> p(n, 0.0);
  double total = 0;
  for (size_t i = 0; i < keep; ++i) {
    const double l = logits[order[i]];
    if (std::exp(l - top) < min_p) continue;
    p[order[i]] = std::exp(l / temperature);
    total += p[order[i]];
  }
  for (double& v : p) v /= total;
  return p;
}

// Draws `draws` tokens and checks every frequency is within 5 standard deviations of the exact probability
// (tokens with probability 0 must never appear).
void CheckFrequencies(const SamplingParams& params, const std::vector<float>& logits, int draws) {
  Sampler sampler = MakeSampler(params, static_cast<int32_t>(logits.size()));
  std::vector<int> counts(logits.size(), 0);
  for (int i = 0; i < draws; ++i) ++counts[sampler.Sample(logits).token];
  const std::vector<double> expected =
      ExpectedDistribution(logits, params.top_k, params.top_p, params.min_p, params.temperature);
  for (size_t t = 0; t < logits.size(); ++t) {
    INFO("token " << t << " expected p " << expected[t] << " got count " << counts[t]);
    if (expected[t] == 0.0) {
      CHECK(counts[t] == 0);
      continue;
    }
    const double sigma = std::sqrt(expected[t] * (1 - expected[t]) / draws);
    CHECK(std::abs(static_cast<double>(counts[t]) / draws - expected[t]) <= 5 * sigma + 1e-12);
  }
}

const std::vector<float> kSmallLogits = {2.0f, 1.5f, 1.0f, 0.5f, 0.0f, -0.5f, -1.0f, -3.0f};

TEST_CASE("greedy sampling returns the argmax, the lowest id among ties", "[unit]") {
  SamplingParams params;
  params.temperature = 0;
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    const std::vector<float> logits = RandomLogits(1000, seed);
    Sampler sampler = MakeSampler(params, 1000);
    const auto best = std::max_element(logits.begin(), logits.end()) - logits.begin();
    CHECK(sampler.Sample(logits).token == best);
  }
  Sampler sampler = MakeSampler(params, 4);
  const std::vector<float> ties = {1.0f, 3.0f, 3.0f, 2.0f};
  CHECK(sampler.Sample(ties).token == 1);
}

TEST_CASE("top-k of one picks the argmax whatever the seed and temperature", "[unit]") {
  SamplingParams params;
  params.top_k = 1;
  params.temperature = 1.5f;
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    params.seed = seed;
    const std::vector<float> logits = RandomLogits(5000, seed + 100);
    Sampler sampler = MakeSampler(params, 5000);
    const auto best = std::max_element(logits.begin(), logits.end()) - logits.begin();
    for (int i = 0; i < 5; ++i) CHECK(sampler.Sample(logits).token == best);
  }
}

TEST_CASE("sampled frequencies match the exact truncated distributions", "[unit]") {
  constexpr int kDraws = 200000;
  SamplingParams params;
  params.seed = 7;
  SECTION("temperature alone") {
    params.temperature = 0.7f;
    CheckFrequencies(params, kSmallLogits, kDraws);
  }
  SECTION("top-k") {
    params.top_k = 3;
    CheckFrequencies(params, kSmallLogits, kDraws);
  }
  SECTION("top-p") {
    params.top_p = 0.8f;
    CheckFrequencies(params, kSmallLogits, kDraws);
  }
  SECTION("min-p") {
    params.min_p = 0.2f;
    CheckFrequencies(params, kSmallLogits, kDraws);
  }
  SECTION("top-k, top-p, min-p and temperature together") {
    params.top_k = 6;
    params.top_p = 0.9f;
    params.min_p = 0.1f;
    params.temperature = 1.6f;
    CheckFrequencies(params, kSmallLogits, kDraws);
  }
  SECTION("top-k then min-p") {
    params.top_k = 6;
    params.min_p = 0.15f;
    CheckFrequencies(params, kSmallLogits, kDraws);
  }
  SECTION("top-k above the heap limit on a larger vocabulary") {
    params.top_k = 300;
    params.temperature = 0.9f;
    CheckFrequencies(params, RandomLogits(1000, 3), kDraws);
  }
  SECTION("top-p alone needing a prefix longer than the first guess") {
    params.top_p = 0.9f;
    params.temperature = 1.2f;
    CheckFrequencies(params, RandomLogits(1000, 4, 0.5f), kDraws);
  }
  SECTION("top-k then top-p renormalized over the top-k set") {
    params.top_k = 40;
    params.top_p = 0.5f;
    CheckFrequencies(params, RandomLogits(1000, 5), kDraws);
  }
}

TEST_CASE("the same seed gives the same tokens, other seeds and batching neighbours do not change that",
          "[unit]") {
  const std::vector<float> logits = RandomLogits(2000, 11, 0.3f);
  SamplingParams params;
  params.top_p = 0.95f;
  params.seed = 42;
  auto run = [&](uint64_t seed, bool interleave) {
    SamplingParams p = params;
    p.seed = seed;
    Sampler sampler = MakeSampler(p, 2000);
    Sampler other = MakeSampler(params, 2000);
    std::vector<int32_t> tokens;
    for (int i = 0; i < 100; ++i) {
      if (interleave) other.Sample(logits);
      tokens.push_back(sampler.Sample(logits).token);
    }
    return tokens;
  };
  const std::vector<int32_t> first = run(42, false);
  CHECK(run(42, false) == first);
  CHECK(run(42, true) == first);
  CHECK(run(43, false) != first);
  CHECK(run(43, false) != run(44, false));
}

// All log-probabilities of a small vocabulary as the sampler reports them, by token id.
std::vector<double> ReportedLogprobs(Sampler& sampler, const std::vector<float>& logits) {
  const Sampled s = sampler.Sample(logits);
  std::vector<double> out(logits.size(), -INFINITY);
  for (const TokenLogprob& t : s.top()) out[t.token] = t.logprob;
  REQUIRE(out[s.token] == Approx(s.logprob).margin(1e-6));
  return out;
}

std::vector<double> LogSoftmax(const std::vector<double>& logits) {
  const double top = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (double l : logits) sum += std::exp(l - top);
  std::vector<double> out;
  for (double l : logits) out.push_back(l - top - std::log(sum));
  return out;
}

TEST_CASE("repetition, frequency and presence penalties give the hand-computed logits", "[unit]") {
  const std::vector<float> logits = {3.0f, -2.0f, 1.0f, 0.5f, -1.0f};
  SamplingParams params;
  params.temperature = 0;
  params.top_logprobs = 5;
  params.repetition_penalty = 2.0f;
  params.frequency_penalty = 0.5f;
  params.presence_penalty = 0.25f;
  SECTION("prompt and output tokens in the window") {
    Sampler sampler = MakeSampler(params, 5);
    const std::vector<int32_t> prompt = {0, 1};
    sampler.SetPrompt(prompt);
    for (int32_t t : {2, 2, 0}) sampler.Accept(t);
    // 0: 3/2 - 1*0.5 - 0.25; 1: -2*2 (prompt only: no frequency/presence); 2: 1/2 - 2*0.5 - 0.25.
    const std::vector<double> expected = LogSoftmax({0.75, -4.0, -0.75, 0.5, -1.0});
    const std::vector<double> got = ReportedLogprobs(sampler, logits);
    for (size_t t = 0; t < 5; ++t) CHECK(got[t] == Approx(expected[t]).epsilon(0).margin(1e-5));
  }
  SECTION("the window keeps only the last penalty_last_n tokens") {
    params.penalty_last_n = 2;
    params.frequency_penalty = 0;
    params.presence_penalty = 0;
    Sampler sampler = MakeSampler(params, 5);
    const std::vector<int32_t> prompt = {0, 1, 4};
    sampler.SetPrompt(prompt);
    sampler.Accept(3);  // window: {4, 3}
    const std::vector<double> expected = LogSoftmax({3.0, -2.0, 1.0, 0.25, -2.0});
    const std::vector<double> got = ReportedLogprobs(sampler, logits);
    for (size_t t = 0; t < 5; ++t) CHECK(got[t] == Approx(expected[t]).epsilon(0).margin(1e-5));
  }
  SECTION("penalty_last_n 0 turns the repetition penalty off") {
    params.penalty_last_n = 0;
    Sampler sampler = MakeSampler(params, 5);
    sampler.Accept(0);
    const std::vector<double> expected = LogSoftmax({2.25, -2.0, 1.0, 0.5, -1.0});
    const std::vector<double> got = ReportedLogprobs(sampler, logits);
    for (size_t t = 0; t < 5; ++t) CHECK(got[t] == Approx(expected[t]).epsilon(0).margin(1e-5));
  }
}

TEST_CASE("a logit bias of -100 bans the token and other biases shift its logit", "[unit]") {
  std::vector<float> logits = RandomLogits(500, 21);
  logits[17] = 50.0f;  // overwhelmingly likely without the ban
  SamplingParams params;
  params.logit_bias = {{17, -100.0f}, {3, 2.0f}};
  params.top_logprobs = 20;
  Sampler sampler = MakeSampler(params, 500);
  for (int i = 0; i < 20000; ++i) REQUIRE(sampler.Sample(logits).token != 17);
  params.temperature = 0;
  Sampler greedy = MakeSampler(params, 500);
  const Sampled s = greedy.Sample(logits);
  CHECK(s.token != 17);
  std::vector<double> adjusted(logits.begin(), logits.end());
  adjusted[17] = -1e300;
  adjusted[3] += 2.0;
  const std::vector<double> expected = LogSoftmax(adjusted);
  CHECK(s.logprob == Approx(expected[s.token]).epsilon(0).margin(1e-5));
  for (const TokenLogprob& t : s.top()) CHECK(t.token != 17);
}

TEST_CASE("logprobs and top alternatives equal the log-softmax computed in double", "[unit]") {
  const std::vector<float> logits = RandomLogits(1000, 31, 3.0f);
  const std::vector<double> expected = LogSoftmax(std::vector<double>(logits.begin(), logits.end()));
  std::vector<int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return expected[a] > expected[b]; });
  SamplingParams params;
  params.top_k = GENERATE(0, 5, 40, 300);  // alternatives found by their own pass or taken from top-k's
  params.top_p = 0.9f;
  params.temperature = 0.5f;  // truncation and temperature must not change the reported values
  params.top_logprobs = 20;
  Sampler sampler = MakeSampler(params, 1000);
  for (int i = 0; i < 50; ++i) {
    const Sampled s = sampler.Sample(logits);
    CHECK(s.logprob == Approx(expected[s.token]).epsilon(0).margin(1e-5));
    REQUIRE(s.top_count == 20);
    for (int j = 0; j < 20; ++j) {
      CHECK(s.top()[j].token == order[j]);
      CHECK(s.top()[j].logprob == Approx(expected[order[j]]).epsilon(0).margin(1e-5));
    }
  }
}

TEST_CASE("reported probabilities of a whole small vocabulary sum to one", "[unit]") {
  std::vector<float> logits(20);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = 0.37f * static_cast<float>(i) - 3.1f;
  const std::vector<double> expected = LogSoftmax(std::vector<double>(logits.begin(), logits.end()));
  SamplingParams params;
  params.top_logprobs = 20;
  Sampler sampler = MakeSampler(params, 20);
  const Sampled s = sampler.Sample(logits);
  REQUIRE(s.top_count == 20);
  double total = 0;
  for (const TokenLogprob& t : s.top()) {
    total += std::exp(static_cast<double>(t.logprob));
    CHECK(t.logprob == Approx(expected[t.token]).epsilon(0).margin(2e-6));
  }
  CHECK(total == Approx(1.0).epsilon(0).margin(1e-6));
}

TEST_CASE("invalid sampling parameters name the field and its allowed range", "[unit]") {
  auto error = [](auto mutate, int32_t vocab = 100) {
    SamplingParams p;
    mutate(p);
    absl::Status s = Validate(p, vocab);
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK_FALSE(Sampler::Create(p, vocab).ok());
    return std::string(s.message());
  };
  CHECK(Validate(SamplingParams{}, 100).ok());
  CHECK_THAT(error([](SamplingParams& p) { p.temperature = -1; }), Catch::Contains("temperature must be in [0, 100]"));
  CHECK_THAT(error([](SamplingParams& p) { p.temperature = NAN; }), Catch::Contains("temperature"));
  CHECK_THAT(error([](SamplingParams& p) { p.top_k = -1; }), Catch::Contains("top_k"));
  CHECK_THAT(error([](SamplingParams& p) { p.top_p = 0; }), Catch::Contains("top_p must be in (0, 1]"));
  CHECK_THAT(error([](SamplingParams& p) { p.top_p = 1.5f; }), Catch::Contains("top_p"));
  CHECK_THAT(error([](SamplingParams& p) { p.min_p = 1.5f; }), Catch::Contains("min_p must be in [0, 1]"));
  CHECK_THAT(error([](SamplingParams& p) { p.repetition_penalty = 0; }), Catch::Contains("repetition_penalty"));
  CHECK_THAT(error([](SamplingParams& p) { p.frequency_penalty = 3; }), Catch::Contains("frequency_penalty must be in [-2, 2]"));
  CHECK_THAT(error([](SamplingParams& p) { p.presence_penalty = -2.5f; }), Catch::Contains("presence_penalty"));
  CHECK_THAT(error([](SamplingParams& p) { p.penalty_last_n = -2; }), Catch::Contains("penalty_last_n"));
  CHECK_THAT(error([](SamplingParams& p) { p.top_logprobs = 21; }), Catch::Contains("top_logprobs must be in [0, 20]"));
  CHECK_THAT(error([](SamplingParams& p) { p.logit_bias = {{5, 1}, {100, 1}}; }),
             Catch::Contains("logit_bias[1].token must be in [0, 100), got 100"));
  CHECK_THAT(error([](SamplingParams& p) { p.logit_bias = {{5, -101}}; }), Catch::Contains("logit_bias[0].bias"));
  CHECK_THAT(error([](SamplingParams&) {}, 0), Catch::Contains("vocab_size"));
}

TEST_CASE("a sampler whose every token is banned falls back to the raw argmax", "[unit]") {
  SamplingParams params;
  params.logit_bias = {{0, -100}, {1, -100}, {2, -100}};
  Sampler sampler = MakeSampler(params, 3);
  const std::vector<float> logits = {0.5f, 2.0f, 1.0f};
  const Sampled s = sampler.Sample(logits);
  CHECK(s.token == 1);
  CHECK(std::isinf(s.logprob));
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

TEST_CASE("NaN logits count as -inf and are never drawn", "[unit]") {
  std::vector<float> logits = {NAN, 0.0f, 1.0f, NAN};
  SamplingParams params;
  params.top_logprobs = 4;
  Sampler sampler = MakeSampler(params, 4);
  for (int i = 0; i < 2000; ++i) {
    const Sampled s = sampler.Sample(logits);
    REQUIRE((s.token == 1 || s.token == 2));
    REQUIRE(s.top_count == 2);
    CHECK(s.logprob == Approx(s.token == 2 ? -0.3132617 : -1.3132617).epsilon(0).margin(1e-5));
  }
}

TEST_CASE("sampler throughput on a 128k vocabulary", "[.bench]") {
  const std::vector<float> logits = RandomLogits(128 * 1024, 5, 2.0f);
  auto rate = [&](SamplingParams params) {  // the best of 5 rounds, in CPU time: the build machine is shared
    Sampler sampler = MakeSampler(params, static_cast<int32_t>(logits.size()));
    constexpr int kSamples = 500;
    double best = 0;
    for (int round = 0; round < 5; ++round) {
      const double start = ThreadCpuSeconds();
      int64_t sum = 0;
      for (int i = 0; i < kSamples; ++i) sum += sampler.Sample(logits).token;
      best = std::max(best, kSamples / (ThreadCpuSeconds() - start));
      CHECK(sum >= 0);
    }
    return best;
  };
  SamplingParams k40;
  k40.top_k = 40;
  k40.top_p = 0.95f;
  k40.temperature = 0.8f;
  SamplingParams p95;
  p95.top_p = 0.95f;
  SamplingParams greedy;
  greedy.temperature = 0;
  SamplingParams plain;
  SamplingParams logprobs = k40;
  logprobs.top_logprobs = 20;
  std::printf("128k vocab, samples/s (CPU time): top-k 40 + top-p 0.95: %.0f; same + 20 top logprobs: %.0f; "
              "top-p 0.95 alone: %.0f; temperature 1 alone: %.0f; greedy: %.0f\n",
              rate(k40), rate(logprobs), rate(p95), rate(plain), rate(greedy));
}

}  // namespace
}  // namespace catena::inference
