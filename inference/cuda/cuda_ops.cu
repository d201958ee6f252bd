// Element-wise and row-wise kernels of the CUDA backend: embedding gather, RMSNorm, bias, residual add,
// SwiGLU, RoPE and the F16 conversions the cuBLAS path needs. One thread per element or one block per row;
// simple on purpose (correctness first), see inference/cuda/README.md.
#include <cuda_fp16.h>

#include "inference/cuda/cuda_dequant.cuh"
#include "inference/cuda/cuda_ops.h"

namespace catena::inference::cuda {
namespace {

constexpr int kThreads = 256;

int GridFor(int64_t count) {
  const int64_t blocks = (count + kThreads - 1) / kThreads;
  return static_cast<int>(blocks < 65535 * 16 ? blocks : 65535 * 16);
}

__global__ void DequantizeToHalfKernel(GgmlType type, const uint8_t* w, int64_t row_bytes, int64_t rows, int64_t cols,
                                       __half* out) {
  const int64_t total = rows * cols;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / cols, c = i % cols;
    out[i] = __float2half(DequantElement(type, w + r * row_bytes, c));
  }
}

__global__ void FloatsToHalvesKernel(const float* x, int64_t count, __half* out) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count; i += int64_t{gridDim.x} * blockDim.x) {
    out[i] = __float2half(x[i]);
  }
}

// Block i copies row tokens[i].
__global__ void EmbedRowsKernel(GgmlType type, const uint8_t* w, int64_t row_bytes, int64_t cols, const int32_t* tokens,
                                float* out) {
  const int64_t i = blockIdx.x;
  const uint8_t* row = w + static_cast<int64_t>(tokens[i]) * row_bytes;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) out[i * cols + c] = DequantElement(type, row, c);
}

// Sum of `value` over the block (blockDim.x a multiple of 32, at most 1024); every thread gets it.
__device__ float BlockSum(float value) {
  __shared__ float partial[32];
  for (int offset = 16; offset > 0; offset /= 2) value += __shfl_xor_sync(0xffffffffu, value, offset);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, warps = blockDim.x / 32;
  if (lane == 0) partial[warp] = value;
  __syncthreads();
  float total = 0.0f;
  for (int w = 0; w < warps; ++w) total += partial[w];
  __syncthreads();  // partial may be reused by a later call
  return total;
}

// Block i normalizes row rows[i] (or i) into out row i.
__global__ void RmsNormKernel(const float* x, const int32_t* rows, int dim, const float* weight, float eps,
                              float* out) {
  const int64_t i = blockIdx.x;
  const int64_t src = rows != nullptr ? rows[i] : i;
  const float* in = x + src * dim;
  float squares = 0.0f;
  for (int c = threadIdx.x; c < dim; c += blockDim.x) squares += in[c] * in[c];
  const float total = BlockSum(squares);
  const float inv = rsqrtf(total / static_cast<float>(dim) + eps);
  for (int c = threadIdx.x; c < dim; c += blockDim.x) out[i * dim + c] = in[c] * inv * weight[c];
}

__global__ void AddBiasKernel(float* y, const float* bias, int64_t count, int dim) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count; i += int64_t{gridDim.x} * blockDim.x) {
    y[i] += bias[i % dim];
  }
}

__global__ void AddInPlaceKernel(float* x, const float* y, int64_t count) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count; i += int64_t{gridDim.x} * blockDim.x) {
    x[i] += y[i];
  }
}

__global__ void SwiGluKernel(float* gate, const float* up, int64_t count) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count; i += int64_t{gridDim.x} * blockDim.x) {
    const float g = gate[i];
    gate[i] = g / (1.0f + expf(-g)) * up[i];
  }
}

// Block i rotates row i; thread t walks (head, pair) jobs over q's heads then k's.
__global__ void RopeKernel(float* q, float* k, RopeArgs a) {
  const int64_t i = blockIdx.x;
  const int jobs = (a.q_heads + a.kv_heads) * a.pairs;
  const double position = static_cast<double>(a.positions[i]);
  for (int job = threadIdx.x; job < jobs; job += blockDim.x) {
    const int head = job / a.pairs, j = job % a.pairs;
    float* h = head < a.q_heads ? q + (i * a.q_heads + head) * a.head_dim
                                : k + (i * a.kv_heads + (head - a.q_heads)) * a.head_dim;
    const double angle = position * static_cast<double>(a.inv_freq[j]);
    const float c = static_cast<float>(cos(angle)), s = static_cast<float>(sin(angle));
    const int x = a.halves ? j : 2 * j;
    const int y = a.halves ? j + a.head_dim / 2 : 2 * j + 1;
    const float x0 = h[x], x1 = h[y];
    h[x] = x0 * c - x1 * s;
    h[y] = x0 * s + x1 * c;
  }
}

}  // namespace

void DequantizeToHalf(const DeviceMatrix& w, void* out, cudaStream_t stream) {
  DequantizeToHalfKernel<<<GridFor(w.rows * w.cols), kThreads, 0, stream>>>(
      w.type, static_cast<const uint8_t*>(w.data), w.row_bytes, w.rows, w.cols, static_cast<__half*>(out));
}

void FloatsToHalves(const float* x, int64_t count, void* out, cudaStream_t stream) {
  FloatsToHalvesKernel<<<GridFor(count), kThreads, 0, stream>>>(x, count, static_cast<__half*>(out));
}

void EmbedRows(const DeviceMatrix& w, const int32_t* tokens, int n, float* out, cudaStream_t stream) {
  if (n <= 0) return;
  EmbedRowsKernel<<<n, kThreads, 0, stream>>>(w.type, static_cast<const uint8_t*>(w.data), w.row_bytes, w.cols, tokens,
                                              out);
}

void RmsNormRows(const float* x, const int32_t* rows, int n, int dim, const float* weight, float eps, float* out,
                 cudaStream_t stream) {
  if (n <= 0) return;
  RmsNormKernel<<<n, kThreads, 0, stream>>>(x, rows, dim, weight, eps, out);
}

void AddBias(float* y, const float* bias, int n, int dim, cudaStream_t stream) {
  const int64_t count = int64_t{n} * dim;
  if (count > 0) AddBiasKernel<<<GridFor(count), kThreads, 0, stream>>>(y, bias, count, dim);
}

void AddInPlace(float* x, const float* y, int64_t count, cudaStream_t stream) {
  if (count > 0) AddInPlaceKernel<<<GridFor(count), kThreads, 0, stream>>>(x, y, count);
}

void SwiGlu(float* gate, const float* up, int64_t count, cudaStream_t stream) {
  if (count > 0) SwiGluKernel<<<GridFor(count), kThreads, 0, stream>>>(gate, up, count);
}

void Rope(float* q, float* k, const RopeArgs& args, cudaStream_t stream) {
  if (args.n <= 0 || args.pairs <= 0) return;
  RopeKernel<<<args.n, kThreads, 0, stream>>>(q, k, args);
}

}  // namespace catena::inference::cuda
