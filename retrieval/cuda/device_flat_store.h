// DeviceFlatStore: vectors resident on CUDA device 0 and the exact top-k search over them (cuBLAS
// SGEMV/SGEMM for the dot products, then radix top-k kernels). Used by CudaFlatIndex, which mirrors its host
// FlatVectorStore row for row into it. No CUDA types appear here (the CUDA state is opaque). Thread-safe: every
// call takes an internal mutex, so searches on one store run one at a time on one stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace catena::retrieval::cuda {

// The name of CUDA device 0 ("NVIDIA H200"), or FAILED_PRECONDITION saying why there is no usable device.
absl::StatusOr<std::string> DeviceName();

// One search result: a row of the store and its score (higher is better).
struct RowHit {
  int64_t row = 0;
  float score = 0;
};

class DeviceFlatStore {
 public:
  // An empty store for `dimension`-float rows; scores are dot products, or negated squared L2 with `l2`.
  static absl::StatusOr<std::unique_ptr<DeviceFlatStore>> Create(int dimension, bool l2);
  ~DeviceFlatStore();
  DeviceFlatStore(const DeviceFlatStore&) = delete;
  DeviceFlatStore& operator=(const DeviceFlatStore&) = delete;

  size_t size() const;
  // Makes the store `rows` rows long, keeping rows [0, min(old, new)); new rows must then be written.
  absl::Status Resize(size_t rows);
  // Overwrites rows [begin, begin + count) (< size()) with `data` (count x dimension floats) and their norms.
  absl::Status Write(size_t begin, size_t count, const float* data);
  // For each of `count` queries (contiguous, dimension floats each) the best min(k, passing rows) rows,
  // unordered. `mask` is empty (all rows pass) or size() bytes, nonzero where the row may be returned.
  absl::StatusOr<std::vector<std::vector<RowHit>>> Search(const float* queries, size_t count, int k,
                                                          std::span<const uint8_t> mask) const;

 private:
  struct State;
  explicit DeviceFlatStore(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace catena::retrieval::cuda
