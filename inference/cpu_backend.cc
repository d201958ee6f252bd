#include "inference/cpu_backend.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <optional>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/cpu_model.h"
#include "inference/embedder.h"
#include "inference/kernels.h"

namespace catena::inference {
namespace cpu {
namespace {

// MADV_PAGEOUT over the whole pages inside [data, data + size): clean pages of a mapped file leave memory now
// (and are read back if touched); an owned buffer without swap keeps its pages.
void AdviseUnneeded(const std::byte* data, int64_t size) {
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + static_cast<uintptr_t>(size)) / page * page;
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_PAGEOUT);
}

}  // namespace

std::span<const float> Floats(const TensorRef& ref) {
  if (!ref.present()) return {};
  return {reinterpret_cast<const float*>(ref.view.data), static_cast<size_t>(ref.view.rows * ref.view.cols)};
}

void Project(const TensorRef& w, const TensorRef& bias, const std::vector<float>& x, int64_t batch,
             std::vector<float>& y, ComputePool& pool) {
  ProjectShared({{w, bias, y}}, x, batch, pool);
}

void ProjectShared(std::initializer_list<Projection> projections, const std::vector<float>& x, int64_t batch,
                   ComputePool& pool) {
  absl::InlinedVector<const WeightView*, 3> weights;
  absl::InlinedVector<float*, 3> outputs;
  for (const Projection& p : projections) {
    p.y.resize(static_cast<size_t>(batch * p.w.view.rows));
    weights.push_back(&p.w.view);
    outputs.push_back(p.y.data());
  }
  MatMulShared(weights, x.data(), batch, outputs, pool);
  for (const Projection& p : projections) {
    if (!p.bias.present()) continue;
    const std::span<const float> b = Floats(p.bias);
    for (int64_t i = 0; i < batch; ++i) AddInPlace(std::span<float>(p.y.data() + i * p.w.view.rows, p.w.view.rows), b);
  }
}

absl::Status CheckTokens(std::span<const int32_t> tokens, int64_t vocab_size) {
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0 || tokens[i] >= vocab_size) {
      return absl::InvalidArgumentError(absl::StrCat("token ", i, " has id ", tokens[i],
                                                     ", outside the vocabulary [0, ", vocab_size, ")"));
    }
  }
  return absl::OkStatus();
}

CpuModel::CpuModel(const TransformerSpec& spec, int threads) : spec_(spec), pool_(threads) { PackWeights(); }

void CpuModel::PackWeights() {
  const std::byte* embedding = spec_.token_embedding.view.data;
  auto pack = [&](TensorRef& ref) {
    if (!ref.present()) return;
    std::optional<PackedWeights> packed = PackForKernels(ref.view, pool_);
    if (!packed) return;
    // The GGUF bytes are no longer read (unless they are also the embedding table): let the kernel drop them
    // from memory. A hint only: a mapped file reads them back if they are touched, an owned buffer keeps them.
    if (ref.view.data != embedding) AdviseUnneeded(ref.view.data, ref.view.rows * ref.view.row_bytes);
    ref.view = packed->view;
    packed_.push_back(std::move(packed->bytes));
  };
  for (TransformerLayer& layer : spec_.layers) {
    for (TensorRef* ref : {&layer.wq, &layer.wk, &layer.wv, &layer.wo, &layer.w_gate, &layer.w_up, &layer.w_down}) {
      pack(*ref);
    }
  }
  pack(spec_.output);
}

namespace {

// Where each sequence of an encoder batch starts in the concatenated rows.
struct Batch {
  std::vector<int64_t> offsets;  // size = sequences + 1
  int64_t rows() const { return offsets.back(); }
  int64_t length(size_t s) const { return offsets[s + 1] - offsets[s]; }
};

// Bidirectional multi-head attention within each sequence of the batch (q/k/v are rows x dim).
void EncoderAttention(const TransformerSpec& spec, const Batch& batch, const std::vector<float>& q,
                      const std::vector<float>& k, const std::vector<float>& v, std::vector<float>& out,
                      ComputePool& pool) {
  const int64_t dim = spec.embedding_length, hd = spec.head_dim, heads = spec.head_count;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  std::vector<int64_t> sequence_of(batch.rows());
  for (size_t s = 0; s + 1 < batch.offsets.size(); ++s) {
    std::fill(sequence_of.begin() + batch.offsets[s], sequence_of.begin() + batch.offsets[s + 1], s);
  }
  out.resize(static_cast<size_t>(batch.rows() * dim));
  pool.ParallelFor(batch.rows() * heads, 1, [&](int64_t begin, int64_t end) {
    for (int64_t job = begin; job < end; ++job) {
      const int64_t t = job / heads, h = job % heads, s = sequence_of[t], first = batch.offsets[s];
      Attend(q.data() + t * dim + h * hd, k.data() + first * dim + h * hd, v.data() + first * dim + h * hd,
             batch.length(s), hd, dim, scale, out.data() + t * dim + h * hd);
    }
  });
}

void LayerNormRows(std::vector<float>& x, int64_t n, int64_t dim, const TensorRef& w, const TensorRef& b,
                   float eps) {
  for (int64_t t = 0; t < n; ++t) {
    std::span<float> row(x.data() + t * dim, dim);
    LayerNorm(row, Floats(w), Floats(b), eps, row);
  }
}

void EncoderLayer(const TransformerSpec& spec, const TransformerLayer& layer, const Batch& batch,
                  std::vector<float>& x, ComputePool& pool) {
  const int64_t dim = spec.embedding_length, n = batch.rows();
  std::vector<float> q, k, v, attn, o, up, down;
  ProjectShared({{layer.wq, layer.bq, q}, {layer.wk, layer.bk, k}, {layer.wv, layer.bv, v}}, x, n, pool);
  EncoderAttention(spec, batch, q, k, v, attn, pool);
  Project(layer.wo, layer.bo, attn, n, o, pool);
  for (size_t i = 0; i < x.size(); ++i) x[i] += o[i];
  LayerNormRows(x, n, dim, layer.attn_norm, layer.attn_norm_bias, spec.norm_epsilon);
  Project(layer.w_up, layer.b_up, x, n, up, pool);
  Gelu(up);
  Project(layer.w_down, layer.b_down, up, n, down, pool);
  for (size_t i = 0; i < x.size(); ++i) x[i] += down[i];
  LayerNormRows(x, n, dim, layer.ffn_norm, layer.ffn_norm_bias, spec.norm_epsilon);
}

// Token + position + token-type embeddings of every row, then the embedding LayerNorm.
std::vector<float> EncoderEmbeddings(const TransformerSpec& spec, std::span<const std::vector<int32_t>> sequences,
                                     const Batch& batch) {
  const int64_t dim = spec.embedding_length;
  std::vector<float> x(static_cast<size_t>(batch.rows() * dim)), row(static_cast<size_t>(dim));
  for (size_t s = 0; s < sequences.size(); ++s) {
    for (int64_t t = 0; t < batch.length(s); ++t) {
      std::span<float> out(x.data() + (batch.offsets[s] + t) * dim, dim);
      DequantizeRowInto(spec.token_embedding.view, sequences[s][t], out);
      DequantizeRowInto(spec.position_embedding.view, t, row);
      for (int64_t i = 0; i < dim; ++i) out[i] += row[i];
      DequantizeRowInto(spec.token_type_embedding.view, 0, row);
      for (int64_t i = 0; i < dim; ++i) out[i] += row[i];
    }
  }
  LayerNormRows(x, batch.rows(), dim, spec.embedding_norm, spec.embedding_norm_bias, spec.norm_epsilon);
  return x;
}

// Mean or CLS pooling of each sequence, L2-normalized.
std::vector<float> Pool(const TransformerSpec& spec, const Batch& batch, const std::vector<float>& x) {
  const int64_t dim = spec.embedding_length, count = static_cast<int64_t>(batch.offsets.size()) - 1;
  std::vector<float> pooled(static_cast<size_t>(count * dim), 0.0f);
  for (int64_t s = 0; s < count; ++s) {
    std::span<float> out(pooled.data() + s * dim, dim);
    const int64_t rows = spec.pooling == Pooling::kCls ? 1 : batch.length(s);
    for (int64_t t = 0; t < rows; ++t) {
      const float* row = x.data() + (batch.offsets[s] + t) * dim;
      for (int64_t i = 0; i < dim; ++i) out[i] += row[i] / static_cast<float>(rows);
    }
    NormalizeL2(out);
  }
  return pooled;
}

}  // namespace

absl::StatusOr<std::vector<float>> CpuModel::Encode(std::span<const std::vector<int32_t>> sequences) {
  if (spec_.kind != TransformerKind::kEncoder) {
    return absl::FailedPreconditionError(absl::StrCat(spec_.architecture, " is a decoder; it does not encode"));
  }
  Batch batch{.offsets = {0}};
  for (size_t s = 0; s < sequences.size(); ++s) {
    const std::vector<int32_t>& tokens = sequences[s];
    if (tokens.empty() || static_cast<int64_t>(tokens.size()) > spec_.context_length) {
      return absl::InvalidArgumentError(absl::StrCat("encoder input ", s, " has ", tokens.size(),
                                                     " tokens; it must have 1 to ", spec_.context_length));
    }
    CATENA_RETURN_IF_ERROR(CheckTokens(tokens, spec_.vocab_size));
    batch.offsets.push_back(batch.offsets.back() + static_cast<int64_t>(tokens.size()));
  }
  if (sequences.empty()) return std::vector<float>{};
  std::lock_guard lock(forward_mutex_);
  std::vector<float> x = EncoderEmbeddings(spec_, sequences, batch);
  for (const TransformerLayer& layer : spec_.layers) EncoderLayer(spec_, layer, batch, x, pool_);
  return Pool(spec_, batch, x);
}

}  // namespace cpu

namespace {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(const BackendOptions& options) : options_(options) {}
  std::string_view name() const override { return "cpu"; }
  absl::StatusOr<std::unique_ptr<BackendModel>> Load(const TransformerSpec& spec) override {
    return std::make_unique<cpu::CpuModel>(spec, options_.threads);
  }

 private:
  BackendOptions options_;
};

}  // namespace

std::unique_ptr<Backend> NewCpuBackend(const BackendOptions& options) {
  return std::make_unique<CpuBackend>(options);
}

}  // namespace catena::inference
