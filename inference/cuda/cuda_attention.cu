// Paged attention and KV stores over the engine's block tables: position p of a row's sequence lives in block
// tables[table_offset + p / block_size] at slot p % block_size. Attention runs one thread block per (row,
// head): each warp takes every kWarps-th position with an online softmax, then the warps' partial results are
// merged in shared memory. Simple and exact up to float rounding; not a flash-attention kernel. F32, F16 and
// Q8_0 caches (Q8_0 encoded exactly as the CPU's StoreKvRow encodes it).
#include <cuda_fp16.h>

#include <cmath>

#include "inference/cuda/cuda_dequant.cuh"
#include "inference/cuda/cuda_ops.h"

namespace catena::inference::cuda {
namespace {

constexpr int kWarps = 4;
constexpr int kPerLane = kMaxHeadDim / 32;

// Row index of position `p` of a row's sequence in layer `layer` (rows of kv.row_bytes bytes).
__device__ __forceinline__ int64_t SlotRow(const DeviceKv& kv, int64_t layer, const int32_t* table, int64_t p) {
  const int64_t block = table[p / kv.block_size];
  return (layer * kv.num_blocks + block) * kv.block_size + p % kv.block_size;
}

// Element `column` of row `row`.
__device__ __forceinline__ float LoadKv(const DeviceKv& kv, const void* base, int64_t row, int64_t column) {
  switch (kv.type) {
    case DeviceKvType::kF32:
      return static_cast<const float*>(base)[row * kv.kv_dim + column];
    case DeviceKvType::kF16:
      return __half2float(static_cast<const __half*>(base)[row * kv.kv_dim + column]);
    case DeviceKvType::kQ8_0: {
      const uint8_t* block = static_cast<const uint8_t*>(base) + row * kv.row_bytes + (column / 32) * 34;
      return LoadHalf(block) * static_cast<float>(static_cast<int8_t>(block[2 + column % 32]));
    }
  }
  return 0.0f;
}

// Lane l of a warp stores element 32 * b + l of `x` (kv_dim floats) into Q8_0 block b of `row_data`: the CPU's
// encoding, d = f16(amax / 127), q = rint(x / d) clamped to [-127, 127].
__device__ void StoreQ8Block(const float* x, int64_t b, uint8_t* row_data) {
  const int lane = threadIdx.x % 32;
  const float value = x[32 * b + lane];
  float amax = fabsf(value);
  for (int offset = 16; offset > 0; offset /= 2) amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, offset));
  const __half d_half = __float2half(amax / 127.0f);
  const float d = __half2float(d_half);
  const int q = d == 0.0f ? 0 : max(-127, min(127, static_cast<int>(rintf(value / d))));
  uint8_t* block = row_data + b * 34;
  if (lane == 0) {
    const unsigned short bits = __half_as_ushort(d_half);
    block[0] = static_cast<uint8_t>(bits & 0xFF);
    block[1] = static_cast<uint8_t>(bits >> 8);
  }
  block[2 + lane] = static_cast<uint8_t>(static_cast<int8_t>(q));
}

// Q8_0 rows: warp w of the block stores Q8_0 blocks w, w + warps, ... of row i (blockDim a multiple of 32).
__global__ void StoreKvQ8Kernel(DeviceKv kv, int64_t layer, const float* k, const float* v, RowPlan plan) {
  const int64_t i = blockIdx.x;
  const int64_t row = SlotRow(kv, layer, plan.tables + plan.table_offsets[i], plan.positions[i]);
  uint8_t* keys = static_cast<uint8_t*>(kv.keys) + row * kv.row_bytes;
  uint8_t* values = static_cast<uint8_t*>(kv.values) + row * kv.row_bytes;
  const int warps = blockDim.x / 32;
  for (int64_t b = threadIdx.x / 32; b < kv.kv_dim / 32; b += warps) {
    StoreQ8Block(k + i * kv.kv_dim, b, keys);
    StoreQ8Block(v + i * kv.kv_dim, b, values);
  }
}

__global__ void StoreKvKernel(DeviceKv kv, int64_t layer, const float* k, const float* v, RowPlan plan) {
  const int64_t i = blockIdx.x;
  const int64_t offset = SlotRow(kv, layer, plan.tables + plan.table_offsets[i], plan.positions[i]) * kv.kv_dim;
  for (int64_t c = threadIdx.x; c < kv.kv_dim; c += blockDim.x) {
    const float key = k[i * kv.kv_dim + c], value = v[i * kv.kv_dim + c];
    if (kv.type == DeviceKvType::kF16) {
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
    const int64_t row = SlotRow(kv, layer, table, p);
    float dot = 0.0f;
#pragma unroll
    for (int j = 0; j < kPerLane; ++j) {
      const int d = lane + 32 * j;
      if (d < hd) dot += qr[j] * LoadKv(kv, kv.keys, row, kv_column + d);
    }
    for (int offset = 16; offset > 0; offset /= 2) dot += __shfl_xor_sync(0xffffffffu, dot, offset);
    const float score = dot * a.scale;
    const float new_max = fmaxf(running_max, score);
    const float correction = expf(running_max - new_max), weight = expf(score - new_max);
    running_sum = running_sum * correction + weight;
#pragma unroll
    for (int j = 0; j < kPerLane; ++j) {
      const int d = lane + 32 * j;
      const float value = d < hd ? LoadKv(kv, kv.values, row, kv_column + d) : 0.0f;
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
  if (kv.type == DeviceKvType::kQ8_0) {
    StoreKvQ8Kernel<<<plan.n, 128, 0, stream>>>(kv, layer, k, v, plan);
  } else {
    StoreKvKernel<<<plan.n, 128, 0, stream>>>(kv, layer, k, v, plan);
  }
}

void PagedAttention(const float* q, const DeviceKv& kv, int64_t layer, const RowPlan& plan, const AttentionArgs& args,
                    float* out, cudaStream_t stream) {
  if (plan.n <= 0) return;
  const dim3 grid(static_cast<unsigned>(plan.n), static_cast<unsigned>(args.heads));
  PagedAttentionKernel<<<grid, 32 * kWarps, 0, stream>>>(q, kv, layer, plan, args, out);
}

}  // namespace catena::inference::cuda
