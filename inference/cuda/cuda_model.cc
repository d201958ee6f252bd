// The CUDA decoder step: the CPU decoder's algorithm (cpu_decoder.cc) with device kernels. All tokens of all
// sequences are rows of one activation matrix; attention reads each row's own sequence through its block table.
#include "inference/cuda/cuda_model.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/decoder_common.h"

namespace catena::inference::cuda {
namespace {

// Host-side plan of a step, uploaded as one int32 array: tokens, positions, table offsets, wanted rows, tables.
struct StepPlan {
  std::vector<int32_t> tokens, positions, table_offsets, wanted, tables;
  int n() const { return static_cast<int>(tokens.size()); }
  int w() const { return static_cast<int>(wanted.size()); }
};

StepPlan MakePlan(std::span<const SequenceStep> steps) {
  StepPlan plan;
  for (const SequenceStep& step : steps) {
    const int32_t offset = static_cast<int32_t>(plan.tables.size());
    plan.tables.insert(plan.tables.end(), step.block_table.begin(), step.block_table.end());
    const int32_t first_row = plan.n(), count = static_cast<int32_t>(step.tokens.size());
    for (int32_t t = 0; t < count; ++t) {
      plan.tokens.push_back(step.tokens[t]);
      plan.positions.push_back(static_cast<int32_t>(step.start_position) + t);
      plan.table_offsets.push_back(offset);
    }
    if (step.logits == LogitsWanted::kAll) {
      for (int32_t t = 0; t < count; ++t) plan.wanted.push_back(first_row + t);
    } else if (step.logits == LogitsWanted::kLast) {
      plan.wanted.push_back(first_row + count - 1);
    }
  }
  return plan;
}

class StepRunner {
 public:
  StepRunner(const TransformerSpec& spec, const DeviceWeights& weights, Projector& projector, DeviceScratch& s,
             const DeviceKv& kv, cudaStream_t stream)
      : spec_(spec), w_(weights), projector_(projector), s_(s), kv_(kv), stream_(stream) {}

  absl::Status Run(const StepPlan& plan, std::vector<float>& logits) {
    CATENA_RETURN_IF_ERROR(Prepare(plan));
    EmbedRows(w_.token_embedding, Ints(0), n_, s_.x.as<float>(), stream_);
    for (size_t l = 0; l < w_.layers.size(); ++l) {
      CATENA_RETURN_IF_ERROR(Annotate(Layer(static_cast<int64_t>(l)), absl::StrCat("layer ", l)));
    }
    CATENA_RETURN_IF_ERROR(Logits(plan.w()));
    logits.resize(static_cast<size_t>(plan.w()) * vocab_);
    if (!logits.empty()) {
      CATENA_RETURN_IF_ERROR(CudaStatus(cudaMemcpyAsync(logits.data(), s_.logits.get(), logits.size() * sizeof(float),
                                                        cudaMemcpyDeviceToHost, stream_),
                                        "logits copy"));
    }
    return CudaStatus(cudaStreamSynchronize(stream_), "decoder step");
  }

 private:
  const int32_t* Ints(int64_t offset) const { return s_.ints.as<int32_t>() + offset; }

  absl::Status Prepare(const StepPlan& plan) {
    n_ = plan.n();
    dim_ = spec_.embedding_length;
    qdim_ = spec_.head_count * spec_.head_dim;
    kvdim_ = spec_.head_count_kv * spec_.head_dim;
    ff_ = spec_.feed_forward_length;
    vocab_ = spec_.output.view.rows;
    const size_t n = static_cast<size_t>(n_), f = sizeof(float);
    const size_t widest = static_cast<size_t>(std::max({dim_, qdim_, ff_}));
    CATENA_RETURN_IF_ERROR(s_.x.Reserve(n * dim_ * f));
    CATENA_RETURN_IF_ERROR(s_.xn.Reserve(n * widest * f));
    CATENA_RETURN_IF_ERROR(s_.q.Reserve(n * qdim_ * f));
    CATENA_RETURN_IF_ERROR(s_.k.Reserve(n * kvdim_ * f));
    CATENA_RETURN_IF_ERROR(s_.v.Reserve(n * kvdim_ * f));
    CATENA_RETURN_IF_ERROR(s_.attn.Reserve(n * qdim_ * f));
    CATENA_RETURN_IF_ERROR(s_.out.Reserve(n * widest * f));
    CATENA_RETURN_IF_ERROR(s_.gate.Reserve(n * ff_ * f));
    CATENA_RETURN_IF_ERROR(s_.up.Reserve(n * ff_ * f));
    CATENA_RETURN_IF_ERROR(s_.logits.Reserve(std::max<size_t>(1, plan.wanted.size()) * vocab_ * f));
    std::vector<int32_t> ints;
    for (const std::vector<int32_t>* part :
         {&plan.tokens, &plan.positions, &plan.table_offsets, &plan.wanted, &plan.tables}) {
      ints.insert(ints.end(), part->begin(), part->end());
    }
    CATENA_RETURN_IF_ERROR(s_.ints.Reserve(ints.size() * sizeof(int32_t)));
    CATENA_RETURN_IF_ERROR(CudaStatus(
        cudaMemcpyAsync(s_.ints.get(), ints.data(), ints.size() * sizeof(int32_t), cudaMemcpyHostToDevice, stream_),
        "step plan upload"));
    // The host vector dies at return: wait for the copy (pageable copies may still be staging).
    CATENA_RETURN_IF_ERROR(CudaStatus(cudaStreamSynchronize(stream_), "step plan upload"));
    wanted_offset_ = 3 * int64_t{n_};
    rows_ = RowPlan{.n = n_,
                    .positions = Ints(n_),
                    .table_offsets = Ints(2 * int64_t{n_}),
                    .tables = Ints(wanted_offset_ + plan.w())};
    return absl::OkStatus();
  }

  absl::Status Layer(int64_t l) {
    const DeviceLayer& layer = w_.layers[l];
    float *x = s_.x.as<float>(), *xn = s_.xn.as<float>(), *q = s_.q.as<float>(), *k = s_.k.as<float>();
    float *v = s_.v.as<float>(), *attn = s_.attn.as<float>(), *out = s_.out.as<float>();
    const float eps = spec_.norm_epsilon;
    RmsNormRows(x, nullptr, n_, static_cast<int>(dim_), layer.attn_norm, eps, xn, stream_);
    CATENA_RETURN_IF_ERROR(projector_.Project(layer.wq, layer.bq, xn, n_, q));
    CATENA_RETURN_IF_ERROR(projector_.Project(layer.wk, layer.bk, xn, n_, k));
    CATENA_RETURN_IF_ERROR(projector_.Project(layer.wv, layer.bv, xn, n_, v));
    const int pairs = static_cast<int>(std::min<int64_t>(spec_.head_dim / 2, spec_.rope_inv_freq.size()));
    Rope(q, k,
         RopeArgs{.n = n_,
                  .q_heads = static_cast<int>(spec_.head_count),
                  .kv_heads = static_cast<int>(spec_.head_count_kv),
                  .head_dim = static_cast<int>(spec_.head_dim),
                  .pairs = pairs,
                  .halves = spec_.rope_style == RopeStyle::kHalves,
                  .positions = rows_.positions,
                  .inv_freq = w_.rope_inv_freq},
         stream_);
    StoreKv(kv_, l, k, v, rows_, stream_);
    const AttentionArgs args{.heads = static_cast<int>(spec_.head_count),
                             .kv_heads = static_cast<int>(spec_.head_count_kv),
                             .head_dim = static_cast<int>(spec_.head_dim),
                             .scale = 1.0f / std::sqrt(static_cast<float>(spec_.head_dim))};
    PagedAttention(q, kv_, l, rows_, args, attn, stream_);
    CATENA_RETURN_IF_ERROR(projector_.Project(layer.wo, layer.bo, attn, n_, out));
    AddInPlace(x, out, int64_t{n_} * dim_, stream_);
    RmsNormRows(x, nullptr, n_, static_cast<int>(dim_), layer.ffn_norm, eps, xn, stream_);
    CATENA_RETURN_IF_ERROR(projector_.Project(layer.w_gate, nullptr, xn, n_, s_.gate.as<float>()));
    CATENA_RETURN_IF_ERROR(projector_.Project(layer.w_up, nullptr, xn, n_, s_.up.as<float>()));
    SwiGlu(s_.gate.as<float>(), s_.up.as<float>(), int64_t{n_} * ff_, stream_);
    CATENA_RETURN_IF_ERROR(projector_.Project(layer.w_down, nullptr, s_.gate.as<float>(), n_, out));
    AddInPlace(x, out, int64_t{n_} * dim_, stream_);
    return CudaStatus(cudaGetLastError(), "layer kernels");
  }

  absl::Status Logits(int wanted) {
    if (wanted == 0) return absl::OkStatus();
    RmsNormRows(s_.x.as<float>(), Ints(wanted_offset_), wanted, static_cast<int>(dim_), w_.output_norm,
                spec_.norm_epsilon, s_.xn.as<float>(), stream_);
    return projector_.Project(w_.output, nullptr, s_.xn.as<float>(), wanted, s_.logits.as<float>());
  }

  const TransformerSpec& spec_;
  const DeviceWeights& w_;
  Projector& projector_;
  DeviceScratch& s_;
  const DeviceKv& kv_;
  cudaStream_t stream_;
  int n_ = 0;
  int64_t dim_ = 0, qdim_ = 0, kvdim_ = 0, ff_ = 0, vocab_ = 0, wanted_offset_ = 0;
  RowPlan rows_;
};

absl::Status CheckSupported(const TransformerSpec& spec) {
  if (spec.kind != TransformerKind::kDecoder) {
    return absl::FailedPreconditionError(
        absl::StrCat(spec.architecture, " is an encoder; the CUDA model runs decoders"));
  }
  if (spec.head_dim <= 0 || spec.head_dim > kMaxHeadDim || spec.head_count_kv <= 0 ||
      spec.head_count % spec.head_count_kv != 0) {
    return absl::FailedPreconditionError(absl::StrCat("the CUDA backend needs head_dim in [1, ", kMaxHeadDim,
                                                      "] and heads a multiple of kv heads; ", spec.architecture,
                                                      " has head_dim ", spec.head_dim, ", ", spec.head_count,
                                                      " heads, ", spec.head_count_kv, " kv heads"));
  }
  for (const TransformerLayer& layer : spec.layers) {
    if (!layer.w_gate.present()) return absl::FailedPreconditionError("the CUDA decoder needs a SwiGLU (gate) FFN");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<CudaKvStorage>> CudaKvStorage::Create(const KvLayout& layout) {
  std::unique_ptr<CudaKvStorage> kv(new CudaKvStorage(layout));
  const size_t bytes = static_cast<size_t>(layout.BlockBytes() / 2 * layout.num_blocks);
  CATENA_RETURN_IF_ERROR(kv->keys_.Reserve(bytes));
  CATENA_RETURN_IF_ERROR(kv->values_.Reserve(bytes));
  const DeviceKvType type = layout.type == KvType::kQ8_0  ? DeviceKvType::kQ8_0
                            : layout.type == KvType::kF16 ? DeviceKvType::kF16
                                                          : DeviceKvType::kF32;
  kv->device_ = DeviceKv{.keys = kv->keys_.get(),
                         .values = kv->values_.get(),
                         .type = type,
                         .num_blocks = layout.num_blocks,
                         .block_size = layout.block_size,
                         .kv_dim = layout.kv_dim,
                         .row_bytes = layout.RowBytes()};
  return kv;
}

absl::StatusOr<std::unique_ptr<CudaModel>> CudaModel::Load(const TransformerSpec& spec) {
  CATENA_RETURN_IF_ERROR(CheckSupported(spec));
  std::unique_ptr<CudaModel> model(new CudaModel(spec));
  CATENA_RETURN_IF_ERROR(CudaStatus(cudaStreamCreateWithFlags(&model->stream_, cudaStreamNonBlocking), "stream"));
  CATENA_ASSIGN_OR_RETURN(model->weights_, DeviceWeights::Upload(spec));
  CATENA_ASSIGN_OR_RETURN(model->projector_, Projector::Create(model->stream_));
  return model;
}

CudaModel::~CudaModel() {
  projector_.reset();
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

absl::StatusOr<std::unique_ptr<KvStorage>> CudaModel::NewKvStorage(const KvLayout& layout) {
  CATENA_RETURN_IF_ERROR(CheckKvLayout(spec_, layout));
  CATENA_ASSIGN_OR_RETURN(std::unique_ptr<CudaKvStorage> kv, CudaKvStorage::Create(layout));
  return std::unique_ptr<KvStorage>(std::move(kv));
}

absl::StatusOr<std::span<const float>> CudaModel::Step(std::span<const SequenceStep> steps, KvStorage& kv) {
  auto* storage = dynamic_cast<CudaKvStorage*>(&kv);
  if (storage == nullptr) return absl::InvalidArgumentError("KV storage of another backend given to the CUDA model");
  for (size_t i = 0; i < steps.size(); ++i) CATENA_RETURN_IF_ERROR(CheckSequenceStep(steps[i], i, spec_, kv.layout()));
  if (steps.empty()) return std::span<const float>();
  std::lock_guard lock(mutex_);
  StepRunner runner(spec_, *weights_, *projector_, scratch_, storage->device(), stream_);
  CATENA_RETURN_IF_ERROR(runner.Run(MakePlan(steps), host_logits_));
  return std::span<const float>(host_logits_);
}

absl::StatusOr<std::unique_ptr<DecoderSession>> CudaModel::NewSession(int64_t max_positions, KvType kv_type) {
  CATENA_RETURN_IF_ERROR(CheckSessionLength(spec_, max_positions));
  CATENA_ASSIGN_OR_RETURN(std::unique_ptr<KvStorage> kv, NewKvStorage(SessionKvLayout(spec_, max_positions, kv_type)));
  return NewPagedSession(*this, std::move(kv), max_positions);
}

absl::StatusOr<std::vector<float>> CudaModel::Encode(std::span<const std::vector<int32_t>> sequences) {
  return absl::FailedPreconditionError(absl::StrCat(spec_.architecture, " is a decoder; it does not encode"));
}

}  // namespace catena::inference::cuda
