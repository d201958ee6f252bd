// Internal to retrieval/cuda: the CUDA kernels of the exact k-NN search (row norms, scores to ordered keys,
// radix top-k selection) behind plain launcher functions, so that only knn_kernels.cu is compiled by nvcc.
// Included by knn_kernels.cu and device_flat_store.cc only. Launchers enqueue on `stream` and return the
// launch error (cudaSuccess when enqueued); none of them synchronizes.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace catena::retrieval::cuda {

// Per-query state of the radix selection of the k-th best key (MSB-first, 8 bits per pass).
struct SelectState {
  uint32_t prefix = 0;  // key bits decided so far
  uint32_t mask = 0;    // which bits of `prefix` are decided
  uint32_t want = 0;    // how many results this query gets: min(k, rows that passed the mask)
  uint32_t above = 0;   // rows whose key is strictly greater than the final threshold key
};

// Buffers the top-k launcher works in; sizes are for `queries` queries over `rows` rows.
struct TopKWorkspace {
  uint32_t* histograms = nullptr;  // queries * 256
  SelectState* states = nullptr;   // queries
  uint32_t* counters = nullptr;    // queries * 2
};

// norms2[i] = squared L2 norm of row i of `rows` (count x dimension, row-major).
cudaError_t LaunchSquaredNorms(const float* rows, size_t count, int dimension, float* norms2, cudaStream_t stream);

// Turns the score matrix (queries columns of `rows` dot products each, column q at scores + q * rows) into
// order-preserving uint32 keys in place. With `l2`, a score becomes -(norms2[i] - 2 dot + query_norms2[q]).
// Rows with mask[i] == 0 (when mask is non-null) get key 0, which means "excluded".
cudaError_t LaunchScoresToKeys(float* scores, size_t rows, size_t queries, const float* norms2,
                               const float* query_norms2, bool l2, const uint8_t* mask, cudaStream_t stream);

// For each query column of `keys`, writes its min(k, non-excluded rows) best rows (unordered) and their scores
// to out_rows / out_scores + q * k, and the count to workspace.states[q].want. Ties at the k-th key are
// broken arbitrarily.
cudaError_t LaunchTopK(const uint32_t* keys, size_t rows, size_t queries, int k, const TopKWorkspace& workspace,
                       int32_t* out_rows, float* out_scores, cudaStream_t stream);

}  // namespace catena::retrieval::cuda
