// Internal to the CPU backend: the loaded model (spec + compute pool + forward lock) shared by its decoder
// sessions and encoder calls, and the small per-layer helpers both use.
#pragma once

#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "inference/backend.h"
#include "inference/compute_pool.h"

namespace catena::inference::cpu {

// Activation buffers of a decoder step, reused from step to step.
struct StepScratch {
  std::vector<float> x, xn, q, k, v, attn, out, gate, up, logits;
  std::vector<float> rope;  // per row: cos[head_dim / 2], sin[head_dim / 2]
};

class CpuModel final : public BackendModel {
 public:
  CpuModel(const TransformerSpec& spec, int threads);
  const TransformerSpec& spec() const override { return spec_; }
  absl::StatusOr<std::unique_ptr<KvStorage>> NewKvStorage(const KvLayout& layout) override;
  absl::StatusOr<std::span<const float>> Step(std::span<const SequenceStep> steps, KvStorage& kv) override;
  absl::StatusOr<std::unique_ptr<DecoderSession>> NewSession(int64_t max_positions, KvType kv_type) override;
  absl::StatusOr<std::vector<float>> Encode(std::span<const std::vector<int32_t>> sequences) override;

  ComputePool& pool() { return pool_; }
  // Held for the whole of one forward pass: the pool runs one op at a time.
  std::mutex& forward_mutex() { return forward_mutex_; }

 private:
  // Repacks the matrices into the layout the active kernels read fastest (PackForKernels).
  void PackWeights();

  TransformerSpec spec_;  // its matrices point into packed_ where they were repacked
  ComputePool pool_;
  std::vector<std::shared_ptr<const std::byte[]>> packed_;
  std::mutex forward_mutex_;
  StepScratch scratch_;  // guarded by forward_mutex_
};

// y[b] = W x[b] (+ bias) for `batch` rows.
void Project(const TensorRef& w, const TensorRef& bias, const std::vector<float>& x, int64_t batch,
             std::vector<float>& y, ComputePool& pool);
// Project for several matrices that read the same x (MatMulShared: one quantization, one pass over the pool).
struct Projection {
  const TensorRef& w;
  const TensorRef& bias;
  std::vector<float>& y;
};
void ProjectShared(std::initializer_list<Projection> projections, const std::vector<float>& x, int64_t batch,
                   ComputePool& pool);
// INVALID_ARGUMENT naming the first token outside [0, vocab_size).
absl::Status CheckTokens(std::span<const int32_t> tokens, int64_t vocab_size);
// A TensorRef's data as a float span (F32 vectors only).
std::span<const float> Floats(const TensorRef& ref);

}  // namespace catena::inference::cpu
