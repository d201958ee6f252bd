#include "inference/models/spec_builder.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace catena::inference::models {
namespace {

TensorRef ToRef(const GgufTensor& tensor) {
  TensorRef ref;
  ref.name = tensor.name;
  ref.view.type = tensor.type;
  ref.view.cols = tensor.shape.empty() ? 0 : tensor.shape[0];
  ref.view.rows = tensor.rows();
  ref.view.data = tensor.data;
  ref.view.row_bytes = ref.view.rows == 0 ? 0 : static_cast<int64_t>(tensor.size_bytes) / ref.view.rows;
  return ref;
}

std::string ShapeText(const GgufTensor& tensor) {
  std::string text = "[";
  for (size_t i = 0; i < tensor.shape.size(); ++i) {
    absl::StrAppend(&text, i == 0 ? "" : ", ", tensor.shape[i]);
  }
  return text + "]";
}

}  // namespace

std::string LayerTensor(int64_t layer, std::string_view suffix) {
  return absl::StrCat("blk.", layer, ".", std::string(suffix));
}

SpecBuilder::SpecBuilder(const GgufFile& file, std::string architecture)
    : file_(file), architecture_(std::move(architecture)) {}

std::string SpecBuilder::Key(std::string_view suffix) const {
  return absl::StrCat(architecture_, ".", std::string(suffix));
}

absl::StatusOr<int64_t> SpecBuilder::PositiveInt(std::string_view suffix, std::optional<int64_t> fallback) const {
  const std::string key = Key(suffix);
  if (file_.metadata().Find(key) == nullptr && fallback.has_value()) return *fallback;
  CATENA_ASSIGN_OR_RETURN(int64_t value, file_.metadata().GetInt64(key));
  if (value <= 0 || value > (int64_t{1} << 32)) {
    return absl::InvalidArgumentError(absl::StrCat("metadata ", key, " = ", value, " is not a usable size"));
  }
  return value;
}

absl::StatusOr<float> SpecBuilder::Float(std::string_view suffix, std::optional<float> fallback) const {
  const std::string key = Key(suffix);
  if (file_.metadata().Find(key) == nullptr && fallback.has_value()) return *fallback;
  CATENA_ASSIGN_OR_RETURN(float value, file_.metadata().GetFloat32(key));
  if (!std::isfinite(value)) return absl::InvalidArgumentError(absl::StrCat("metadata ", key, " is not finite"));
  return value;
}

absl::StatusOr<TensorRef> SpecBuilder::OptionalMatrix(const std::string& name, int64_t cols, int64_t rows) const {
  const GgufTensor* tensor = file_.FindTensor(name);
  if (tensor == nullptr) return TensorRef{};
  if (tensor->shape.size() != 2 || tensor->shape[0] != cols || tensor->shape[1] != rows) {
    return absl::InvalidArgumentError(absl::StrCat("tensor ", name, " has shape ", ShapeText(*tensor),
                                                   ", the model's hyperparameters need [", cols, ", ", rows, "]"));
  }
  return ToRef(*tensor);
}

absl::StatusOr<TensorRef> SpecBuilder::Matrix(const std::string& name, int64_t cols, int64_t rows) const {
  CATENA_ASSIGN_OR_RETURN(TensorRef ref, OptionalMatrix(name, cols, rows));
  if (!ref.present()) return absl::NotFoundError(absl::StrCat("model has no tensor ", name));
  return ref;
}

absl::StatusOr<TensorRef> SpecBuilder::OptionalVector(const std::string& name, int64_t length) const {
  const GgufTensor* tensor = file_.FindTensor(name);
  if (tensor == nullptr) return TensorRef{};
  if (tensor->type != GgmlType::kF32 || tensor->elements() != length || tensor->shape[0] != length) {
    return absl::InvalidArgumentError(absl::StrCat("tensor ", name, " must be an f32 vector of ", length,
                                                   " elements, found ", std::string(TraitsOf(tensor->type).name), " ",
                                                   ShapeText(*tensor)));
  }
  return ToRef(*tensor);
}

absl::StatusOr<TensorRef> SpecBuilder::Vector(const std::string& name, int64_t length) const {
  CATENA_ASSIGN_OR_RETURN(TensorRef ref, OptionalVector(name, length));
  if (!ref.present()) return absl::NotFoundError(absl::StrCat("model has no tensor ", name));
  return ref;
}

absl::Status SpecBuilder::ReadCommonShape(TransformerSpec& spec) const {
  spec.architecture = architecture_;
  spec.name = file_.metadata().GetString("general.name").value_or(architecture_);
  CATENA_ASSIGN_OR_RETURN(spec.embedding_length, PositiveInt("embedding_length"));
  CATENA_ASSIGN_OR_RETURN(spec.layer_count, PositiveInt("block_count"));
  CATENA_ASSIGN_OR_RETURN(spec.head_count, PositiveInt("attention.head_count"));
  CATENA_ASSIGN_OR_RETURN(spec.head_count_kv, PositiveInt("attention.head_count_kv", spec.head_count));
  CATENA_ASSIGN_OR_RETURN(spec.feed_forward_length, PositiveInt("feed_forward_length"));
  CATENA_ASSIGN_OR_RETURN(spec.context_length, PositiveInt("context_length"));
  if (spec.embedding_length % spec.head_count != 0 || spec.head_count % spec.head_count_kv != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        architecture_, ": embedding_length ", spec.embedding_length, " must divide into ", spec.head_count,
        " heads, and head_count into head_count_kv ", spec.head_count_kv, " groups"));
  }
  spec.head_dim = spec.embedding_length / spec.head_count;
  const GgufTensor* embedding = file_.FindTensor("token_embd.weight");
  if (embedding == nullptr || embedding->shape.size() != 2) {
    return absl::NotFoundError("model has no 2-D tensor token_embd.weight");
  }
  spec.vocab_size = embedding->shape[1];
  CATENA_ASSIGN_OR_RETURN(spec.token_embedding,
                          Matrix("token_embd.weight", spec.embedding_length, spec.vocab_size));
  return absl::OkStatus();
}

absl::Status SpecBuilder::ReadRope(TransformerSpec& spec, RopeStyle style) const {
  spec.rope_style = style;
  CATENA_ASSIGN_OR_RETURN(float base, Float("rope.freq_base", 10000.0f));
  const int64_t pairs = spec.head_dim / 2;
  CATENA_ASSIGN_OR_RETURN(TensorRef factors, OptionalVector("rope_freqs.weight", pairs));
  const float* factor = reinterpret_cast<const float*>(factors.view.data);
  spec.rope_inv_freq.resize(pairs);
  for (int64_t i = 0; i < pairs; ++i) {
    double inv = std::pow(static_cast<double>(base), -2.0 * static_cast<double>(i) / spec.head_dim);
    if (factor != nullptr) {
      if (!(factor[i] > 0) || !std::isfinite(factor[i])) {
        return absl::InvalidArgumentError(
            absl::StrCat("tensor rope_freqs.weight element ", i, " must be a positive finite factor"));
      }
      inv /= factor[i];
    }
    spec.rope_inv_freq[i] = static_cast<float>(inv);
  }
  return absl::OkStatus();
}

absl::Status SpecBuilder::ReadDecoderLayers(TransformerSpec& spec, bool qkv_bias) const {
  const int64_t dim = spec.embedding_length;
  const int64_t kv_dim = spec.head_count_kv * spec.head_dim;
  const int64_t ff = spec.feed_forward_length;
  spec.layers.resize(spec.layer_count);
  for (int64_t i = 0; i < spec.layer_count; ++i) {
    TransformerLayer& layer = spec.layers[i];
    CATENA_ASSIGN_OR_RETURN(layer.attn_norm, Vector(LayerTensor(i, "attn_norm.weight"), dim));
    CATENA_ASSIGN_OR_RETURN(layer.wq, Matrix(LayerTensor(i, "attn_q.weight"), dim, dim));
    CATENA_ASSIGN_OR_RETURN(layer.wk, Matrix(LayerTensor(i, "attn_k.weight"), dim, kv_dim));
    CATENA_ASSIGN_OR_RETURN(layer.wv, Matrix(LayerTensor(i, "attn_v.weight"), dim, kv_dim));
    CATENA_ASSIGN_OR_RETURN(layer.wo, Matrix(LayerTensor(i, "attn_output.weight"), dim, dim));
    if (qkv_bias) {
      CATENA_ASSIGN_OR_RETURN(layer.bq, Vector(LayerTensor(i, "attn_q.bias"), dim));
      CATENA_ASSIGN_OR_RETURN(layer.bk, Vector(LayerTensor(i, "attn_k.bias"), kv_dim));
      CATENA_ASSIGN_OR_RETURN(layer.bv, Vector(LayerTensor(i, "attn_v.bias"), kv_dim));
    }
    CATENA_ASSIGN_OR_RETURN(layer.ffn_norm, Vector(LayerTensor(i, "ffn_norm.weight"), dim));
    CATENA_ASSIGN_OR_RETURN(layer.w_gate, Matrix(LayerTensor(i, "ffn_gate.weight"), dim, ff));
    CATENA_ASSIGN_OR_RETURN(layer.w_up, Matrix(LayerTensor(i, "ffn_up.weight"), dim, ff));
    CATENA_ASSIGN_OR_RETURN(layer.w_down, Matrix(LayerTensor(i, "ffn_down.weight"), ff, dim));
  }
  CATENA_ASSIGN_OR_RETURN(spec.output_norm, Vector("output_norm.weight", dim));
  CATENA_ASSIGN_OR_RETURN(spec.output, OptionalMatrix("output.weight", dim, spec.vocab_size));
  if (!spec.output.present()) spec.output = spec.token_embedding;  // tied embeddings
  return absl::OkStatus();
}

}  // namespace catena::inference::models
