// Paged attention and KV stores over the engine's block tables: position p of a row's sequence lives in block
// tables[table_offset + p / block_size] at slot p % block_size. Attention runs one thread block per (row,
// head): each warp takes every kWarps-th position with an online softmax, then the warps' partial results are
// merged in shared memory. Simple and exact up to float rounding; not a flash-attention kernel.
#include <cuda_fp16.h>

#include <cmath>

#include "inference/cuda/cuda_ops.h"

namespace catena::inference::cuda {
namespace {

constexpr int kWarps = 4;
constexpr int kPerLane = kMaxHeadDim / 32;

// Element offset of position `p` of a row's sequence in layer `layer` (start of its kv_dim values).
__device__ __forceinline__ int64_t SlotOffset(const DeviceKv& kv, int64_t layer, const int32_t* table, int64_t p) {
  const int64_t block = table[p / kv.block_size];
  return ((layer * kv.num_blocks + block) * kv.block_size + p % kv.block_size) * kv.kv_dim;
}

__device__ __forceinline__ float LoadKv(const DeviceKv& kv, const void* base, int64_t i) {
  return kv.half ? __half2float(static_cast<const __half*>(base)[i]) : static_cast<const float*>(base)[i];
}

__global__ void StoreKvKernel(DeviceKv kv, int64_t layer, const float* k, const float* v, RowPlan plan) {
  const int64_t i = blockIdx.x;
  const int64_t offset = SlotOffset(kv, layer, plan.tables + plan.table_offsets[i], plan.positions[i]);
  for (int64_t c = threadIdx.x; c < kv.kv_dim; c += blockDim.x) {
    const float key = k[i * kv.kv_dim + c], value = v[i * kv.kv_dim + c];
    if (kv.half) {
      static_cast<__half*>(kv.keys)[offset + c] = __float2half(key);
      static_cast<__half*>(kv.values)[offset + c] = __float2half(value);
    } else {
      static_cast<float*>(kv.keys)[offset + c] = key;
      static_cast<float*>(kv.values)[offset + c] = value;
    }
  }
}

// Grid (rows, heads), kWarps warps. Lane l of a warp owns dimensions l, l + 32, ... of the head.
__global__ void PagedAttentionKernel(const float* q, DeviceKv kv, int64_t layer, RowPlan plan, AttentionArgs a,
                                     float* out) {
  __shared__ float shared_max[kWarps], shared_sum[kWarps];
  __shared__ float shared_acc[kWarps][kMaxHeadDim];
  const int64_t i = blockIdx.x;
  const int h = blockIdx.y, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int hd = a.head_dim;
  const int64_t kv_column = static_cast<int64_t>(h / (a.heads / a.kv_heads)) * hd;
  const int32_t* table = plan.tables + plan.table_offsets[i];
  const int64_t n_keys = int64_t{plan.positions[i]} + 1;
  const float* qh = q + (i * a.heads + h) * hd;
  float qr[kPerLane], acc[kPerLane];
#pragma unroll
  for (int j = 0; j < kPerLane; ++j) {
    const int d = lane + 32 * j;
    qr[j] = d < hd ? qh[d] : 0.0f;
    acc[j] = 0.0f;
  }
  float running_max = -INFINITY, running_sum = 0.0f;
  for (int64_t p = warp; p < n_keys; p += kWarps) {
    const int64_t base = SlotOffset(kv, layer, table, p) + kv_column;
    float dot = 0.0f;
#pragma unroll
    for (int j = 0; j < kPerLane; ++j) {
      const int d = lane + 32 * j;
      if (d < hd) dot += qr[j] * LoadKv(kv, kv.keys, base + d);
    }
    for (int offset = 16; offset > 0; offset /= 2) dot += __shfl_xor_sync(0xffffffffu, dot, offset);
    const float score = dot * a.scale;
    const float new_max = fmaxf(running_max, score);
    const float correction = expf(running_max - new_max), weight = expf(score - new_max);
    running_sum = running_sum * correction + weight;
#pragma unroll
    for (int j = 0; j < kPerLane; ++j) {
      const int d = lane + 32 * j;
      const float value = d < hd ? LoadKv(kv, kv.values, base + d) : 0.0f;
      acc[j] = acc[j] * correction + weight * value;
    }
    running_max = new_max;
  }
  if (lane == 0) shared_max[warp] = running_max, shared_sum[warp] = running_sum;
#pragma unroll
  for (int j = 0; j < kPerLane; ++j) {
    const int d = lane + 32 * j;
    if (d < hd) shared_acc[warp][d] = acc[j];
  }
  __syncthreads();
  float global_max = -INFINITY;
  for (int w = 0; w < kWarps; ++w) global_max = fmaxf(global_max, shared_max[w]);
  float total = 0.0f;
  for (int w = 0; w < kWarps; ++w) total += shared_sum[w] * expf(shared_max[w] - global_max);
  for (int d = threadIdx.x; d < hd; d += blockDim.x) {
    float value = 0.0f;
    for (int w = 0; w < kWarps; ++w) value += shared_acc[w][d] * expf(shared_max[w] - global_max);
    out[(i * a.heads + h) * hd + d] = value / total;
  }
}

}  // namespace

void StoreKv(const DeviceKv& kv, int64_t layer, const float* k, const float* v, const RowPlan& plan,
             cudaStream_t stream) {
  if (plan.n <= 0) return;
  StoreKvKernel<<<plan.n, 128, 0, stream>>>(kv, layer, k, v, plan);
}

void PagedAttention(const float* q, const DeviceKv& kv, int64_t layer, const RowPlan& plan,
                    const AttentionArgs& args, float* out, cudaStream_t stream) {
  if (plan.n <= 0) return;
  const dim3 grid(static_cast<unsigned>(plan.n), static_cast<unsigned>(args.heads));
  PagedAttentionKernel<<<grid, 32 * kWarps, 0, stream>>>(q, kv, layer, plan, args, out);
}

}  // namespace catena::inference::cuda
