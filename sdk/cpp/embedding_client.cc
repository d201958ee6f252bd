#include "catena/embedding_client.h"

#include "catena/v1/embedding.grpc.pb.h"
#include "sdk/cpp/transport.h"

namespace catena::sdk {

using Stub = v1::EmbeddingService::Stub;

absl::StatusOr<v1::EmbedResponse> EmbeddingClient::Embed(const v1::EmbedRequest& request,
                                                         const CallOptions& options) const {
  return transport_->Unary(&Stub::Embed, request, /*idempotent=*/true, options);
}

absl::StatusOr<v1::ListEmbeddersResponse> EmbeddingClient::ListEmbedders(const v1::ListEmbeddersRequest& request,
                                                                         const CallOptions& options) const {
  return transport_->Unary(&Stub::ListEmbedders, request, /*idempotent=*/true, options);
}

}  // namespace catena::sdk
