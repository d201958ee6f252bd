// Metric children (atomics), families (label lookup under a mutex), registration checks and the Prometheus text
// exposition format 0.0.4 rendering.
#include "common/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "spdlog/spdlog.h"

namespace catena {
namespace {

bool IsValidName(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  const auto valid_char = [&](char c, bool first) {
    return absl::ascii_isalpha(c) || c == '_' || (allow_colon && c == ':') || (!first && absl::ascii_isdigit(c));
  };
  if (!valid_char(name[0], true)) return false;
  return std::all_of(name.begin() + 1, name.end(), [&](char c) { return valid_char(c, false); });
}

// Sample value in a form Prometheus parses: whole numbers without exponent, else the shortest round-trip form.
std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == 0) return "0";  // Also -0.
  char buffer[400];
  const bool whole = std::trunc(value) == value;
  const auto result = whole ? std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed)
                            : std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

std::string EscapeHelp(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeLabelValue(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"') {
      out += "\\\"";
    } else {
      out += EscapeHelp(std::string_view(&c, 1));
    }
  }
  return out;
}

// {a="x",b="y"} for the given names and values plus an optional trailing le label; "" when there are none.
std::string LabelSet(const std::vector<std::string>& names, const std::vector<std::string>& values,
                     absl::string_view le = {}) {
  std::vector<std::string> pairs;
  for (size_t i = 0; i < names.size(); ++i) {
    pairs.push_back(absl::StrCat(names[i], "=\"", EscapeLabelValue(values[i]), "\""));
  }
  if (!le.empty()) pairs.push_back(absl::StrCat("le=\"", le, "\""));
  if (pairs.empty()) return "";
  return absl::StrCat("{", absl::StrJoin(pairs, ","), "}");
}

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

std::string RenderChild(const std::string& name, const std::vector<std::string>& label_names,
                        const std::vector<std::string>& values, const Counter& counter) {
  return absl::StrCat(name, LabelSet(label_names, values), " ", FormatValue(counter.Value()), "\n");
}

std::string RenderChild(const std::string& name, const std::vector<std::string>& label_names,
                        const std::vector<std::string>& values, const Gauge& gauge) {
  return absl::StrCat(name, LabelSet(label_names, values), " ", FormatValue(gauge.Value()), "\n");
}

std::string RenderChild(const std::string& name, const std::vector<std::string>& label_names,
                        const std::vector<std::string>& values, const Histogram& histogram) {
  std::string out;
  const std::vector<uint64_t> cumulative = histogram.CumulativeCounts();
  for (size_t i = 0; i < cumulative.size(); ++i) {
    const std::string le = i < histogram.bounds().size() ? FormatValue(histogram.bounds()[i]) : "+Inf";
    absl::StrAppend(&out, name, "_bucket", LabelSet(label_names, values, le), " ", cumulative[i], "\n");
  }
  const std::string labels = LabelSet(label_names, values);
  absl::StrAppend(&out, name, "_sum", labels, " ", FormatValue(histogram.Sum()), "\n");
  absl::StrAppend(&out, name, "_count", labels, " ", cumulative.back(), "\n");
  return out;
}

// The sample names a family exposes; two families must not share any.
std::vector<std::string> SampleNames(MetricType type, const std::string& name) {
  if (type != MetricType::kHistogram) return {name};
  return {name, name + "_bucket", name + "_sum", name + "_count"};
}

absl::Status ValidateLabels(MetricType type, const std::string& metric, const std::vector<std::string>& labels) {
  std::set<std::string_view> seen;
  for (const std::string& label : labels) {
    if (!IsValidName(label, /*allow_colon=*/false) || label.rfind("__", 0) == 0) {
      return absl::InvalidArgumentError(absl::StrCat("metric '", metric, "': invalid label name '", label,
                                                     "' (must match [a-zA-Z_][a-zA-Z0-9_]*, no leading __)"));
    }
    if (type == MetricType::kHistogram && label == "le") {
      return absl::InvalidArgumentError(absl::StrCat("histogram '", metric, "': label name 'le' is reserved"));
    }
    if (!seen.insert(label).second) {
      return absl::InvalidArgumentError(absl::StrCat("metric '", metric, "': duplicate label name '", label, "'"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<double>> NormalizeBuckets(const std::string& metric, std::vector<double> buckets) {
  if (!buckets.empty() && buckets.back() == std::numeric_limits<double>::infinity()) buckets.pop_back();
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (!std::isfinite(buckets[i]) || (i > 0 && buckets[i] <= buckets[i - 1])) {
      return absl::InvalidArgumentError(
          absl::StrCat("histogram '", metric, "': buckets must be finite and strictly increasing"));
    }
  }
  return buckets;
}

absl::Status CheckSampleNamesFree(const std::map<std::string, std::unique_ptr<MetricFamily>>& families, MetricType type,
                                  const std::string& name) {
  for (const std::string& sample : SampleNames(type, name)) {
    for (const auto& [other_name, other] : families) {
      const std::vector<std::string> taken = SampleNames(other->type(), other_name);
      if (std::find(taken.begin(), taken.end(), sample) != taken.end()) {
        return absl::AlreadyExistsError(
            absl::StrCat("metric '", name, "' would expose '", sample, "', which '", other_name, "' already does"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<double> DefaultHistogramBuckets() { return {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}; }

void Counter::Increment(double amount) {
  if (!(amount >= 0)) {
    if (!warned_.exchange(true, std::memory_order_relaxed)) {
      spdlog::error("metrics: ignoring counter increment by {} (counters never go down)", amount);
    }
    return;
  }
  value_.fetch_add(amount, std::memory_order_relaxed);
}

double Counter::Value() const { return value_.load(std::memory_order_relaxed); }

void Gauge::Set(double value) { value_.store(value, std::memory_order_relaxed); }
void Gauge::Add(double amount) { value_.fetch_add(amount, std::memory_order_relaxed); }
void Gauge::Sub(double amount) { value_.fetch_sub(amount, std::memory_order_relaxed); }
double Gauge::Value() const { return value_.load(std::memory_order_relaxed); }

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1) {}

void Histogram::Observe(double value) {
  // First bucket whose upper bound is >= value; NaN and values above every bound land in +Inf.
  const size_t bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

uint64_t Histogram::Count() const { return CumulativeCounts().back(); }

double Histogram::Sum() const { return sum_.load(std::memory_order_relaxed); }

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  std::vector<uint64_t> cumulative;
  cumulative.reserve(counts_.size());
  uint64_t total = 0;
  for (const auto& count : counts_) {
    total += count.load(std::memory_order_relaxed);
    cumulative.push_back(total);
  }
  return cumulative;
}

MetricFamily::MetricFamily(MetricType type, std::string name, std::string help, std::vector<std::string> label_names)
    : type_(type), name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}

template <typename T>
Family<T>::Family(std::string name, std::string help, std::vector<std::string> label_names, std::vector<double> buckets)
    : MetricFamily(std::is_same_v<T, Counter> ? MetricType::kCounter
                   : std::is_same_v<T, Gauge> ? MetricType::kGauge
                                              : MetricType::kHistogram,
                   std::move(name), std::move(help), std::move(label_names)),
      buckets_(std::move(buckets)) {
  if (MetricFamily::label_names().empty()) WithLabels({});
}

template <typename T>
std::unique_ptr<T> Family<T>::MakeChild() const {
  if constexpr (std::is_same_v<T, Histogram>) {
    return std::make_unique<Histogram>(buckets_);
  } else {
    return std::make_unique<T>();
  }
}

template <typename T>
T& Family<T>::WithLabels(const std::vector<std::string>& values) {
  if (values.size() != label_names().size()) {
    std::fprintf(stderr, "catena metrics: '%s' has %zu label names (%s) but got %zu values\n", name().c_str(),
                 label_names().size(), absl::StrJoin(label_names(), ", ").c_str(), values.size());
    std::abort();
  }
  {
    absl::ReaderMutexLock lock(&mu_);
    if (auto it = children_.find(values); it != children_.end()) return *it->second;
  }
  absl::MutexLock lock(&mu_);
  auto& child = children_[values];
  if (child == nullptr) child = MakeChild();
  return *child;
}

template <typename T>
std::string Family<T>::Render() const {
  std::string out =
      absl::StrCat("# HELP ", name(), " ", EscapeHelp(help()), "\n# TYPE ", name(), " ", TypeName(type()), "\n");
  absl::ReaderMutexLock lock(&mu_);
  for (const auto& [values, child] : children_) {
    absl::StrAppend(&out, RenderChild(name(), label_names(), values, *child));
  }
  return out;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

MetricsRegistry& MetricsRegistry::Default() {
  static MetricsRegistry* const registry = new MetricsRegistry();
  return *registry;
}

absl::StatusOr<CounterFamily*> MetricsRegistry::AddCounter(std::string name, std::string help,
                                                           std::vector<std::string> label_names) {
  return Add<Counter>(MetricType::kCounter, std::move(name), std::move(help), std::move(label_names), {});
}

absl::StatusOr<GaugeFamily*> MetricsRegistry::AddGauge(std::string name, std::string help,
                                                       std::vector<std::string> label_names) {
  return Add<Gauge>(MetricType::kGauge, std::move(name), std::move(help), std::move(label_names), {});
}

absl::StatusOr<HistogramFamily*> MetricsRegistry::AddHistogram(std::string name, std::string help,
                                                               std::vector<std::string> label_names,
                                                               std::vector<double> buckets) {
  absl::StatusOr<std::vector<double>> normalized = NormalizeBuckets(name, std::move(buckets));
  if (!normalized.ok()) return normalized.status();
  return Add<Histogram>(MetricType::kHistogram, std::move(name), std::move(help), std::move(label_names),
                        *std::move(normalized));
}

template <typename T>
absl::StatusOr<Family<T>*> MetricsRegistry::Add(MetricType type, std::string name, std::string help,
                                                std::vector<std::string> label_names, std::vector<double> buckets) {
  if (!IsValidName(name, /*allow_colon=*/true)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid metric name '", name, "' (must match [a-zA-Z_:][a-zA-Z0-9_:]*)"));
  }
  if (absl::Status labels = ValidateLabels(type, name, label_names); !labels.ok()) return labels;
  absl::MutexLock lock(&mu_);
  if (auto it = families_.find(name); it != families_.end()) {
    auto* existing = dynamic_cast<Family<T>*>(it->second.get());
    if (existing == nullptr || existing->label_names() != label_names || existing->buckets_ != buckets) {
      return absl::AlreadyExistsError(absl::StrCat("metric '", name, "' is already registered as a ",
                                                   TypeName(it->second->type()), " with labels [",
                                                   absl::StrJoin(it->second->label_names(), ", "), "]"));
    }
    return existing;
  }
  if (absl::Status clash = CheckSampleNamesFree(families_, type, name); !clash.ok()) return clash;
  auto* family = new Family<T>(std::move(name), std::move(help), std::move(label_names), std::move(buckets));
  families_.emplace(family->name(), std::unique_ptr<MetricFamily>(family));
  return family;
}

std::string MetricsRegistry::RenderText() const {
  absl::ReaderMutexLock lock(&mu_);
  std::string out;
  for (const auto& [name, family] : families_) absl::StrAppend(&out, family->Render());
  return out;
}

}  // namespace catena
