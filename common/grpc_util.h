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

// The paging convention of every list call: page_size 0 means kDefaultPageSize, at most kMaxPageSize.
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;
// The page size to use; INVALID_ARGUMENT naming page.page_size outside 0..kMaxPageSize.
absl::StatusOr<int> PageSizeOrDefault(int page_size);

// Runs `handler(const RequestContext&)` inline for a unary callback call and finishes the call with the
// Status it returns. The handler does not run (and the call fails) for a malformed tenant header
// (INVALID_ARGUMENT) or a deadline that passed before the call started (DEADLINE_EXCEEDED).
template <typename Handler>
grpc::ServerUnaryReactor* FinishUnary(grpc::CallbackServerContext* context, Handler&& handler) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<RequestContext> request = RequestContextFromServer(*context);
  absl::Status status = request.status();
  if (status.ok() && request->Expired()) status = absl::DeadlineExceededError("deadline passed before start");
  if (status.ok()) status = handler(*request);
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace catena
