// EmbeddingService: the gRPC handlers of catena.v1.EmbeddingService (callback API). They validate requests,
// look the embedder up in an EmbedderRegistry and convert between protos and Embeddings; catenad registers
// the service. Handlers embed on the calling gRPC thread (CPU embedders are fast); the service is thread-safe.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>

#include "absl/status/status.h"
#include "inference/embedder_registry.h"

namespace catena::v1 {
class EmbedRequest;
}

namespace catena::inference {

// Most inputs in one Embed call, and most bytes per input.
inline constexpr int kMaxEmbedInputs = 2048;
inline constexpr size_t kMaxEmbedInputBytes = 1 << 20;

// The service answering Embed and ListEmbedders from `registry` (must not be null).
std::unique_ptr<grpc::Service> NewEmbeddingService(std::shared_ptr<const EmbedderRegistry> registry);

// OK when `request` has 1..kMaxEmbedInputs inputs of at most kMaxEmbedInputBytes each and a known input
// kind; otherwise INVALID_ARGUMENT naming the field (e.g. "inputs[3]").
absl::Status ValidateEmbedRequest(const v1::EmbedRequest& request);

}  // namespace catena::inference
