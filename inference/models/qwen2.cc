// The qwen2 architecture: the llama layer with biases on the q/k/v projections and NeoX-style RoPE (rotating
// the two halves of each head).
#include "common/status.h"
#include "inference/models/architectures.h"
#include "inference/models/spec_builder.h"

namespace catena::inference::models {

absl::StatusOr<TransformerSpec> BuildQwen2Spec(const GgufFile& file) {
  SpecBuilder builder(file, "qwen2");
  TransformerSpec spec;
  spec.kind = TransformerKind::kDecoder;
  CATENA_RETURN_IF_ERROR(builder.ReadCommonShape(spec));
  CATENA_ASSIGN_OR_RETURN(spec.norm_epsilon, builder.Float("attention.layer_norm_rms_epsilon", 1e-6f));
  CATENA_RETURN_IF_ERROR(builder.ReadRope(spec, RopeStyle::kHalves));
  CATENA_RETURN_IF_ERROR(builder.ReadDecoderLayers(spec, /*qkv_bias=*/true));
  return spec;
}

}  // namespace catena::inference::models
