// Helpers shared by Catena benchmarks: JSON-line result output ({"bench","case","metric","value","unit"}) and
// latency percentiles. Benchmarks print only result lines on stdout; progress goes to stderr.
#pragma once

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace catena::bench {

// Prints one result line, e.g. {"bench":"grpc","case":"ping/c16","metric":"qps","value":5123.4,"unit":"1/s"}.
inline void Emit(const std::string& bench, const std::string& case_name, const std::string& metric, double value,
                 const std::string& unit) {
  std::printf("{\"bench\":\"%s\",\"case\":\"%s\",\"metric\":\"%s\",\"value\":%.6g,\"unit\":\"%s\"}\n", bench.c_str(),
              case_name.c_str(), metric.c_str(), value, unit.c_str());
  std::fflush(stdout);
}

// Emit() with the device the case ran on as one more field, e.g. ...,"unit":"1/s","device":"NVIDIA H200"}.
inline void Emit(const std::string& bench, const std::string& case_name, const std::string& metric, double value,
                 const std::string& unit, const std::string& device) {
  std::string quoted;
  for (char c : device) quoted += (c == '"' || c == '\\') ? ' ' : c;
  std::printf("{\"bench\":\"%s\",\"case\":\"%s\",\"metric\":\"%s\",\"value\":%.6g,\"unit\":\"%s\",\"device\":\"%s\"}\n",
              bench.c_str(), case_name.c_str(), metric.c_str(), value, unit.c_str(), quoted.c_str());
  std::fflush(stdout);
}

// The environment variable `name`, or `fallback` when it is unset or empty (benchmark knobs).
inline std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

// The q-quantile (0..1) of `samples` (sorted in place); 0 when empty.
inline double Quantile(std::vector<double>& samples, double q) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const size_t index = std::min(samples.size() - 1, static_cast<size_t>(q * static_cast<double>(samples.size())));
  return samples[index];
}

// CPU seconds of the whole process (all threads): less sensitive than wall time to other processes on a shared
// machine.
inline double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace catena::bench
