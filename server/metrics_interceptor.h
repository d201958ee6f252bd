// Server interceptors that record per-method gRPC metrics into a MetricsRegistry:
//   catena_grpc_requests_total{method,code}, catena_grpc_request_duration_seconds{method} (histogram),
//   catena_grpc_requests_in_flight{method}.
// The registry must outlive the server the interceptors are installed in.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <vector>

namespace catena {
class MetricsRegistry;
}

namespace catena::server {

// Interceptor factories to pass to ServerBuilder::experimental().SetInterceptorCreators().
std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> MakeMetricsInterceptors(
    MetricsRegistry& registry);

}  // namespace catena::server
