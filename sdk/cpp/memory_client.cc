#include "catena/memory_client.h"

#include "catena/v1/memory.grpc.pb.h"
#include "sdk/cpp/transport.h"

namespace catena::sdk {

using Stub = v1::MemoryService::Stub;

absl::StatusOr<v1::Session> MemoryClient::CreateSession(const v1::CreateSessionRequest& request,
                                                        const CallOptions& options) const {
  return transport_->Unary(&Stub::CreateSession, request, /*idempotent=*/false, options);
}

absl::StatusOr<v1::Session> MemoryClient::GetSession(const v1::GetSessionRequest& request,
                                                     const CallOptions& options) const {
  return transport_->Unary(&Stub::GetSession, request, /*idempotent=*/true, options);
}

absl::StatusOr<v1::ListSessionsResponse> MemoryClient::ListSessions(const v1::ListSessionsRequest& request,
                                                                    const CallOptions& options) const {
  return transport_->Unary(&Stub::ListSessions, request, /*idempotent=*/true, options);
}

absl::StatusOr<v1::DeleteSessionResponse> MemoryClient::DeleteSession(const v1::DeleteSessionRequest& request,
                                                                      const CallOptions& options) const {
  return transport_->Unary(&Stub::DeleteSession, request, /*idempotent=*/false, options);
}

absl::StatusOr<v1::AppendMessagesResponse> MemoryClient::AppendMessages(const v1::AppendMessagesRequest& request,
                                                                        const CallOptions& options) const {
  return transport_->Unary(&Stub::AppendMessages, request, /*idempotent=*/!request.idempotency_key().empty(), options);
}

absl::StatusOr<v1::ListMessagesResponse> MemoryClient::ListMessages(const v1::ListMessagesRequest& request,
                                                                    const CallOptions& options) const {
  return transport_->Unary(&Stub::ListMessages, request, /*idempotent=*/true, options);
}

absl::StatusOr<v1::GetContextResponse> MemoryClient::GetContext(const v1::GetContextRequest& request,
                                                                const CallOptions& options) const {
  return transport_->Unary(&Stub::GetContext, request, /*idempotent=*/true, options);
}

absl::StatusOr<v1::PutFactsResponse> MemoryClient::PutFacts(const v1::PutFactsRequest& request,
                                                            const CallOptions& options) const {
  return transport_->Unary(&Stub::PutFacts, request, /*idempotent=*/true, options);
}

absl::StatusOr<v1::GetFactsResponse> MemoryClient::GetFacts(const v1::GetFactsRequest& request,
                                                            const CallOptions& options) const {
  return transport_->Unary(&Stub::GetFacts, request, /*idempotent=*/true, options);
}

absl::StatusOr<v1::Checkpoint> MemoryClient::PutCheckpoint(const v1::PutCheckpointRequest& request,
                                                           const CallOptions& options) const {
  return transport_->Unary(&Stub::PutCheckpoint, request, /*idempotent=*/false, options);
}

absl::StatusOr<v1::Checkpoint> MemoryClient::GetCheckpoint(const v1::GetCheckpointRequest& request,
                                                           const CallOptions& options) const {
  return transport_->Unary(&Stub::GetCheckpoint, request, /*idempotent=*/true, options);
}

absl::StatusOr<v1::ListCheckpointsResponse> MemoryClient::ListCheckpoints(const v1::ListCheckpointsRequest& request,
                                                                          const CallOptions& options) const {
  return transport_->Unary(&Stub::ListCheckpoints, request, /*idempotent=*/true, options);
}

absl::StatusOr<v1::EraseUserResponse> MemoryClient::EraseUser(const v1::EraseUserRequest& request,
                                                              const CallOptions& options) const {
  return transport_->Unary(&Stub::EraseUser, request, /*idempotent=*/true, options);
}

}  // namespace catena::sdk
