// Helpers of the CUDA conformance tests (cuda_*_test.cc): host <-> device copies that fail the test on a CUDA
// error, normalized MSE (as llama.cpp's test-backend-ops) and seeded random inputs. Test code only.
#pragma once

#include <cuda_runtime.h>

#include <catch2/catch.hpp>
#include <random>
#include <span>
#include <vector>

#include "inference/cuda/cuda_common.h"

namespace catena::inference::cuda::testing {

// A device copy of `host`.
template <typename T>
DeviceBuffer Upload(std::span<const T> host) {
  DeviceBuffer buffer;
  REQUIRE(buffer.Reserve(std::max<size_t>(1, host.size_bytes())).ok());
  REQUIRE(cudaMemcpy(buffer.get(), host.data(), host.size_bytes(), cudaMemcpyHostToDevice) == cudaSuccess);
  return buffer;
}
template <typename T>
DeviceBuffer Upload(const std::vector<T>& host) {
  return Upload(std::span<const T>(host));
}

// `count` values of T copied back from `buffer` after the device finished its work.
template <typename T>
std::vector<T> Download(const DeviceBuffer& buffer, size_t count) {
  REQUIRE(cudaDeviceSynchronize() == cudaSuccess);
  std::vector<T> host(count);
  REQUIRE(cudaMemcpy(host.data(), buffer.get(), count * sizeof(T), cudaMemcpyDeviceToHost) == cudaSuccess);
  return host;
}

// A zeroed device buffer of `count` Ts.
template <typename T>
DeviceBuffer Zeros(size_t count) {
  return Upload(std::vector<T>(count, T{}));
}

// sum((got - want)^2) / sum(want^2); want is the CPU's answer.
inline double Nmse(std::span<const float> got, std::span<const float> want) {
  REQUIRE(got.size() == want.size());
  double error = 0, energy = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    error += (double{got[i]} - want[i]) * (double{got[i]} - want[i]);
    energy += double{want[i]} * want[i];
  }
  return energy > 0 ? error / energy : error;
}

inline std::vector<float> Normal(size_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

}  // namespace catena::inference::cuda::testing
