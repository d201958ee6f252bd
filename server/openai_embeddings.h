// The body of a POST /v1/embeddings answer: the named embedder's vectors for each input, as float arrays or as
// base64 of little-endian float32 (encoding_format "base64", what the openai clients ask for by default), with
// usage counted in whitespace-separated words. Runs the embedder on the calling thread. Thread-safe.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "server/openai_request.h"

namespace catena::inference {
class EmbedderRegistry;
}

namespace catena::server {

// NOT_FOUND when `request.model` names no embedder; INVALID_ARGUMENT (field "dimensions") when the requested
// dimensions differ from the embedder's; the embedder's own errors otherwise.
absl::StatusOr<std::string> EmbeddingsResponseJson(const inference::EmbedderRegistry& embedders,
                                                   const EmbeddingsRequest& request);

}  // namespace catena::server
