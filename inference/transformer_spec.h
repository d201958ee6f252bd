// TransformerSpec: a model architecture reduced to what a backend needs to run it: hyperparameters, flags and
// the weight tensors of every layer, pointing into a GgufFile. Architecture files (inference/models/) build it
// from GGUF metadata; backends (CpuBackend, later CudaBackend) execute it. Plain data; the GgufFile it points
// into must outlive it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "inference/kernels.h"

namespace catena::inference {

// A tensor of the file, as a matrix (rows x cols) or a vector (rows == 1).
struct TensorRef {
  std::string name;
  WeightView view;
  bool present() const { return view.data != nullptr; }
};

// Decoder-only (llama, qwen2, mistral, ...) or bidirectional encoder (bert).
enum class TransformerKind { kDecoder, kEncoder };
enum class Pooling { kNone, kMean, kCls };

struct TransformerLayer {
  TensorRef attn_norm, attn_norm_bias;  // decoders: RMSNorm before attention; encoders: LayerNorm after it
  TensorRef wq, wk, wv, wo;
  TensorRef bq, bk, bv, bo;             // optional biases (qwen2: q/k/v; bert: all)
  TensorRef ffn_norm, ffn_norm_bias;    // decoders: RMSNorm before the FFN; encoders: LayerNorm after it
  TensorRef w_gate;                     // decoders: SwiGLU gate; absent for bert (GELU MLP)
  TensorRef w_up, w_down;
  TensorRef b_up, b_down;
};

struct TransformerSpec {
  std::string architecture;  // general.architecture
  std::string name;          // general.name
  TransformerKind kind = TransformerKind::kDecoder;
  int64_t vocab_size = 0;
  int64_t embedding_length = 0;
  int64_t layer_count = 0;
  int64_t head_count = 0;
  int64_t head_count_kv = 0;
  int64_t head_dim = 0;
  int64_t feed_forward_length = 0;
  int64_t context_length = 0;
  float norm_epsilon = 1e-5f;
  // Rotary embeddings (decoders): inverse frequencies per rotated pair, scaling already applied.
  RopeStyle rope_style = RopeStyle::kAdjacentPairs;
  std::vector<float> rope_inv_freq;
  Pooling pooling = Pooling::kNone;

  TensorRef token_embedding;
  TensorRef position_embedding, token_type_embedding;  // bert
  TensorRef embedding_norm, embedding_norm_bias;       // bert
  std::vector<TransformerLayer> layers;
  TensorRef output_norm;
  TensorRef output;  // the LM head; equals token_embedding when tied

  // Bytes of weights one decode step reads: every matrix and vector except the embedding table(s), of which
  // one row is read (the LM head counts in full, even when tied).
  int64_t DecodeBytesPerToken() const;
};

}  // namespace catena::inference
