// STREAM-style memory bandwidth measured on the same machine in the same run as a benchmark, so efficiency
// ratios (achieved bytes/s over attainable bytes/s) are comparable across machines. Arrays are far larger than
// the caches; the best of several repetitions is reported, as STREAM does.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "inference/compute_pool.h"

namespace catena::bench {

struct Bandwidth {
  double triad_gb_per_s = 0;      // a[i] = b[i] + s * c[i]: 3 streams (2 read, 1 written)
  double read_only_gb_per_s = 0;  // sum of a[i]: 1 stream read
};

inline Bandwidth MeasureBandwidth(inference::ComputePool& pool, int64_t elements = int64_t{32} << 20,
                                  int repetitions = 5) {
  std::vector<float> a(elements, 1.0f), b(elements, 2.0f), c(elements, 0.5f);
  std::vector<double> partial(pool.threads() * 16 + 16);
  Bandwidth best;
  for (int rep = 0; rep < repetitions; ++rep) {
    auto start = std::chrono::steady_clock::now();
    pool.ParallelFor(elements, 1 << 16, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) a[i] = b[i] + 3.0f * c[i];
    });
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best.triad_gb_per_s = std::max(best.triad_gb_per_s, 3.0 * 4.0 * elements / seconds / 1e9);
    start = std::chrono::steady_clock::now();
    pool.ParallelFor(elements, 1 << 16, [&](int64_t begin, int64_t end) {
      float lanes[16] = {};  // independent accumulators, so the loop is not bound by add latency
      int64_t i = begin;
      for (; i + 16 <= end; i += 16) {
        for (int j = 0; j < 16; ++j) lanes[j] += a[i + j];
      }
      for (; i < end; ++i) lanes[0] += a[i];
      double sum = 0;
      for (float lane : lanes) sum += lane;
      partial[(begin * 16 / elements) % partial.size()] += sum;
    });
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best.read_only_gb_per_s = std::max(best.read_only_gb_per_s, 4.0 * elements / seconds / 1e9);
  }
  return best;
}

}  // namespace catena::bench
