// The bert architecture (BERT, MiniLM, bge, e5 encoders): learned absolute positions and token types,
// post-LayerNorm blocks with biases everywhere, bidirectional attention, GELU MLP, then mean or CLS pooling
// and L2 normalization by the runtime.
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/models/architectures.h"
#include "inference/models/spec_builder.h"

namespace catena::inference::models {
namespace {

absl::Status ReadEncoderLayer(const SpecBuilder& builder, int64_t i, const TransformerSpec& spec,
                              TransformerLayer& layer) {
  const int64_t dim = spec.embedding_length;
  const int64_t ff = spec.feed_forward_length;
  CATENA_ASSIGN_OR_RETURN(layer.wq, builder.Matrix(LayerTensor(i, "attn_q.weight"), dim, dim));
  CATENA_ASSIGN_OR_RETURN(layer.wk, builder.Matrix(LayerTensor(i, "attn_k.weight"), dim, dim));
  CATENA_ASSIGN_OR_RETURN(layer.wv, builder.Matrix(LayerTensor(i, "attn_v.weight"), dim, dim));
  CATENA_ASSIGN_OR_RETURN(layer.wo, builder.Matrix(LayerTensor(i, "attn_output.weight"), dim, dim));
  CATENA_ASSIGN_OR_RETURN(layer.bq, builder.Vector(LayerTensor(i, "attn_q.bias"), dim));
  CATENA_ASSIGN_OR_RETURN(layer.bk, builder.Vector(LayerTensor(i, "attn_k.bias"), dim));
  CATENA_ASSIGN_OR_RETURN(layer.bv, builder.Vector(LayerTensor(i, "attn_v.bias"), dim));
  CATENA_ASSIGN_OR_RETURN(layer.bo, builder.Vector(LayerTensor(i, "attn_output.bias"), dim));
  CATENA_ASSIGN_OR_RETURN(layer.attn_norm, builder.Vector(LayerTensor(i, "attn_output_norm.weight"), dim));
  CATENA_ASSIGN_OR_RETURN(layer.attn_norm_bias, builder.Vector(LayerTensor(i, "attn_output_norm.bias"), dim));
  CATENA_ASSIGN_OR_RETURN(layer.w_up, builder.Matrix(LayerTensor(i, "ffn_up.weight"), dim, ff));
  CATENA_ASSIGN_OR_RETURN(layer.b_up, builder.Vector(LayerTensor(i, "ffn_up.bias"), ff));
  CATENA_ASSIGN_OR_RETURN(layer.w_down, builder.Matrix(LayerTensor(i, "ffn_down.weight"), ff, dim));
  CATENA_ASSIGN_OR_RETURN(layer.b_down, builder.Vector(LayerTensor(i, "ffn_down.bias"), dim));
  CATENA_ASSIGN_OR_RETURN(layer.ffn_norm, builder.Vector(LayerTensor(i, "layer_output_norm.weight"), dim));
  CATENA_ASSIGN_OR_RETURN(layer.ffn_norm_bias, builder.Vector(LayerTensor(i, "layer_output_norm.bias"), dim));
  return absl::OkStatus();
}

absl::StatusOr<Pooling> ReadPooling(const GgufFile& file) {
  const auto value = file.metadata().GetInt64("bert.pooling_type");
  if (!value.ok()) return Pooling::kMean;  // llama.cpp's default for bert embeddings
  switch (*value) {
    case 1: return Pooling::kMean;
    case 2: return Pooling::kCls;
    default:
      return absl::UnimplementedError(
          absl::StrCat("bert.pooling_type ", *value, " is not supported (1 = mean, 2 = cls)"));
  }
}

}  // namespace

absl::StatusOr<TransformerSpec> BuildBertSpec(const GgufFile& file) {
  SpecBuilder builder(file, "bert");
  TransformerSpec spec;
  spec.kind = TransformerKind::kEncoder;
  CATENA_RETURN_IF_ERROR(builder.ReadCommonShape(spec));
  CATENA_ASSIGN_OR_RETURN(spec.norm_epsilon, builder.Float("attention.layer_norm_epsilon", 1e-12f));
  CATENA_ASSIGN_OR_RETURN(spec.pooling, ReadPooling(file));
  const int64_t dim = spec.embedding_length;
  const GgufTensor* positions = file.FindTensor("position_embd.weight");
  if (positions == nullptr || positions->shape.size() != 2) {
    return absl::NotFoundError("model has no 2-D tensor position_embd.weight");
  }
  CATENA_ASSIGN_OR_RETURN(spec.position_embedding,
                          builder.Matrix("position_embd.weight", dim, positions->shape[1]));
  spec.context_length = std::min(spec.context_length, positions->shape[1]);
  const GgufTensor* types = file.FindTensor("token_types.weight");
  const int64_t type_rows = types != nullptr && types->shape.size() == 2 ? types->shape[1] : 0;
  CATENA_ASSIGN_OR_RETURN(spec.token_type_embedding, builder.Matrix("token_types.weight", dim, type_rows));
  CATENA_ASSIGN_OR_RETURN(spec.embedding_norm, builder.Vector("token_embd_norm.weight", dim));
  CATENA_ASSIGN_OR_RETURN(spec.embedding_norm_bias, builder.Vector("token_embd_norm.bias", dim));
  spec.layers.resize(spec.layer_count);
  for (int64_t i = 0; i < spec.layer_count; ++i) {
    CATENA_RETURN_IF_ERROR(ReadEncoderLayer(builder, i, spec, spec.layers[i]));
  }
  return spec;
}

}  // namespace catena::inference::models
