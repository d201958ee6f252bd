// gRPC edge helpers used by every service handler: builds a RequestContext from call metadata and converts
// between absl::Status and grpc::Status (the codes map 1:1). Handlers call these and nothing else gRPC-specific.
#pragma once

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/request_context.h"

namespace catena {

inline constexpr char kTenantHeader[] = "x-catena-tenant";
inline constexpr char kRequestIdHeader[] = "x-request-id";

// Reads tenant (x-catena-tenant, default "default"), request id (x-request-id, generated when absent or
// longer than 128 bytes) and deadline from a server call. INVALID_ARGUMENT for a malformed tenant id.
absl::StatusOr<RequestContext> RequestContextFromServer(const grpc::ServerContextBase& server_context);

// Converts a Status for the wire; the message is kept, the code maps 1:1.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Converts a status received from a gRPC call.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace catena
