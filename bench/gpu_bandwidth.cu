#include <cuda_runtime.h>

#include <cstdio>

#include "bench/gpu_bandwidth.h"

namespace catena::bench {
namespace {

// Each thread sums float4s with a grid stride; one partial per block keeps the reads live.
__global__ void ReadKernel(const float4* data, int64_t count, float* partial) {
  float sum = 0.0f;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count; i += int64_t{gridDim.x} * blockDim.x) {
    const float4 v = data[i];
    sum += v.x + v.y + v.z + v.w;
  }
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
  if (threadIdx.x % 32 == 0) atomicAdd(&partial[blockIdx.x], sum);
}

// Milliseconds of the fastest of `reps` runs of `work`.
template <typename Work>
float BestMs(int reps, Work work) {
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  float best = 1e30f;
  for (int r = 0; r < reps; ++r) {
    cudaEventRecord(start);
    work();
    cudaEventRecord(stop);
    cudaEventSynchronize(stop);
    float ms = 0;
    cudaEventElapsedTime(&ms, start, stop);
    if (ms < best) best = ms;
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return best;
}

}  // namespace

GpuBandwidth MeasureGpuBandwidth(int64_t bytes) {
  GpuBandwidth result;
  void *a = nullptr, *b = nullptr;
  float* partial = nullptr;
  int sms = 0;
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
  const int blocks = sms > 0 ? sms * 8 : 1024;
  if (cudaMalloc(&a, bytes) != cudaSuccess || cudaMalloc(&b, bytes) != cudaSuccess ||
      cudaMalloc(&partial, blocks * sizeof(float)) != cudaSuccess) {
    std::fprintf(stderr, "gpu_bench: cannot allocate the bandwidth buffers\n");
    cudaFree(a), cudaFree(b), cudaFree(partial);
    return result;
  }
  cudaMemset(a, 0, bytes);
  cudaMemset(partial, 0, blocks * sizeof(float));
  const float read_ms =
      BestMs(10, [&] { ReadKernel<<<blocks, 256>>>(static_cast<const float4*>(a), bytes / 16, partial); });
  const float copy_ms = BestMs(10, [&] { cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice); });
  if (cudaGetLastError() == cudaSuccess) {
    result.read_gb_per_s = static_cast<double>(bytes) / (read_ms * 1e-3) / 1e9;
    result.copy_gb_per_s = 2.0 * static_cast<double>(bytes) / (copy_ms * 1e-3) / 1e9;
  }
  cudaFree(a), cudaFree(b), cudaFree(partial);
  return result;
}

}  // namespace catena::bench
