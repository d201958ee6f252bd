// A small Prometheus client: MetricsRegistry owns metric families (counters, gauges, histograms) and renders them
// in the text exposition format 0.0.4 for the HTTP gateway's /metrics. Families and their children live as long
// as the registry, so references stay valid; every operation is thread-safe. Updating a child (Increment, Set,
// Observe) is lock-free; WithLabels takes a lock, so look a child up once and keep the reference on hot paths.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace catena {

// Content-Type of RenderText's output, for the /metrics handler.
inline constexpr std::string_view kPrometheusTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// The Prometheus default histogram buckets: .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10.
std::vector<double> DefaultHistogramBuckets();

// A monotonically increasing value.
class Counter {
 public:
  // Adds `amount`; a negative or NaN amount is ignored (counters never go down) and logged once per counter.
  void Increment(double amount = 1);
  // The current total.
  double Value() const;

 private:
  std::atomic<double> value_{0};
  std::atomic<bool> warned_{false};
};

// A value that can go up and down.
class Gauge {
 public:
  // Replaces the value.
  void Set(double value);
  // Adds `amount` (may be negative).
  void Add(double amount);
  // Subtracts `amount`.
  void Sub(double amount);
  // The current value.
  double Value() const;

 private:
  std::atomic<double> value_{0};
};

// Counts observations into buckets with fixed upper bounds (inclusive, "le"), plus their sum.
class Histogram {
 public:
  // `bounds` must be strictly increasing and finite (MetricsRegistry::AddHistogram validates them).
  explicit Histogram(std::vector<double> bounds);
  // Records one observation.
  void Observe(double value);
  // Number of observations.
  uint64_t Count() const;
  // Sum of all observations.
  double Sum() const;
  // The finite upper bounds; the +Inf bucket is implicit.
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative counts, one per bound followed by the +Inf bucket (which equals Count()).
  std::vector<uint64_t> CumulativeCounts() const;

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<uint64_t>> counts_;  // Per bucket, not cumulative; last is (bounds_.back(), +Inf).
  std::atomic<double> sum_{0};
};

enum class MetricType { kCounter, kGauge, kHistogram };

// What all families share: name, help, label names and rendering.
class MetricFamily {
 public:
  virtual ~MetricFamily() = default;
  MetricFamily(const MetricFamily&) = delete;
  MetricFamily& operator=(const MetricFamily&) = delete;

  MetricType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // This family's # HELP and # TYPE lines and samples, children sorted by label values.
  virtual std::string Render() const = 0;

 protected:
  MetricFamily(MetricType type, std::string name, std::string help, std::vector<std::string> label_names);

 private:
  const MetricType type_;
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
};

// A metric with one child per combination of label values. T is Counter, Gauge or Histogram.
template <typename T>
class Family final : public MetricFamily {
 public:
  // The child for `values` (one per label name, in order), created on first use; the reference stays valid for
  // the registry's lifetime. A wrong number of values is a programming error: aborts with a message.
  T& WithLabels(const std::vector<std::string>& values);
  std::string Render() const override;

 private:
  friend class MetricsRegistry;
  Family(std::string name, std::string help, std::vector<std::string> label_names, std::vector<double> buckets);
  std::unique_ptr<T> MakeChild() const;

  const std::vector<double> buckets_;  // Histogram only.
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> children_ ABSL_GUARDED_BY(mu_);
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;
extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

// Owns metric families by name. Registration validates names ([a-zA-Z_:][a-zA-Z0-9_:]* for metrics,
// [a-zA-Z_][a-zA-Z0-9_]* and no leading "__" for labels); registering an existing name again with the same type,
// labels (and buckets) returns the existing family, otherwise ALREADY_EXISTS.
class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // The process-wide registry that /metrics renders; never destroyed.
  static MetricsRegistry& Default();

  // Registers (or finds) a counter family. Unlabeled families get their single child at once, so it renders 0.
  absl::StatusOr<CounterFamily*> AddCounter(std::string name, std::string help,
                                            std::vector<std::string> label_names = {});
  // Registers (or finds) a gauge family.
  absl::StatusOr<GaugeFamily*> AddGauge(std::string name, std::string help, std::vector<std::string> label_names = {});
  // Registers (or finds) a histogram family; `buckets` must be strictly increasing (a trailing +Inf is dropped)
  // and the label "le" is reserved.
  absl::StatusOr<HistogramFamily*> AddHistogram(std::string name, std::string help,
                                                std::vector<std::string> label_names = {},
                                                std::vector<double> buckets = DefaultHistogramBuckets());

  // Every family in the Prometheus text format 0.0.4, sorted by name.
  std::string RenderText() const;

 private:
  template <typename T>
  absl::StatusOr<Family<T>*> Add(MetricType type, std::string name, std::string help,
                                 std::vector<std::string> label_names, std::vector<double> buckets);

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<MetricFamily>> families_ ABSL_GUARDED_BY(mu_);
};

}  // namespace catena
