// The CPU decoder: one batched step over several sequences with a paged KV cache (the llama-family block:
// pre-norm RMSNorm, rotary attention with grouped KV heads, SwiGLU). All tokens of all sequences in a step are
// rows of one activation matrix, so every weight is read once per step; attention reads each row's own
// sequence through its block table. A DecoderSession is one sequence on a private storage.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/cpu_attention.h"
#include "inference/cpu_model.h"
#include "inference/decoder_common.h"
#include "inference/kernels.h"

namespace catena::inference::cpu {
namespace {

const TensorRef kNoBias;  // an absent bias

class CpuKvStorage final : public KvStorage {
 public:
  explicit CpuKvStorage(const KvLayout& layout) : layout_(layout) {
    const size_t bytes = static_cast<size_t>(layout.BlockBytes() / (2 * layout.layers) * layout.num_blocks);
    keys_.resize(layout.layers);
    values_.resize(layout.layers);
    for (int64_t l = 0; l < layout.layers; ++l) keys_[l].resize(bytes), values_[l].resize(bytes);
  }
  const KvLayout& layout() const override { return layout_; }
  PagedKvView Keys(int64_t layer, std::span<const int32_t> table) const { return View(keys_[layer], table); }
  PagedKvView Values(int64_t layer, std::span<const int32_t> table) const { return View(values_[layer], table); }
  std::byte* KeyData(int64_t layer) { return keys_[layer].data(); }
  std::byte* ValueData(int64_t layer) { return values_[layer].data(); }

 private:
  PagedKvView View(const std::vector<std::byte>& data, std::span<const int32_t> table) const {
    return {data.data(), layout_.type, layout_.block_size, layout_.kv_dim, table};
  }
  KvLayout layout_;
  std::vector<std::vector<std::byte>> keys_, values_;  // per layer: num_blocks x block_size x kv_dim
};

// The forward pass of one step; scratch buffers live as long as the model (guarded by its forward lock).
class StepRunner {
 public:
  StepRunner(CpuModel& model, std::span<const SequenceStep> steps, CpuKvStorage& kv)
      : model_(model), spec_(model.spec()), steps_(steps), kv_(kv),
        kv_dim_(spec_.head_count_kv * spec_.head_dim) {}

  std::span<const float> Run(StepScratch& s) {
    Plan(s);
    Embed(s);
    for (size_t l = 0; l < spec_.layers.size(); ++l) Layer(s, static_cast<int64_t>(l));
    return Logits(s);
  }

 private:
  struct Row {
    int64_t step;
    int64_t position;
  };

  void Plan(StepScratch& s) {
    for (size_t i = 0; i < steps_.size(); ++i) {
      for (size_t t = 0; t < steps_[i].tokens.size(); ++t) {
        rows_.push_back({static_cast<int64_t>(i), steps_[i].start_position + static_cast<int64_t>(t)});
        tokens_.push_back(steps_[i].tokens[t]);
      }
    }
    // Each row's rotation once per step (cos then sin), shared by every head of every layer.
    const size_t half = spec_.rope_inv_freq.size();
    s.rope.resize(rows_.size() * 2 * half);
    for (size_t r = 0; r < rows_.size(); ++r) {
      float* table = s.rope.data() + r * 2 * half;
      RopeCosSin(spec_.rope_inv_freq, rows_[r].position, std::span<float>(table, half),
                 std::span<float>(table + half, half));
    }
  }

  void Embed(StepScratch& s) {
    const int64_t dim = spec_.embedding_length;
    s.x.resize(tokens_.size() * dim);
    for (size_t t = 0; t < tokens_.size(); ++t) {
      DequantizeRowInto(spec_.token_embedding.view, tokens_[t], std::span<float>(s.x.data() + t * dim, dim));
    }
  }

  void NormRows(const std::vector<float>& in, const TensorRef& weight, std::span<const int64_t> rows,
                std::vector<float>& out) {
    const int64_t dim = spec_.embedding_length;
    out.resize(rows.size() * dim);
    model_.pool().ParallelFor(static_cast<int64_t>(rows.size()), 4, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        RmsNorm(std::span<const float>(in.data() + rows[i] * dim, dim), Floats(weight), spec_.norm_epsilon,
                std::span<float>(out.data() + i * dim, dim));
      }
    });
  }

  std::span<const int64_t> AllRows() {
    if (all_rows_.size() != rows_.size()) {
      all_rows_.resize(rows_.size());
      for (size_t i = 0; i < rows_.size(); ++i) all_rows_[i] = static_cast<int64_t>(i);
    }
    return all_rows_;
  }

  // Rotates q and k of every row and stores k and v at the row's position in layer `l`.
  void RopeAndStore(StepScratch& s, int64_t l) {
    model_.pool().ParallelFor(static_cast<int64_t>(rows_.size()), 4, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) RopeAndStoreRow(s, l, r);
    });
  }

  void RopeAndStoreRow(StepScratch& s, int64_t l, int64_t r) {
    const int64_t hd = spec_.head_dim, dim = spec_.embedding_length;
    const size_t half = spec_.rope_inv_freq.size();
    const int64_t pos = rows_[r].position;
    const std::span<const float> cos(s.rope.data() + r * 2 * half, half), sin(cos.data() + half, half);
    for (int64_t h = 0; h < spec_.head_count; ++h) {
      ApplyRopeCosSin(std::span<float>(s.q.data() + r * dim + h * hd, hd), cos, sin, spec_.rope_style);
    }
    for (int64_t h = 0; h < spec_.head_count_kv; ++h) {
      ApplyRopeCosSin(std::span<float>(s.k.data() + r * kv_dim_ + h * hd, hd), cos, sin, spec_.rope_style);
    }
    const std::span<const int32_t> table = steps_[rows_[r].step].block_table;
    StoreKvRow(kv_.Keys(l, table), kv_.KeyData(l), pos, std::span<const float>(s.k.data() + r * kv_dim_, kv_dim_));
    StoreKvRow(kv_.Values(l, table), kv_.ValueData(l), pos, std::span<const float>(s.v.data() + r * kv_dim_, kv_dim_));
  }

  // Jobs of one row and a span of its heads: all heads of a row when there are rows enough for the pool,
  // otherwise spans small enough that every thread gets one. Threads claim jobs one at a time, latest row first:
  // the rows of a prefill chunk attend to ever more positions.
  void Attention(StepScratch& s, int64_t l) {
    const int64_t hd = spec_.head_dim, dim = spec_.embedding_length, heads = spec_.head_count;
    const int64_t group = spec_.head_count / spec_.head_count_kv;
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
    const int64_t rows = static_cast<int64_t>(rows_.size()), threads = model_.pool().threads();
    const int64_t spans = std::min(heads, (threads + rows - 1) / rows);
    const int64_t span = (heads + spans - 1) / spans;
    s.attn.resize(rows * dim);
    model_.pool().ForEachClaimed(rows * spans, [&](int64_t job) {
      const int64_t r = rows - 1 - job / spans, h = job % spans * span;
      const std::span<const int32_t> table = steps_[rows_[r].step].block_table;
      PagedAttendHeads(s.q.data() + r * dim + h * hd, kv_.Keys(l, table), kv_.Values(l, table),
                       {.begin = h, .end = std::min(heads, h + span), .group = group}, hd, rows_[r].position + 1,
                       scale, s.attn.data() + r * dim + h * hd);
    });
  }

  void Layer(StepScratch& s, int64_t l) {
    const TransformerLayer& layer = spec_.layers[l];
    ComputePool& pool = model_.pool();
    const int64_t n = static_cast<int64_t>(rows_.size());
    NormRows(s.x, layer.attn_norm, AllRows(), s.xn);
    ProjectShared({{layer.wq, layer.bq, s.q}, {layer.wk, layer.bk, s.k}, {layer.wv, layer.bv, s.v}}, s.xn, n, pool);
    RopeAndStore(s, l);
    Attention(s, l);
    Project(layer.wo, layer.bo, s.attn, n, s.out, pool);
    AddRows(s.x, s.out);
    NormRows(s.x, layer.ffn_norm, AllRows(), s.xn);
    ProjectShared({{layer.w_gate, kNoBias, s.gate}, {layer.w_up, kNoBias, s.up}}, s.xn, n, pool);
    ParallelSwiGlu(s.gate, s.up);
    Project(layer.w_down, {}, s.gate, n, s.out, pool);
    AddRows(s.x, s.out);
  }

  // Element-wise ops split over the pool in spans of kSpan elements (results do not depend on the split).
  static constexpr int64_t kSpan = 4096;
  void ParallelSwiGlu(std::vector<float>& gate, const std::vector<float>& up) {
    const int64_t n = static_cast<int64_t>(gate.size());
    model_.pool().ParallelFor(n, kSpan, [&](int64_t begin, int64_t end) {
      SwiGlu(std::span<const float>(gate.data() + begin, end - begin),
             std::span<const float>(up.data() + begin, end - begin), std::span<float>(gate.data() + begin, end - begin));
    });
  }
  void AddRows(std::vector<float>& x, const std::vector<float>& y) {
    const int64_t n = static_cast<int64_t>(x.size());
    model_.pool().ParallelFor(n, kSpan, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) x[i] += y[i];
    });
  }

  std::span<const float> Logits(StepScratch& s) {
    std::vector<int64_t> wanted;
    int64_t row = 0;
    for (const SequenceStep& step : steps_) {
      const int64_t n = static_cast<int64_t>(step.tokens.size());
      if (step.logits == LogitsWanted::kAll) {
        for (int64_t t = 0; t < n; ++t) wanted.push_back(row + t);
      } else if (step.logits == LogitsWanted::kLast) {
        wanted.push_back(row + n - 1);
      }
      row += n;
    }
    if (wanted.empty()) return {};
    NormRows(s.x, spec_.output_norm, wanted, s.xn);
    s.logits.resize(wanted.size() * spec_.output.view.rows);
    MatMul(spec_.output.view, s.xn.data(), static_cast<int64_t>(wanted.size()), s.logits.data(), model_.pool());
    return s.logits;
  }

  CpuModel& model_;
  const TransformerSpec& spec_;
  std::span<const SequenceStep> steps_;
  CpuKvStorage& kv_;
  const int64_t kv_dim_;
  std::vector<Row> rows_;
  std::vector<int32_t> tokens_;
  std::vector<int64_t> all_rows_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<KvStorage>> CpuModel::NewKvStorage(const KvLayout& layout) {
  CATENA_RETURN_IF_ERROR(CheckKvLayout(spec_, layout));
  return std::make_unique<CpuKvStorage>(layout);
}

absl::StatusOr<std::span<const float>> CpuModel::Step(std::span<const SequenceStep> steps, KvStorage& kv) {
  CpuKvStorage* storage = dynamic_cast<CpuKvStorage*>(&kv);
  if (storage == nullptr) return absl::InvalidArgumentError("KV storage of another backend given to the CPU");
  for (size_t i = 0; i < steps.size(); ++i) CATENA_RETURN_IF_ERROR(CheckSequenceStep(steps[i], i, spec_, kv.layout()));
  if (steps.empty()) return std::span<const float>();
  std::lock_guard lock(forward_mutex_);
  return StepRunner(*this, steps, *storage).Run(scratch_);
}

absl::StatusOr<std::unique_ptr<DecoderSession>> CpuModel::NewSession(int64_t max_positions, KvType kv_type) {
  CATENA_RETURN_IF_ERROR(CheckSessionLength(spec_, max_positions));
  CATENA_ASSIGN_OR_RETURN(std::unique_ptr<KvStorage> kv, NewKvStorage(SessionKvLayout(spec_, max_positions, kv_type)));
  return NewPagedSession(*this, std::move(kv), max_positions);
}

}  // namespace catena::inference::cpu
