// RemoteEmbedder: an inference::Embedder (kind "openai-compatible") over connectors::OpenAiEmbeddingsClient, so
// `embed` nodes, retrieval collections, memory and EmbeddingService can use any OpenAI-compatible /embeddings
// endpoint. Registered by catenad from `embedding.remote`. Thread-safe; Embed blocks the calling thread for
// the HTTP round trips (as the in-process embedders block for their compute).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "connectors/openai_embeddings_client.h"
#include "inference/embedder.h"

namespace catena::chains {

struct RemoteEmbedderSpec {
  std::string name;                             // the embedder name clients use
  connectors::OpenAiEmbeddingsOptions client;   // model, batch_size, dimensions (0 = probe once at Create)
  absl::Duration timeout = absl::Seconds(60);   // per Embed call, all batches and retries included
  int max_input_tokens = 0;                     // informational (EmbedderInfo)
};

class RemoteEmbedder final : public inference::Embedder {
 public:
  // Validates the spec; with dimensions 0, embeds one probe text to learn the dimension (the server must be up).
  // Errors name the embedder.
  static absl::StatusOr<std::unique_ptr<RemoteEmbedder>> Create(RemoteEmbedderSpec spec);

  const inference::EmbedderInfo& info() const override { return info_; }
  // L2-normalized vectors in input order; server errors keep their codes, a wrong dimension is INTERNAL.
  absl::StatusOr<inference::Embeddings> Embed(std::span<const std::string> texts,
                                              inference::EmbedInputKind kind) const override;

 private:
  RemoteEmbedder(std::unique_ptr<connectors::OpenAiEmbeddingsClient> client, inference::EmbedderInfo info,
                 absl::Duration timeout)
      : client_(std::move(client)), info_(std::move(info)), timeout_(timeout) {}

  std::unique_ptr<connectors::OpenAiEmbeddingsClient> client_;
  inference::EmbedderInfo info_;
  absl::Duration timeout_;
};

}  // namespace catena::chains
