// Helpers the architecture files share to build a TransformerSpec from a GgufFile: hyperparameters under
// "<arch>." keys and tensors checked for presence, type and shape, with errors that name the file's tensor or
// key. Not thread-safe (one builder per load).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "inference/gguf.h"
#include "inference/transformer_spec.h"

namespace catena::inference::models {

class SpecBuilder {
 public:
  explicit SpecBuilder(const GgufFile& file, std::string architecture);

  // "<arch>.<suffix>" as an integer > 0 (or `fallback` when absent and a fallback is given).
  absl::StatusOr<int64_t> PositiveInt(std::string_view suffix, std::optional<int64_t> fallback = {}) const;
  // "<arch>.<suffix>" as a float (or `fallback` when absent).
  absl::StatusOr<float> Float(std::string_view suffix, std::optional<float> fallback = {}) const;
  // The matrix `name` with `cols` columns and `rows` rows (ggml shape [cols, rows]).
  absl::StatusOr<TensorRef> Matrix(const std::string& name, int64_t cols, int64_t rows) const;
  // The F32 vector `name` of `length` elements.
  absl::StatusOr<TensorRef> Vector(const std::string& name, int64_t length) const;
  // Like Matrix/Vector but an absent tensor gives an empty TensorRef.
  absl::StatusOr<TensorRef> OptionalMatrix(const std::string& name, int64_t cols, int64_t rows) const;
  absl::StatusOr<TensorRef> OptionalVector(const std::string& name, int64_t length) const;
  // Reads the hyperparameters every architecture shares (sizes, heads, context, vocabulary) into `spec`.
  absl::Status ReadCommonShape(TransformerSpec& spec) const;
  // Standard RoPE inverse frequencies base^(-2i/head_dim), divided by rope_freqs.weight when present.
  absl::Status ReadRope(TransformerSpec& spec, RopeStyle style) const;
  // The llama-style decoder layers (RMSNorm, attention with optional q/k/v biases, SwiGLU FFN), the final
  // norm and the LM head (tied to the embedding when output.weight is absent).
  absl::Status ReadDecoderLayers(TransformerSpec& spec, bool qkv_bias) const;

 private:
  std::string Key(std::string_view suffix) const;
  const GgufFile& file_;
  std::string architecture_;
};

// "blk.<layer>.<suffix>".
std::string LayerTensor(int64_t layer, std::string_view suffix);

}  // namespace catena::inference::models
