// The CPU decoder session: a contiguous F32 KV cache per layer and the llama-family forward pass (pre-norm
// RMSNorm blocks, rotary attention with grouped KV heads, SwiGLU), batched over the tokens of one call so a
// prompt reads every weight once.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/cpu_model.h"
#include "inference/kernels.h"

namespace catena::inference::cpu {
namespace {

class CpuDecoderSession final : public DecoderSession {
 public:
  CpuDecoderSession(CpuModel& model, int64_t capacity)
      : model_(model), spec_(model.spec()), capacity_(capacity),
        kv_dim_(spec_.head_count_kv * spec_.head_dim) {
    const size_t per_layer = static_cast<size_t>(capacity_ * kv_dim_);
    keys_.assign(spec_.layers.size(), std::vector<float>(per_layer));
    values_.assign(spec_.layers.size(), std::vector<float>(per_layer));
  }

  int64_t position() const override { return position_; }
  int64_t capacity() const override { return capacity_; }
  void Truncate(int64_t length) override { position_ = std::clamp<int64_t>(length, 0, position_); }

  absl::StatusOr<std::span<const float>> Forward(std::span<const int32_t> tokens, bool all_logits) override {
    const int64_t n = static_cast<int64_t>(tokens.size());
    if (n == 0) return absl::InvalidArgumentError("Forward needs at least one token");
    if (position_ + n > capacity_) {
      return absl::OutOfRangeError(absl::StrCat("sequence would reach ", position_ + n,
                                                " positions; the session holds ", capacity_));
    }
    CATENA_RETURN_IF_ERROR(CheckTokens(tokens, spec_.vocab_size));
    std::lock_guard lock(model_.forward_mutex());
    Embed(tokens);
    for (size_t l = 0; l < spec_.layers.size(); ++l) Layer(l, n);
    const int64_t first = all_logits ? 0 : n - 1;
    Logits(first, n);
    position_ += n;
    return std::span<const float>(logits_);
  }

 private:
  void Embed(std::span<const int32_t> tokens) {
    const int64_t dim = spec_.embedding_length;
    x_.resize(tokens.size() * dim);
    for (size_t t = 0; t < tokens.size(); ++t) {
      DequantizeRowInto(spec_.token_embedding.view, tokens[t], std::span<float>(x_.data() + t * dim, dim));
    }
  }

  void NormRows(const std::vector<float>& in, const TensorRef& weight, int64_t first, int64_t n,
                std::vector<float>& out) {
    const int64_t dim = spec_.embedding_length;
    out.resize(static_cast<size_t>((n - first) * dim));
    for (int64_t t = first; t < n; ++t) {
      RmsNorm(std::span<const float>(in.data() + t * dim, dim), Floats(weight), spec_.norm_epsilon,
              std::span<float>(out.data() + (t - first) * dim, dim));
    }
  }

  // Rotates q and k of every token and stores k and v at their positions in layer `l`'s cache.
  void RopeAndCache(size_t l, int64_t n) {
    const int64_t hd = spec_.head_dim, dim = spec_.embedding_length;
    for (int64_t t = 0; t < n; ++t) {
      const int64_t pos = position_ + t;
      for (int64_t h = 0; h < spec_.head_count; ++h) {
        ApplyRope(std::span<float>(q_.data() + t * dim + h * hd, hd), spec_.rope_inv_freq, pos, spec_.rope_style);
      }
      for (int64_t h = 0; h < spec_.head_count_kv; ++h) {
        ApplyRope(std::span<float>(k_.data() + t * kv_dim_ + h * hd, hd), spec_.rope_inv_freq, pos,
                  spec_.rope_style);
      }
      std::copy_n(k_.data() + t * kv_dim_, kv_dim_, keys_[l].data() + pos * kv_dim_);
      std::copy_n(v_.data() + t * kv_dim_, kv_dim_, values_[l].data() + pos * kv_dim_);
    }
  }

  void Attention(size_t l, int64_t n) {
    const int64_t hd = spec_.head_dim, dim = spec_.embedding_length, heads = spec_.head_count;
    const int64_t group = spec_.head_count / spec_.head_count_kv;
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
    attn_.resize(static_cast<size_t>(n * dim));
    model_.pool().ParallelFor(n * heads, 1, [&](int64_t begin, int64_t end) {
      for (int64_t job = begin; job < end; ++job) {
        const int64_t t = job / heads, h = job % heads, kv_head = h / group;
        Attend(q_.data() + t * dim + h * hd, keys_[l].data() + kv_head * hd, values_[l].data() + kv_head * hd,
               position_ + t + 1, hd, kv_dim_, scale, attn_.data() + t * dim + h * hd);
      }
    });
  }

  void Layer(size_t l, int64_t n) {
    const TransformerLayer& layer = spec_.layers[l];
    ComputePool& pool = model_.pool();
    NormRows(x_, layer.attn_norm, 0, n, xn_);
    Project(layer.wq, layer.bq, xn_, n, q_, pool);
    Project(layer.wk, layer.bk, xn_, n, k_, pool);
    Project(layer.wv, layer.bv, xn_, n, v_, pool);
    RopeAndCache(l, n);
    Attention(l, n);
    Project(layer.wo, layer.bo, attn_, n, out_, pool);
    for (size_t i = 0; i < x_.size(); ++i) x_[i] += out_[i];
    NormRows(x_, layer.ffn_norm, 0, n, xn_);
    Project(layer.w_gate, {}, xn_, n, gate_, pool);
    Project(layer.w_up, {}, xn_, n, up_, pool);
    SwiGlu(gate_, up_, gate_);
    Project(layer.w_down, {}, gate_, n, out_, pool);
    for (size_t i = 0; i < x_.size(); ++i) x_[i] += out_[i];
  }

  void Logits(int64_t first, int64_t n) {
    NormRows(x_, spec_.output_norm, first, n, xn_);
    MatMulInto(spec_.output.view, xn_, n - first, logits_);
  }

  void MatMulInto(const WeightView& w, const std::vector<float>& x, int64_t batch, std::vector<float>& y) {
    y.resize(static_cast<size_t>(batch * w.rows));
    MatMul(w, x.data(), batch, y.data(), model_.pool());
  }

  CpuModel& model_;
  const TransformerSpec& spec_;
  const int64_t capacity_;
  const int64_t kv_dim_;
  int64_t position_ = 0;
  std::vector<std::vector<float>> keys_, values_;  // per layer: capacity x kv_dim
  std::vector<float> x_, xn_, q_, k_, v_, attn_, out_, gate_, up_, logits_;
};

}  // namespace

std::unique_ptr<DecoderSession> NewCpuDecoderSession(CpuModel& model, int64_t capacity) {
  return std::make_unique<CpuDecoderSession>(model, capacity);
}

}  // namespace catena::inference::cpu
