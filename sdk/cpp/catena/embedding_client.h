// EmbeddingClient: typed wrapper of catena.v1.EmbeddingService (text embeddings), reached through
// Client::embedding(). Thread-safe; valid as long as its Client.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "catena/call_options.h"
#include "catena/v1/embedding.pb.h"

namespace catena::sdk {
namespace internal {
class Transport;
}  // namespace internal

class EmbeddingClient {
 public:
  explicit EmbeddingClient(std::shared_ptr<const internal::Transport> transport) : transport_(std::move(transport)) {}

  // One vector per input text, in order. Idempotent.
  absl::StatusOr<v1::EmbedResponse> Embed(const v1::EmbedRequest& request, const CallOptions& options = {}) const;
  // The configured embedders with their dimensions. Idempotent.
  absl::StatusOr<v1::ListEmbeddersResponse> ListEmbedders(const v1::ListEmbeddersRequest& request,
                                                          const CallOptions& options = {}) const;

 private:
  std::shared_ptr<const internal::Transport> transport_;
};

}  // namespace catena::sdk
