// CUDA kernels of the exact k-NN search; see knn_kernels.h. Top-k is a radix selection on order-preserving
// uint32 keys: four 8-bit histogram passes find each query's k-th best key (the threshold), then one pass
// gathers every row above it plus as many rows equal to it as are still needed.
#include <algorithm>

#include "retrieval/cuda/knn_kernels.h"

namespace catena::retrieval::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kBins = 256;
constexpr size_t kMaxBlocksPerQuery = 1024;
constexpr size_t kMaxBlocks = 16384;

// Maps a float to a uint32 with the same order (larger float -> larger key); finite scores never map to 0.
__device__ __forceinline__ uint32_t OrderedKey(float value) {
  const uint32_t bits = __float_as_uint(value);
  return (bits & 0x80000000u) != 0 ? ~bits : (bits | 0x80000000u);
}

__device__ __forceinline__ float FromOrderedKey(uint32_t key) {
  const uint32_t bits = (key & 0x80000000u) != 0 ? (key & 0x7FFFFFFFu) : ~key;
  return __uint_as_float(bits);
}

// One warp per row: norms2[row] = sum of squares of the row.
__global__ void SquaredNormsKernel(const float* rows, size_t count, int dimension, float* norms2) {
  const size_t row = (static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const int lane = static_cast<int>(threadIdx.x % 32);
  if (row >= count) return;  // whole warps leave together: all lanes share `row`
  const float* values = rows + row * dimension;
  float sum = 0;
  for (int d = lane; d < dimension; d += 32) sum += values[d] * values[d];
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_down_sync(0xFFFFFFFFu, sum, offset);
  if (lane == 0) norms2[row] = sum;
}

__global__ void ScoresToKeysKernel(float* scores, size_t rows, size_t total, const float* norms2,
                                   const float* query_norms2, bool l2, const uint8_t* mask) {
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t index = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; index < total; index += stride) {
    const size_t query = index / rows;
    const size_t row = index - query * rows;
    float score = scores[index];
    if (l2) score = -(norms2[row] - 2 * score + query_norms2[query]);
    const uint32_t key = (mask != nullptr && mask[row] == 0) ? 0u : OrderedKey(score);
    scores[index] = __uint_as_float(key);
  }
}

// Counts, per query (blockIdx.y), the digit at `shift` of every non-excluded key matching the decided prefix.
__global__ void HistogramKernel(const uint32_t* keys, size_t rows, const SelectState* states, int shift,
                                uint32_t* histograms) {
  __shared__ uint32_t local[kBins];
  for (int b = threadIdx.x; b < kBins; b += blockDim.x) local[b] = 0;
  __syncthreads();
  const size_t query = blockIdx.y;
  const SelectState state = states[query];
  const uint32_t* column = keys + query * rows;
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t row = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; row < rows; row += stride) {
    const uint32_t key = column[row];
    if (key == 0 || (key & state.mask) != state.prefix) continue;
    atomicAdd(&local[(key >> shift) & 0xFFu], 1u);
  }
  __syncthreads();
  for (int b = threadIdx.x; b < kBins; b += blockDim.x) {
    if (local[b] != 0) atomicAdd(&histograms[query * kBins + b], local[b]);
  }
}

// One thread per query: picks the digit at `shift` that holds the k-th best key. The first pass also sets
// want = min(k, rows counted), since every non-excluded key matches the empty prefix.
__global__ void SelectDigitKernel(const uint32_t* histograms, size_t queries, int shift, int k, bool first,
                                  SelectState* states) {
  const size_t query = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (query >= queries) return;
  const uint32_t* histogram = histograms + query * kBins;
  SelectState state = states[query];
  if (first) {
    uint32_t total = 0;
    for (int b = 0; b < kBins; ++b) total += histogram[b];
    state = SelectState{};
    state.want = min(total, static_cast<uint32_t>(k));
  }
  if (state.want > 0) {
    // Rows still needed among those matching the prefix: at least 1 and at most their count.
    const uint32_t needed = state.want - state.above;
    uint32_t before = 0;
    for (int b = kBins - 1; b >= 0; --b) {
      if (before + histogram[b] >= needed) {
        state.prefix |= static_cast<uint32_t>(b) << shift;
        state.mask |= 0xFFu << shift;
        state.above += before;
        break;
      }
      before += histogram[b];
    }
  }
  states[query] = state;
}

// Writes rows with key > threshold to slots [0, above) and the first (want - above) rows equal to it after them.
__global__ void GatherKernel(const uint32_t* keys, size_t rows, const SelectState* states, int k, uint32_t* counters,
                             int32_t* out_rows, float* out_scores) {
  const size_t query = blockIdx.y;
  const SelectState state = states[query];
  if (state.want == 0) return;
  const uint32_t threshold = state.prefix;  // an actual key, so >= 1: excluded rows (key 0) fall below it
  const uint32_t ties = state.want - state.above;
  const uint32_t* column = keys + query * rows;
  int32_t* rows_out = out_rows + query * static_cast<size_t>(k);
  float* scores_out = out_scores + query * static_cast<size_t>(k);
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t row = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; row < rows; row += stride) {
    const uint32_t key = column[row];
    if (key < threshold) continue;
    uint32_t slot = 0;
    if (key > threshold) {
      slot = atomicAdd(&counters[2 * query], 1u);
      if (slot >= state.above) continue;  // cannot happen: exactly `above` keys exceed the threshold
    } else {
      const uint32_t tie = atomicAdd(&counters[2 * query + 1], 1u);
      if (tie >= ties) continue;
      slot = state.above + tie;
    }
    rows_out[slot] = static_cast<int32_t>(row);
    scores_out[slot] = FromOrderedKey(key);
  }
}

unsigned Blocks(size_t work, size_t max_blocks) {
  return static_cast<unsigned>(std::clamp<size_t>((work + kThreads - 1) / kThreads, 1, max_blocks));
}

}  // namespace

cudaError_t LaunchSquaredNorms(const float* rows, size_t count, int dimension, float* norms2, cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  constexpr size_t kRowsPerBlock = kThreads / 32;
  const auto blocks = static_cast<unsigned>((count + kRowsPerBlock - 1) / kRowsPerBlock);
  SquaredNormsKernel<<<blocks, kThreads, 0, stream>>>(rows, count, dimension, norms2);
  return cudaGetLastError();
}

cudaError_t LaunchScoresToKeys(float* scores, size_t rows, size_t queries, const float* norms2,
                               const float* query_norms2, bool l2, const uint8_t* mask, cudaStream_t stream) {
  const size_t total = rows * queries;
  if (total == 0) return cudaSuccess;
  ScoresToKeysKernel<<<Blocks(total, kMaxBlocks), kThreads, 0, stream>>>(scores, rows, total, norms2, query_norms2, l2,
                                                                         mask);
  return cudaGetLastError();
}

cudaError_t LaunchTopK(const uint32_t* keys, size_t rows, size_t queries, int k, const TopKWorkspace& workspace,
                       int32_t* out_rows, float* out_scores, cudaStream_t stream) {
  if (rows == 0 || queries == 0) return cudaSuccess;
  const dim3 grid(Blocks(rows, kMaxBlocksPerQuery), static_cast<unsigned>(queries));
  const auto select_blocks = static_cast<unsigned>((queries + 127) / 128);
  cudaError_t error = cudaMemsetAsync(workspace.states, 0, queries * sizeof(SelectState), stream);
  for (int pass = 0; pass < 4 && error == cudaSuccess; ++pass) {
    const int shift = 24 - 8 * pass;
    error = cudaMemsetAsync(workspace.histograms, 0, queries * kBins * sizeof(uint32_t), stream);
    if (error != cudaSuccess) break;
    HistogramKernel<<<grid, kThreads, 0, stream>>>(keys, rows, workspace.states, shift, workspace.histograms);
    SelectDigitKernel<<<select_blocks, 128, 0, stream>>>(workspace.histograms, queries, shift, k, pass == 0,
                                                         workspace.states);
    error = cudaGetLastError();
  }
  if (error == cudaSuccess) error = cudaMemsetAsync(workspace.counters, 0, queries * 2 * sizeof(uint32_t), stream);
  if (error != cudaSuccess) return error;
  GatherKernel<<<grid, kThreads, 0, stream>>>(keys, rows, workspace.states, k, workspace.counters, out_rows,
                                              out_scores);
  return cudaGetLastError();
}

}  // namespace catena::retrieval::cuda
