// Dequantizing matrix-vector products for decode (1..kMatVecMaxBatch activation rows): one warp per weight
// row, so each weight byte is read once per launch for every activation row. Q8_0 and Q4_0 give each lane
// whole 32-value blocks; F16 reads half2 pairs; F32, BF16, Q4_K and Q6_K take the generic per-element path
// (correct, not tuned).
#include <cuda_fp16.h>

#include "inference/cuda/cuda_dequant.cuh"
#include "inference/cuda/cuda_ops.h"

namespace catena::inference::cuda {
namespace {

constexpr int kWarpsPerBlock = 8;

// Sums acc[b] over the warp and writes row `row` of every output row b < batch.
__device__ __forceinline__ void WarpStore(float (&acc)[kMatVecMaxBatch], int batch, int64_t rows, int64_t row,
                                          float* y) {
#pragma unroll
  for (int b = 0; b < kMatVecMaxBatch; ++b) {
    float v = acc[b];
    for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
    if (b < batch && threadIdx.x % 32 == 0) y[b * rows + row] = v;
  }
}

__device__ __forceinline__ void DotQ8_0(const uint8_t* block, const float* x, int64_t cols, int batch,
                                        float (&acc)[kMatVecMaxBatch]) {
  const float d = LoadHalf(block);
  const int8_t* qs = reinterpret_cast<const int8_t*>(block + 2);
  float q[32];
#pragma unroll
  for (int j = 0; j < 32; ++j) q[j] = static_cast<float>(qs[j]);
#pragma unroll
  for (int b = 0; b < kMatVecMaxBatch; ++b) {
    if (b >= batch) break;
    const float* xb = x + b * cols;
    float s = 0.0f;
#pragma unroll
    for (int j = 0; j < 32; ++j) s += q[j] * xb[j];
    acc[b] += d * s;
  }
}

__device__ __forceinline__ void DotQ4_0(const uint8_t* block, const float* x, int64_t cols, int batch,
                                        float (&acc)[kMatVecMaxBatch]) {
  const float d = LoadHalf(block);
  const uint8_t* qs = block + 2;
  float lo[16], hi[16];
#pragma unroll
  for (int j = 0; j < 16; ++j) {
    lo[j] = static_cast<float>((qs[j] & 0xF) - 8);
    hi[j] = static_cast<float>((qs[j] >> 4) - 8);
  }
#pragma unroll
  for (int b = 0; b < kMatVecMaxBatch; ++b) {
    if (b >= batch) break;
    const float* xb = x + b * cols;
    float s = 0.0f;
#pragma unroll
    for (int j = 0; j < 16; ++j) s += lo[j] * xb[j] + hi[j] * xb[j + 16];
    acc[b] += d * s;
  }
}

// kBlockBytes: 34 (Q8_0) or 18 (Q4_0); lane handles blocks lane, lane + 32, ...
template <int kBlockBytes>
__global__ void MatVecBlocksKernel(const uint8_t* w, int64_t row_bytes, int64_t rows, int64_t cols, const float* x,
                                   int batch, float* y) {
  const int64_t row = int64_t{blockIdx.x} * kWarpsPerBlock + threadIdx.x / 32;
  if (row >= rows) return;  // whole warps leave together
  const uint8_t* wr = w + row * row_bytes;
  float acc[kMatVecMaxBatch] = {};
  for (int64_t kb = threadIdx.x % 32; kb < cols / 32; kb += 32) {
    if constexpr (kBlockBytes == 34) {
      DotQ8_0(wr + kb * 34, x + kb * 32, cols, batch, acc);
    } else {
      DotQ4_0(wr + kb * 18, x + kb * 32, cols, batch, acc);
    }
  }
  WarpStore(acc, batch, rows, row, y);
}

// F16 rows with an even column count: lane handles pairs lane, lane + 32, ...
__global__ void MatVecHalfKernel(const __half2* w, int64_t rows, int64_t cols, const float* x, int batch, float* y) {
  const int64_t row = int64_t{blockIdx.x} * kWarpsPerBlock + threadIdx.x / 32;
  if (row >= rows) return;
  const __half2* wr = w + row * (cols / 2);
  float acc[kMatVecMaxBatch] = {};
  for (int64_t p = threadIdx.x % 32; p < cols / 2; p += 32) {
    const float2 v = __half22float2(wr[p]);
#pragma unroll
    for (int b = 0; b < kMatVecMaxBatch; ++b) {
      if (b >= batch) break;
      acc[b] += v.x * x[b * cols + 2 * p] + v.y * x[b * cols + 2 * p + 1];
    }
  }
  WarpStore(acc, batch, rows, row, y);
}

__global__ void MatVecGenericKernel(GgmlType type, const uint8_t* w, int64_t row_bytes, int64_t rows, int64_t cols,
                                    const float* x, int batch, float* y) {
  const int64_t row = int64_t{blockIdx.x} * kWarpsPerBlock + threadIdx.x / 32;
  if (row >= rows) return;
  const uint8_t* wr = w + row * row_bytes;
  float acc[kMatVecMaxBatch] = {};
  for (int64_t i = threadIdx.x % 32; i < cols; i += 32) {
    const float v = DequantElement(type, wr, i);
#pragma unroll
    for (int b = 0; b < kMatVecMaxBatch; ++b) {
      if (b >= batch) break;
      acc[b] += v * x[b * cols + i];
    }
  }
  WarpStore(acc, batch, rows, row, y);
}

}  // namespace

void MatVec(const DeviceMatrix& w, const float* x, int batch, float* y, cudaStream_t stream) {
  if (batch <= 0 || w.rows <= 0) return;
  const int grid = static_cast<int>((w.rows + kWarpsPerBlock - 1) / kWarpsPerBlock);
  const int threads = 32 * kWarpsPerBlock;
  const auto* bytes = static_cast<const uint8_t*>(w.data);
  switch (w.type) {
    case GgmlType::kQ8_0:
      MatVecBlocksKernel<34><<<grid, threads, 0, stream>>>(bytes, w.row_bytes, w.rows, w.cols, x, batch, y);
      return;
    case GgmlType::kQ4_0:
      MatVecBlocksKernel<18><<<grid, threads, 0, stream>>>(bytes, w.row_bytes, w.rows, w.cols, x, batch, y);
      return;
    case GgmlType::kF16:
      if (w.cols % 2 == 0) {
        MatVecHalfKernel<<<grid, threads, 0, stream>>>(static_cast<const __half2*>(w.data), w.rows, w.cols, x, batch,
                                                       y);
        return;
      }
      break;
    default:
      break;
  }
  MatVecGenericKernel<<<grid, threads, 0, stream>>>(w.type, bytes, w.row_bytes, w.rows, w.cols, x, batch, y);
}

}  // namespace catena::inference::cuda
