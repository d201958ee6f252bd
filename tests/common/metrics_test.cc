// Tests for common/metrics.h: exact Prometheus text output, name validation, re-registration, and exact totals
// under concurrent updates.
#include "common/metrics.h"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <csignal>
#include <functional>
#include <limits>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/death_test.h"

namespace catena {
namespace {

using ::catena::testing::AbortMessage;

// Parses the text format strictly enough to catch malformed output: every line is a # HELP/# TYPE comment or a
// sample `name{labels} value`; returns samples keyed by "name{labels}".
std::map<std::string, double> ParseSamples(const std::string& text) {
  static const std::regex kComment(R"(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*)");
  static const std::regex kSample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\[\\"n])*",?)*\})?) (\S+))");
  std::map<std::string, double> samples;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (std::regex_match(line, kComment)) continue;
    std::smatch match;
    INFO("line: " << line);
    REQUIRE(std::regex_match(line, match, kSample));
    const std::string value = match[5];
    double parsed = value == "+Inf"   ? std::numeric_limits<double>::infinity()
                    : value == "-Inf" ? -std::numeric_limits<double>::infinity()
                    : value == "NaN"  ? std::numeric_limits<double>::quiet_NaN()
                                      : std::stod(value);
    samples[match[1]] = parsed;
  }
  return samples;
}

TEST_CASE("metrics render counters gauges and histograms in the text format", "[unit][metrics]") {
  MetricsRegistry registry;
  CounterFamily* requests = registry.AddCounter("http_requests_total", "HTTP requests.", {"method", "code"}).value();
  GaugeFamily* inflight = registry.AddGauge("inflight", "Requests in flight.").value();
  HistogramFamily* latency =
      registry.AddHistogram("latency_seconds", "Request latency.", {"route"}, {0.1, 1, 2.5}).value();

  requests->WithLabels({"POST", "200"}).Increment();
  requests->WithLabels({"GET", "200"}).Increment(2);
  requests->WithLabels({"GET", "200"}).Increment(0.5);
  inflight->WithLabels({}).Set(5);
  inflight->WithLabels({}).Sub(2);
  inflight->WithLabels({}).Add(0.25);
  Histogram& chat = latency->WithLabels({"/v1/chat"});
  for (double v : {0.05, 0.1, 0.7, 3.0}) chat.Observe(v);

  CHECK(registry.RenderText() ==
        "# HELP http_requests_total HTTP requests.\n"
        "# TYPE http_requests_total counter\n"
        "http_requests_total{method=\"GET\",code=\"200\"} 2.5\n"
        "http_requests_total{method=\"POST\",code=\"200\"} 1\n"
        "# HELP inflight Requests in flight.\n"
        "# TYPE inflight gauge\n"
        "inflight 3.25\n"
        "# HELP latency_seconds Request latency.\n"
        "# TYPE latency_seconds histogram\n"
        "latency_seconds_bucket{route=\"/v1/chat\",le=\"0.1\"} 2\n"
        "latency_seconds_bucket{route=\"/v1/chat\",le=\"1\"} 3\n"
        "latency_seconds_bucket{route=\"/v1/chat\",le=\"2.5\"} 3\n"
        "latency_seconds_bucket{route=\"/v1/chat\",le=\"+Inf\"} 4\n"
        "latency_seconds_sum{route=\"/v1/chat\"} 3.85\n"
        "latency_seconds_count{route=\"/v1/chat\"} 4\n");
  const std::map<std::string, double> samples = ParseSamples(registry.RenderText());
  CHECK(samples.size() == 9);
  CHECK(samples.at("latency_seconds_count{route=\"/v1/chat\"}") == 4);
  CHECK(chat.Count() == 4);
  CHECK(chat.Sum() == Approx(3.85));
  CHECK(chat.CumulativeCounts() == std::vector<uint64_t>{2, 3, 3, 4});
}

TEST_CASE("metrics use the default Prometheus buckets", "[unit][metrics]") {
  MetricsRegistry registry;
  HistogramFamily* family = registry.AddHistogram("op_seconds", "Ops.").value();
  family->WithLabels({}).Observe(0.3);
  CHECK(family->WithLabels({}).bounds() == std::vector<double>{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10});
  const std::string text = registry.RenderText();
  CHECK(text.find("op_seconds_bucket{le=\"0.005\"} 0\n") != std::string::npos);
  CHECK(text.find("op_seconds_bucket{le=\"0.25\"} 0\nop_seconds_bucket{le=\"0.5\"} 1\n") != std::string::npos);
  CHECK(text.find("op_seconds_bucket{le=\"10\"} 1\nop_seconds_bucket{le=\"+Inf\"} 1\n") != std::string::npos);
  CHECK(ParseSamples(text).size() == 14);
}

TEST_CASE("metrics escape help text and label values", "[unit][metrics]") {
  MetricsRegistry registry;
  CounterFamily* family = registry.AddCounter("escapes_total", "Back\\slash and\nnewline \"kept\".", {"v"}).value();
  family->WithLabels({"a\"b\\c\nd"}).Increment();
  CHECK(registry.RenderText() ==
        "# HELP escapes_total Back\\\\slash and\\nnewline \"kept\".\n"
        "# TYPE escapes_total counter\n"
        "escapes_total{v=\"a\\\"b\\\\c\\nd\"} 1\n");
  CHECK(ParseSamples(registry.RenderText()).size() == 1);
}

TEST_CASE("metrics format values so Prometheus parses them", "[unit][metrics]") {
  MetricsRegistry registry;
  GaugeFamily* family = registry.AddGauge("values", "Values.", {"k"}).value();
  family->WithLabels({"a_big"}).Set(1e20);
  family->WithLabels({"b_small"}).Set(1e-7);
  family->WithLabels({"c_pos_inf"}).Set(std::numeric_limits<double>::infinity());
  family->WithLabels({"d_neg_inf"}).Set(-std::numeric_limits<double>::infinity());
  family->WithLabels({"e_nan"}).Set(std::numeric_limits<double>::quiet_NaN());
  family->WithLabels({"f_negative"}).Set(-42);
  family->WithLabels({"g_third"}).Set(1.0 / 3);
  family->WithLabels({"h_zero"}).Set(-0.0);
  CHECK(registry.RenderText() ==
        "# HELP values Values.\n"
        "# TYPE values gauge\n"
        "values{k=\"a_big\"} 100000000000000000000\n"
        "values{k=\"b_small\"} 1e-07\n"
        "values{k=\"c_pos_inf\"} +Inf\n"
        "values{k=\"d_neg_inf\"} -Inf\n"
        "values{k=\"e_nan\"} NaN\n"
        "values{k=\"f_negative\"} -42\n"
        "values{k=\"g_third\"} 0.3333333333333333\n"
        "values{k=\"h_zero\"} 0\n");
  const std::map<std::string, double> samples = ParseSamples(registry.RenderText());
  CHECK(samples.at("values{k=\"g_third\"}") == 1.0 / 3);
  CHECK(std::isnan(samples.at("values{k=\"e_nan\"}")));
}

TEST_CASE("metrics sort families by name and render unlabeled families at zero", "[unit][metrics]") {
  MetricsRegistry registry;
  REQUIRE(registry.AddCounter("zeta_total", "Z.").ok());
  REQUIRE(registry.AddGauge("alpha", "A.").ok());
  REQUIRE(registry.AddCounter("mid_total", "M.", {"x"}).ok());
  CHECK(registry.RenderText() ==
        "# HELP alpha A.\n# TYPE alpha gauge\nalpha 0\n"
        "# HELP mid_total M.\n# TYPE mid_total counter\n"
        "# HELP zeta_total Z.\n# TYPE zeta_total counter\nzeta_total 0\n");
}

TEST_CASE("metrics reject invalid metric and label names", "[unit][metrics]") {
  MetricsRegistry registry;
  CHECK(registry.AddCounter("1starts_with_digit", "h").status().message() ==
        "invalid metric name '1starts_with_digit' (must match [a-zA-Z_:][a-zA-Z0-9_:]*)");
  CHECK(registry.AddCounter("has-dash", "h").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(registry.AddCounter("", "h").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(registry.AddCounter("ns:ok_total", "h").ok());
  CHECK(registry.AddCounter("c1", "h", {"__reserved"}).status().message() ==
        "metric 'c1': invalid label name '__reserved' (must match [a-zA-Z_][a-zA-Z0-9_]*, no leading __)");
  CHECK(registry.AddCounter("c2", "h", {"a:b"}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(registry.AddCounter("c3", "h", {"a", "a"}).status().message() == "metric 'c3': duplicate label name 'a'");
  CHECK(registry.AddHistogram("h1", "h", {"le"}).status().message() == "histogram 'h1': label name 'le' is reserved");
  CHECK(registry.AddHistogram("h2", "h", {}, {1, 1}).status().message() ==
        "histogram 'h2': buckets must be finite and strictly increasing");
  CHECK(registry.AddHistogram("h3", "h", {}, {2, 1}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(registry.AddHistogram("h4", "h", {}, {1, std::numeric_limits<double>::infinity()}).ok());
  CHECK(registry.RenderText().find("c1") == std::string::npos);
}

TEST_CASE("metrics return the existing family for an identical registration only", "[unit][metrics]") {
  MetricsRegistry registry;
  CounterFamily* first = registry.AddCounter("jobs_total", "Jobs.", {"kind"}).value();
  CHECK(registry.AddCounter("jobs_total", "Other help.", {"kind"}).value() == first);
  CHECK(registry.AddGauge("jobs_total", "Jobs.", {"kind"}).status().message() ==
        "metric 'jobs_total' is already registered as a counter with labels [kind]");
  CHECK(registry.AddCounter("jobs_total", "Jobs.", {"type"}).status().code() == absl::StatusCode::kAlreadyExists);
  HistogramFamily* histogram = registry.AddHistogram("wait", "W.", {}, {1, 2}).value();
  CHECK(registry.AddHistogram("wait", "W.", {}, {1, 2}).value() == histogram);
  CHECK(registry.AddHistogram("wait", "W.", {}, {1, 3}).status().code() == absl::StatusCode::kAlreadyExists);
  CHECK(registry.AddCounter("wait_count", "C.").status().message() ==
        "metric 'wait_count' would expose 'wait_count', which 'wait' already does");
}

TEST_CASE("metrics counters ignore negative increments", "[unit][metrics]") {
  Counter counter;
  counter.Increment(3);
  counter.Increment(-1);
  counter.Increment(std::numeric_limits<double>::quiet_NaN());
  CHECK(counter.Value() == 3);
}

TEST_CASE("metrics give the same child for the same label values", "[unit][metrics]") {
  MetricsRegistry registry;
  GaugeFamily* family = registry.AddGauge("g", "G.", {"a"}).value();
  CHECK(&family->WithLabels({"x"}) == &family->WithLabels({"x"}));
  CHECK(&family->WithLabels({"x"}) != &family->WithLabels({"y"}));
}

TEST_CASE("metrics abort on the wrong number of label values", "[unit][metrics]") {
  MetricsRegistry registry;
  CounterFamily* family = registry.AddCounter("calls_total", "Calls.", {"method", "code"}).value();
  CHECK(AbortMessage([&] { family->WithLabels({"GET"}); }) ==
        "catena metrics: 'calls_total' has 2 label names (method, code) but got 1 values\n");
}

TEST_CASE("metrics count exactly under concurrent updates", "[unit][metrics]") {
  MetricsRegistry registry;
  CounterFamily* counters = registry.AddCounter("work_total", "Work.", {"worker"}).value();
  HistogramFamily* histograms = registry.AddHistogram("work_size", "Sizes.", {}, {10, 100}).value();
  GaugeFamily* gauges = registry.AddGauge("level", "Level.").value();
  constexpr int kThreads = 8;
  constexpr int kIterations = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIterations; ++i) {
        counters->WithLabels({"shared"}).Increment();
        counters->WithLabels({std::to_string(t % 2)}).Increment(0.5);
        histograms->WithLabels({}).Observe(i % 200);
        gauges->WithLabels({}).Add(1);
        gauges->WithLabels({}).Sub(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(counters->WithLabels({"shared"}).Value() == kThreads * kIterations);
  CHECK(counters->WithLabels({"0"}).Value() == kThreads / 2 * kIterations * 0.5);
  CHECK(gauges->WithLabels({}).Value() == 0);
  const Histogram& histogram = histograms->WithLabels({});
  CHECK(histogram.Count() == static_cast<uint64_t>(kThreads * kIterations));
  // Values 0..199 repeat: 11 of every 200 are <= 10, 101 are <= 100.
  CHECK(histogram.CumulativeCounts() == std::vector<uint64_t>{kThreads * kIterations / 200 * 11,
                                                              kThreads * kIterations / 200 * 101,
                                                              kThreads * kIterations});
  CHECK(histogram.Sum() == static_cast<double>(kThreads) * (kIterations / 200) * (199 * 200 / 2));
  CHECK(ParseSamples(registry.RenderText()).at("work_total{worker=\"shared\"}") == kThreads * kIterations);
}

TEST_CASE("metrics default registry is one shared instance", "[unit][metrics]") {
  CHECK(&MetricsRegistry::Default() == &MetricsRegistry::Default());
  CHECK(kPrometheusTextContentType == "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace
}  // namespace catena
