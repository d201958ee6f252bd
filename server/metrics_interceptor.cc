#include "server/metrics_interceptor.h"

#include <chrono>
#include <string>

#include "absl/status/status.h"
#include "common/metrics.h"

namespace catena::server {
namespace {

namespace gx = grpc::experimental;

// The metric families, registered once per registry.
struct GrpcMetrics {
  CounterFamily* requests = nullptr;
  HistogramFamily* duration = nullptr;
  GaugeFamily* in_flight = nullptr;
};

GrpcMetrics RegisterGrpcMetrics(MetricsRegistry& registry) {
  GrpcMetrics metrics;
  metrics.requests = registry
                         .AddCounter("catena_grpc_requests_total", "gRPC calls finished, by method and status code.",
                                     {"method", "code"})
                         .value();
  metrics.duration = registry
                         .AddHistogram("catena_grpc_request_duration_seconds",
                                       "Time from receiving a gRPC call to sending its status.", {"method"})
                         .value();
  metrics.in_flight =
      registry.AddGauge("catena_grpc_requests_in_flight", "gRPC calls being handled now.", {"method"}).value();
  return metrics;
}

class MetricsInterceptor final : public gx::Interceptor {
 public:
  MetricsInterceptor(const GrpcMetrics& metrics, const char* method)
      : metrics_(metrics), method_(method == nullptr ? "unknown" : method) {
    in_flight_.Add(1);
  }

  void Intercept(gx::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(gx::InterceptionHookPoints::PRE_SEND_STATUS)) {
      Record(methods->GetSendStatus());
    }
    methods->Proceed();
  }

  ~MetricsInterceptor() override { in_flight_.Sub(1); }

 private:
  void Record(const grpc::Status& status) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    const auto code = static_cast<absl::StatusCode>(status.error_code());
    metrics_.requests->WithLabels({method_, absl::StatusCodeToString(code)}).Increment();
    duration_.Observe(seconds);
  }

  const GrpcMetrics& metrics_;
  std::string method_;
  // Children looked up once per call; only the status code's child is found at the end.
  Gauge& in_flight_ = metrics_.in_flight->WithLabels({method_});
  Histogram& duration_ = metrics_.duration->WithLabels({method_});
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

class MetricsInterceptorFactory final : public gx::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(MetricsRegistry& registry) : metrics_(RegisterGrpcMetrics(registry)) {}

  gx::Interceptor* CreateServerInterceptor(gx::ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_, info->method());
  }

 private:
  GrpcMetrics metrics_;
};

}  // namespace

std::vector<std::unique_ptr<gx::ServerInterceptorFactoryInterface>> MakeMetricsInterceptors(MetricsRegistry& registry) {
  std::vector<std::unique_ptr<gx::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<MetricsInterceptorFactory>(registry));
  return factories;
}

}  // namespace catena::server
