#include "inference/transformer_spec.h"

namespace catena::inference {
namespace {

int64_t Bytes(const TensorRef& ref) { return ref.present() ? ref.view.rows * ref.view.row_bytes : 0; }

}  // namespace

int64_t TransformerSpec::DecodeBytesPerToken() const {
  int64_t bytes = token_embedding.view.row_bytes + Bytes(output_norm) + Bytes(output);
  for (const TransformerLayer& l : layers) {
    for (const TensorRef* ref : {&l.attn_norm, &l.attn_norm_bias, &l.wq, &l.wk, &l.wv, &l.wo, &l.bq, &l.bk,
                                 &l.bv, &l.bo, &l.ffn_norm, &l.ffn_norm_bias, &l.w_gate, &l.w_up, &l.w_down,
                                 &l.b_up, &l.b_down}) {
      bytes += Bytes(*ref);
    }
  }
  return bytes;
}

}  // namespace catena::inference
