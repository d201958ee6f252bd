// Internal to the CUDA backend: host-side launchers of its kernels (cuda_ops.cu, cuda_matvec.cu,
// cuda_attention.cu). Every pointer is device memory; each launcher enqueues on `stream` and returns without
// synchronizing (launch errors surface at the caller's next CudaStatus check). Activations are row-major
// float matrices: row r of an [n, dim] matrix starts at r * dim. Only .cu files and cuda_*.cc include this.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "inference/ggml_types.h"

namespace catena::inference::cuda {

// A weight matrix in device memory, in its GGUF block layout (rows of row_bytes bytes).
struct DeviceMatrix {
  GgmlType type = GgmlType::kF32;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t row_bytes = 0;
  const void* data = nullptr;
};

// Most activation rows one MatVec launch takes; larger batches go through cuBLAS (cuda_matmul.cc).
inline constexpr int kMatVecMaxBatch = 8;
// Largest head dimension the attention kernel supports.
inline constexpr int kMaxHeadDim = 256;

// y[b * w.rows + r] = dot(row r of w, x + b * w.cols) for b < batch (1..kMatVecMaxBatch); any supported type.
void MatVec(const DeviceMatrix& w, const float* x, int batch, float* y, cudaStream_t stream);
// out[r * cols + c] (halves) = element (r, c) of w.
void DequantizeToHalf(const DeviceMatrix& w, void* out, cudaStream_t stream);
// out[i] (halves) = x[i] for i < count.
void FloatsToHalves(const float* x, int64_t count, void* out, cudaStream_t stream);
// out row i (w.cols floats) = row tokens[i] of w, i < n.
void EmbedRows(const DeviceMatrix& w, const int32_t* tokens, int n, float* out, cudaStream_t stream);
// out row i = x row src / sqrt(mean(x row src ^ 2) + eps) * weight, src = rows[i] (or i when rows is null).
void RmsNormRows(const float* x, const int32_t* rows, int n, int dim, const float* weight, float eps, float* out,
                 cudaStream_t stream);
// y row i += bias, i < n (rows of dim).
void AddBias(float* y, const float* bias, int n, int dim, cudaStream_t stream);
// x[i] += y[i], i < count.
void AddInPlace(float* x, const float* y, int64_t count, cudaStream_t stream);
// gate[i] = silu(gate[i]) * up[i], i < count.
void SwiGlu(float* gate, const float* up, int64_t count, cudaStream_t stream);

// Rotary embedding of every head of q ([n, q_heads * head_dim]) and k ([n, kv_heads * head_dim]) at
// positions[i]: pairs (2j, 2j+1) or, with `halves`, (j, j + head_dim/2), for j < pairs, by positions[i] *
// inv_freq[j] (computed in double, as the CPU does).
struct RopeArgs {
  int n = 0, q_heads = 0, kv_heads = 0, head_dim = 0, pairs = 0;
  bool halves = false;
  const int32_t* positions = nullptr;
  const float* inv_freq = nullptr;
};
void Rope(float* q, float* k, const RopeArgs& args, cudaStream_t stream);

// Element type of a device KV cache; Q8_0 rows are kv_dim / 32 ggml blocks (f16 scale, 32 int8), as on the CPU.
enum class DeviceKvType { kF32, kF16, kQ8_0 };
// One layer-major paged KV cache: keys and values are [layers][num_blocks][block_size] rows of row_bytes bytes.
struct DeviceKv {
  void* keys = nullptr;
  void* values = nullptr;
  DeviceKvType type = DeviceKvType::kF16;
  int64_t num_blocks = 0;
  int64_t block_size = 0;
  int64_t kv_dim = 0;     // a multiple of 32 for Q8_0
  int64_t row_bytes = 0;  // bytes of one position's keys (or values) in one layer
};
// Where each row of a step lives: position, and the start of its sequence's block table in `tables`.
struct RowPlan {
  int n = 0;
  const int32_t* positions = nullptr;
  const int32_t* table_offsets = nullptr;
  const int32_t* tables = nullptr;
};
// Writes k and v rows ([n, kv_dim]) at each row's position of layer `layer`.
void StoreKv(const DeviceKv& kv, int64_t layer, const float* k, const float* v, const RowPlan& plan,
             cudaStream_t stream);
// out row i, head h = softmax(scale * K q) V over positions 0..positions[i] of the row's sequence, kv head
// h / (heads / kv_heads); q and out are [n, heads * head_dim], head_dim <= kMaxHeadDim.
struct AttentionArgs {
  int heads = 0, kv_heads = 0, head_dim = 0;
  float scale = 1.0f;
};
void PagedAttention(const float* q, const DeviceKv& kv, int64_t layer, const RowPlan& plan, const AttentionArgs& args,
                    float* out, cudaStream_t stream);

}  // namespace catena::inference::cuda
