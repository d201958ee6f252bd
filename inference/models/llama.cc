// The llama architecture (LLaMA 1/2/3, Mistral, TinyLlama, SmolLM): RMSNorm, RoPE on adjacent pairs with
// optional Llama-3 frequency factors (rope_freqs.weight), grouped-query attention, SwiGLU, tied or separate
// output.
#include "common/status.h"
#include "inference/models/architectures.h"
#include "inference/models/spec_builder.h"

namespace catena::inference::models {

absl::StatusOr<TransformerSpec> BuildLlamaSpec(const GgufFile& file) {
  SpecBuilder builder(file, "llama");
  TransformerSpec spec;
  spec.kind = TransformerKind::kDecoder;
  CATENA_RETURN_IF_ERROR(builder.ReadCommonShape(spec));
  CATENA_ASSIGN_OR_RETURN(spec.norm_epsilon, builder.Float("attention.layer_norm_rms_epsilon", 1e-5f));
  CATENA_RETURN_IF_ERROR(builder.ReadRope(spec, RopeStyle::kAdjacentPairs));
  CATENA_RETURN_IF_ERROR(builder.ReadDecoderLayers(spec, /*qkv_bias=*/false));
  return spec;
}

}  // namespace catena::inference::models
