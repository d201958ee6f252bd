// OpenAiEmbeddingsClient: POST {base_url}/embeddings against any OpenAI-compatible server. Splits inputs into
// batches, orders each batch's vectors by their `index`, and checks count and dimensions. chains/remote_embedder.h
// adapts it to inference::Embedder. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "connectors/openai_common.h"

namespace catena::connectors {

struct OpenAiEmbeddingsOptions {
  OpenAiClientOptions client;
  std::string model;
  size_t batch_size = 64;      // inputs per request
  int dimensions = 0;          // > 0: every vector must have this many values
  bool send_dimensions = false;  // also send `dimensions` in the request (models that can shorten vectors)
};

class OpenAiEmbeddingsClient {
 public:
  // Resolves the API key and validates options.
  static absl::StatusOr<std::unique_ptr<OpenAiEmbeddingsClient>> Create(OpenAiEmbeddingsOptions options);

  // One vector per input, in input order. Errors: the server's (see OpenAiTransport::MapHttpError); INTERNAL for
  // malformed replies, wrong counts, duplicate or out-of-range indexes, or dimensions other than expected.
  absl::StatusOr<std::vector<std::vector<float>>> Embed(const std::vector<std::string>& inputs,
                                                        absl::Time deadline = absl::InfiniteFuture());

  const OpenAiEmbeddingsOptions& options() const { return options_; }
  OpenAiTransport& transport() { return *transport_; }

 private:
  OpenAiEmbeddingsClient(OpenAiEmbeddingsOptions options, std::shared_ptr<OpenAiTransport> transport)
      : options_(std::move(options)), transport_(std::move(transport)) {}
  absl::StatusOr<std::vector<std::vector<float>>> EmbedBatch(const std::vector<std::string>& batch,
                                                             absl::Time deadline);

  OpenAiEmbeddingsOptions options_;
  std::shared_ptr<OpenAiTransport> transport_;
};

// Parses an embeddings reply for `expected` inputs into vectors ordered by index (checks as Embed).
absl::StatusOr<std::vector<std::vector<float>>> ParseEmbeddingsJson(std::string_view body, size_t expected,
                                                                    int dimensions);

}  // namespace catena::connectors
