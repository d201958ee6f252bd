// The element-wise kernels, rope and single-query attention against direct double-precision formulas.
#include <cmath>
#include <random>
#include <span>
#include <vector>

#include <catch2/catch.hpp>

#include "inference/kernels.h"
#include "tests/inference/kernel_test_blocks.h"

namespace catena::inference {
namespace {

std::vector<float> Normal(size_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

void RequireClose(const std::vector<float>& got, const std::vector<double>& want, double tolerance) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("index " << i);
    REQUIRE(std::fabs(got[i] - want[i]) <= tolerance * (1 + std::fabs(want[i])));
  }
}

TEST_CASE("rms norm and layer norm follow their formulas", "[unit]") {
  const std::vector<float> x = Normal(768, 1, 3.0f), w = Normal(768, 2), bias = Normal(768, 3);
  double squares = 0, sum = 0;
  for (float v : x) squares += double{v} * v, sum += v;
  const double mean = sum / 768;
  double var = 0;
  for (float v : x) var += (v - mean) * (v - mean);
  std::vector<double> rms(768), layer(768);
  for (size_t i = 0; i < 768; ++i) {
    rms[i] = x[i] / std::sqrt(squares / 768 + 1e-6) * w[i];
    layer[i] = (x[i] - mean) / std::sqrt(var / 768 + 1e-12) * w[i] + bias[i];
  }
  std::vector<float> out(768);
  RmsNorm(x, w, 1e-6f, out);
  RequireClose(out, rms, 1e-5);
  LayerNorm(x, w, bias, 1e-12f, out);
  RequireClose(out, layer, 1e-5);
}

TEST_CASE("softmax is stable for large inputs and sums to one", "[unit]") {
  std::vector<float> x = {1000.0f, 1001.0f, 999.0f, -5.0f};
  std::vector<double> want(4);
  double total = 0;
  for (size_t i = 0; i < 4; ++i) total += std::exp(double{x[i]} - 1001.0);
  for (size_t i = 0; i < 4; ++i) want[i] = std::exp(double{x[i]} - 1001.0) / total;
  Softmax(x);
  RequireClose(x, want, 1e-6);
}

TEST_CASE("swiglu follows its formula on every isa, and an element's result does not depend on the split", "[unit]") {
  const test_blocks::ActiveIsaGuard isa_guard;
  // Wide gates (sigma 30) reach the exp's underflow on the negative side; 301 leaves a tail after whole vectors.
  std::vector<float> gate = Normal(301, 14, 30.0f);
  gate[0] = 0.0f, gate[1] = -0.0f, gate[2] = 88.0f, gate[3] = -88.0f, gate[4] = -200.0f, gate[5] = 1e-8f;
  const std::vector<float> up = Normal(301, 15);
  std::vector<double> want(gate.size());
  for (size_t i = 0; i < gate.size(); ++i) want[i] = gate[i] / (1 + std::exp(-double{gate[i]})) * up[i];
  for (const char* isa : {"portable", "avx2", "avx512", "avx512vnni"}) {
    if (!SelectKernelIsa(isa)) continue;
    INFO("isa " << isa);
    std::vector<float> whole(gate.size()), parts(gate.size());
    SwiGlu(gate, up, whole);
    RequireClose(whole, want, 1e-6);
    for (size_t split : {size_t{3}, size_t{8}, size_t{157}}) {
      SwiGlu(std::span(gate).first(split), std::span(up).first(split), std::span(parts).first(split));
      SwiGlu(std::span(gate).subspan(split), std::span(up).subspan(split), std::span(parts).subspan(split));
      REQUIRE(parts == whole);
    }
    // In place, as the decoder calls it.
    std::vector<float> in_place = gate;
    SwiGlu(in_place, up, in_place);
    REQUIRE(in_place == whole);
  }
}

TEST_CASE("swiglu gelu and add in place follow their formulas", "[unit]") {
  const std::vector<float> gate = Normal(300, 4, 4.0f), up = Normal(300, 5);
  std::vector<float> out(300);
  SwiGlu(gate, up, out);
  std::vector<double> want(300);
  for (size_t i = 0; i < 300; ++i) want[i] = gate[i] / (1 + std::exp(-double{gate[i]})) * up[i];
  RequireClose(out, want, 1e-5);

  std::vector<float> g = gate;
  Gelu(g);
  for (size_t i = 0; i < 300; ++i) {
    const double v = gate[i];
    want[i] = 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
  }
  RequireClose(g, want, 1e-5);

  std::vector<float> a = up;
  AddInPlace(a, gate);
  for (size_t i = 0; i < 300; ++i) want[i] = double{up[i]} + gate[i];
  RequireClose(a, want, 1e-6);
}

TEST_CASE("rope rotates adjacent pairs or halves by position times frequency", "[unit]") {
  const int dim = 64;
  std::vector<float> inv_freq(dim / 2);
  for (int i = 0; i < dim / 2; ++i) inv_freq[i] = static_cast<float>(std::pow(10000.0, -2.0 * i / dim));
  const std::vector<float> head = Normal(dim, 6);
  for (RopeStyle style : {RopeStyle::kAdjacentPairs, RopeStyle::kHalves}) {
    for (int64_t position : {0, 1, 17, 4000}) {
      std::vector<float> got = head;
      ApplyRope(got, inv_freq, position, style);
      std::vector<double> want(dim);
      for (int i = 0; i < dim / 2; ++i) {
        const int a = style == RopeStyle::kAdjacentPairs ? 2 * i : i;
        const int b = style == RopeStyle::kAdjacentPairs ? 2 * i + 1 : i + dim / 2;
        const double angle = static_cast<double>(position) * inv_freq[i];
        want[a] = head[a] * std::cos(angle) - head[b] * std::sin(angle);
        want[b] = head[a] * std::sin(angle) + head[b] * std::cos(angle);
      }
      RequireClose(got, want, 1e-5);
    }
  }
}

TEST_CASE("attend equals naive softmax attention over strided keys and values", "[unit]") {
  const int64_t head_dim = 64, n_keys = 37, stride = 3 * head_dim;
  const std::vector<float> q = Normal(head_dim, 7), keys = Normal(n_keys * stride, 8), values = Normal(n_keys * stride, 9);
  const float scale = 1.0f / 8.0f;
  std::vector<double> scores(n_keys);
  double max = -1e300, total = 0;
  for (int64_t j = 0; j < n_keys; ++j) {
    double dot = 0;
    for (int64_t i = 0; i < head_dim; ++i) dot += double{q[i]} * keys[j * stride + i];
    scores[j] = scale * dot;
    max = std::max(max, scores[j]);
  }
  for (double& s : scores) total += (s = std::exp(s - max));
  std::vector<double> want(head_dim, 0.0);
  for (int64_t j = 0; j < n_keys; ++j)
    for (int64_t i = 0; i < head_dim; ++i) want[i] += scores[j] / total * values[j * stride + i];
  std::vector<float> out(head_dim, 123.0f);
  Attend(q.data(), keys.data(), values.data(), n_keys, head_dim, stride, scale, out.data());
  RequireClose(out, want, 1e-5);
}

}  // namespace
}  // namespace catena::inference
