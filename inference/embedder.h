// The Embedder interface: turns texts into fixed-size vectors. Implementations: HashingEmbedder and
// WordVectorEmbedder (here), the GGUF BERT encoder (inference runtime), remote OpenAI-compatible APIs
// (connectors). Used by retrieval (documents and queries), memory (semantic recall) and EmbeddingService.
// Implementations are immutable after construction and safe to call from many threads at once.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace catena::inference {

// Queries may be embedded differently from documents (e.g. instruction prefixes).
enum class EmbedInputKind { kDocument, kQuery };

struct EmbedderInfo {
  // Name clients use to pick it, e.g. "hashing-384" or "glove-100d".
  std::string name;
  int dimension = 0;
  // "hashing", "word-vectors", "gguf", "openai-compatible".
  std::string kind;
  // Longest input it reads; longer input is truncated. 0 = unlimited.
  int max_input_tokens = 0;
};

// A batch of vectors stored row-major: row i is values[i * dimension, (i + 1) * dimension).
struct Embeddings {
  int dimension = 0;
  std::vector<float> values;

  size_t size() const { return dimension == 0 ? 0 : values.size() / static_cast<size_t>(dimension); }
  std::span<const float> Row(size_t i) const {
    return {values.data() + i * static_cast<size_t>(dimension), static_cast<size_t>(dimension)};
  }
};

class Embedder {
 public:
  virtual ~Embedder() = default;
  virtual const EmbedderInfo& info() const = 0;
  // One L2-normalized vector per text, in input order. INVALID_ARGUMENT for input it cannot embed.
  virtual absl::StatusOr<Embeddings> Embed(std::span<const std::string> texts, EmbedInputKind kind) const = 0;
};

// Finds embedders by name: what the chain engine's embed node needs. Implemented by EmbedderRegistry
// (in-process) and remote::GrpcEmbedders (EmbeddingService over gRPC). Thread-safe.
class EmbedderSource {
 public:
  virtual ~EmbedderSource() = default;
  // The embedder named `name`; an empty name picks the default. NOT_FOUND lists the known names.
  virtual absl::StatusOr<std::shared_ptr<const Embedder>> Find(std::string_view name) const = 0;
};

// Scales `vector` to unit L2 norm in place; a zero vector stays zero.
void NormalizeL2(std::span<float> vector);

}  // namespace catena::inference
