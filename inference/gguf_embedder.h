// GgufEmbedder: the Embedder of a GGUF encoder model (bert family: bge, MiniLM, e5), kind "gguf". Texts are
// tokenized with [CLS]/[SEP] (an input longer than the model's context is INVALID_ARGUMENT), encoded in batches
// of up to 4096 tokens, pooled and L2-normalized by the backend. Thread-safe (the model serializes its forward passes).
#pragma once

#include <memory>
#include <string>

#include "inference/embedder.h"
#include "inference/model.h"

namespace catena::inference {

class GgufEmbedder final : public Embedder {
 public:
  // FAILED_PRECONDITION when `model` is not an encoder. `name` defaults to the model's general.name.
  static absl::StatusOr<std::unique_ptr<GgufEmbedder>> Create(std::shared_ptr<const Model> model,
                                                              std::string name = "");
  const EmbedderInfo& info() const override { return info_; }
  absl::StatusOr<Embeddings> Embed(std::span<const std::string> texts, EmbedInputKind kind) const override;

 private:
  GgufEmbedder(std::shared_ptr<const Model> model, EmbedderInfo info)
      : model_(std::move(model)), info_(std::move(info)) {}
  std::shared_ptr<const Model> model_;
  EmbedderInfo info_;
};

}  // namespace catena::inference
