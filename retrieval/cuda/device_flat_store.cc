// DeviceFlatStore on the CUDA runtime and cuBLAS (host code, compiled by the C++ compiler; kernels are in
// knn_kernels.cu). Rows live column after column in one device buffer (row-major, dimension floats each),
// which cuBLAS sees as a column-major dimension x rows matrix.
#include "retrieval/cuda/device_flat_store.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <limits>
#include <mutex>

#include "common/cuda/cublas_loader.h"
#include "common/cuda/cuda_status.h"
#include "common/cuda/device_buffer.h"
#include "common/status.h"
#include "retrieval/cuda/knn_kernels.h"

namespace catena::retrieval::cuda {
namespace {

using ::catena::cuda::Cublas;
using ::catena::cuda::CublasApi;
using ::catena::cuda::CublasStatus;
using ::catena::cuda::CudaStatus;
using ::catena::cuda::DeviceBuffer;

// Score-matrix floats per search chunk (256 MiB): bounds how many queries are scored at once.
constexpr size_t kScoreFloats = size_t{64} << 20;
constexpr size_t kMaxQueriesPerChunk = 4096;  // also keeps the kernels' grid.y small

float SquaredNorm(const float* values, int dimension) {
  float sum = 0;
  for (int d = 0; d < dimension; ++d) sum += values[d] * values[d];
  return sum;
}

}  // namespace

struct DeviceFlatStore::State {
  ~State() {
    if (blas != nullptr) api->destroy(blas);
    if (stream != nullptr) cudaStreamDestroy(stream);
  }

  int dimension = 0;
  bool l2 = false;
  cudaStream_t stream = nullptr;
  const CublasApi* api = nullptr;
  cublasHandle_t blas = nullptr;
  std::mutex mutex;  // guards everything below
  size_t rows = 0;
  DeviceBuffer<float> vectors;  // capacity rows x dimension
  DeviceBuffer<float> norms2;   // squared norm per row
  // Search workspace, grown on demand and reused.
  DeviceBuffer<float> queries, query_norms2, scores, out_scores;
  DeviceBuffer<int32_t> out_rows;
  DeviceBuffer<uint8_t> mask;
  DeviceBuffer<uint32_t> histograms, counters;
  DeviceBuffer<SelectState> states;

  // Sizes the search workspace for `chunk` queries at a time, k results each.
  absl::Status ReserveWorkspace(size_t chunk, size_t k, bool masked);
  // Scores `n` queries against every row and selects each one's best k on the device (not synchronized).
  absl::Status ScoreAndSelect(const float* host_queries, size_t n, size_t k, bool masked);
  // Waits for ScoreAndSelect and returns the hits of its `n` queries.
  absl::StatusOr<std::vector<std::vector<RowHit>>> Collect(size_t n, size_t k);
};

absl::StatusOr<std::string> DeviceName() { return ::catena::cuda::FirstDeviceName(); }

DeviceFlatStore::DeviceFlatStore(std::unique_ptr<State> state) : state_(std::move(state)) {}
DeviceFlatStore::~DeviceFlatStore() = default;

absl::StatusOr<std::unique_ptr<DeviceFlatStore>> DeviceFlatStore::Create(int dimension, bool l2) {
  CATENA_RETURN_IF_ERROR(DeviceName().status());
  auto state = std::make_unique<State>();
  state->dimension = dimension;
  state->l2 = l2;
  CATENA_RETURN_IF_ERROR(CudaStatus(cudaSetDevice(0), "cudaSetDevice"));
  CATENA_RETURN_IF_ERROR(
      CudaStatus(cudaStreamCreateWithFlags(&state->stream, cudaStreamNonBlocking), "cudaStreamCreate"));
  CATENA_ASSIGN_OR_RETURN(state->api, Cublas());
  CATENA_RETURN_IF_ERROR(CublasStatus(state->api->create(&state->blas), "cublasCreate"));
  CATENA_RETURN_IF_ERROR(CublasStatus(state->api->set_stream(state->blas, state->stream), "cublasSetStream"));
  // Plain FP32 (no TF32 tensor cores), so scores match the CPU index up to summation order.
  CATENA_RETURN_IF_ERROR(
      CublasStatus(state->api->set_math_mode(state->blas, CUBLAS_DEFAULT_MATH), "cublasSetMathMode"));
  return std::unique_ptr<DeviceFlatStore>(new DeviceFlatStore(std::move(state)));
}

size_t DeviceFlatStore::size() const {
  std::lock_guard lock(state_->mutex);
  return state_->rows;
}

absl::Status DeviceFlatStore::Resize(size_t rows) {
  State& s = *state_;
  std::lock_guard lock(s.mutex);
  if (rows > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return absl::ResourceExhaustedError(absl::StrCat("device: cuda holds at most 2^31-1 vectors, asked for ", rows));
  }
  const size_t dimension = static_cast<size_t>(s.dimension);
  const size_t capacity = s.norms2.capacity();
  if (rows > capacity) {
    const size_t grown = std::max({rows, 2 * capacity, size_t{1024}});
    const size_t keep = std::min(s.rows, rows);
    CATENA_RETURN_IF_ERROR(s.vectors.Grow(grown * dimension, keep * dimension, s.stream));
    CATENA_RETURN_IF_ERROR(s.norms2.Grow(grown, keep, s.stream));
  }
  s.rows = rows;
  return absl::OkStatus();
}

absl::Status DeviceFlatStore::Write(size_t begin, size_t count, const float* data) {
  State& s = *state_;
  std::lock_guard lock(s.mutex);
  if (begin > s.rows || count > s.rows - begin) {
    return absl::InternalError(absl::StrCat("device rows [", begin, ", ", begin + count, ") past size ", s.rows));
  }
  if (count == 0) return absl::OkStatus();
  const size_t dimension = static_cast<size_t>(s.dimension);
  float* target = s.vectors.get() + begin * dimension;
  CATENA_RETURN_IF_ERROR(
      CudaStatus(cudaMemcpyAsync(target, data, count * dimension * sizeof(float), cudaMemcpyHostToDevice, s.stream),
                 "uploading rows"));
  CATENA_RETURN_IF_ERROR(
      CudaStatus(LaunchSquaredNorms(target, count, s.dimension, s.norms2.get() + begin, s.stream), "row norms"));
  return CudaStatus(cudaStreamSynchronize(s.stream), "uploading rows");
}

absl::Status DeviceFlatStore::State::ReserveWorkspace(size_t chunk, size_t k, bool masked) {
  CATENA_RETURN_IF_ERROR(queries.Reserve(chunk * static_cast<size_t>(dimension)));
  CATENA_RETURN_IF_ERROR(query_norms2.Reserve(chunk));
  CATENA_RETURN_IF_ERROR(scores.Reserve(chunk * rows));
  CATENA_RETURN_IF_ERROR(histograms.Reserve(chunk * 256));
  CATENA_RETURN_IF_ERROR(states.Reserve(chunk));
  CATENA_RETURN_IF_ERROR(counters.Reserve(chunk * 2));
  CATENA_RETURN_IF_ERROR(out_rows.Reserve(chunk * k));
  CATENA_RETURN_IF_ERROR(out_scores.Reserve(chunk * k));
  if (masked) CATENA_RETURN_IF_ERROR(mask.Reserve(rows));
  return absl::OkStatus();
}

absl::Status DeviceFlatStore::State::ScoreAndSelect(const float* host_queries, size_t n, size_t k, bool masked) {
  const size_t width = static_cast<size_t>(dimension);
  std::vector<float> host_norms2(n);
  for (size_t q = 0; q < n; ++q) host_norms2[q] = SquaredNorm(host_queries + q * width, dimension);
  CATENA_RETURN_IF_ERROR(CudaStatus(
      cudaMemcpyAsync(queries.get(), host_queries, n * width * sizeof(float), cudaMemcpyHostToDevice, stream),
      "uploading queries"));
  CATENA_RETURN_IF_ERROR(CudaStatus(
      cudaMemcpyAsync(query_norms2.get(), host_norms2.data(), n * sizeof(float), cudaMemcpyHostToDevice, stream),
      "uploading query norms"));
  // Score column q (rows floats) = vectors^T x query q; the vectors form a column-major dimension x rows matrix.
  const float one = 1.0f;
  const float zero = 0.0f;
  const int m = static_cast<int>(rows);
  if (n == 1) {
    CATENA_RETURN_IF_ERROR(CublasStatus(api->sgemv(blas, CUBLAS_OP_T, dimension, m, &one, vectors.get(), dimension,
                                                   queries.get(), 1, &zero, scores.get(), 1),
                                        "sgemv"));
  } else {
    CATENA_RETURN_IF_ERROR(
        CublasStatus(api->sgemm(blas, CUBLAS_OP_T, CUBLAS_OP_N, m, static_cast<int>(n), dimension, &one, vectors.get(),
                                dimension, queries.get(), dimension, &zero, scores.get(), m),
                     "sgemm"));
  }
  CATENA_RETURN_IF_ERROR(CudaStatus(LaunchScoresToKeys(scores.get(), rows, n, norms2.get(), query_norms2.get(), l2,
                                                       masked ? mask.get() : nullptr, stream),
                                    "scores to keys"));
  const TopKWorkspace workspace{.histograms = histograms.get(), .states = states.get(), .counters = counters.get()};
  return CudaStatus(LaunchTopK(reinterpret_cast<const uint32_t*>(scores.get()), rows, n, static_cast<int>(k), workspace,
                               out_rows.get(), out_scores.get(), stream),
                    "top-k");
}

absl::StatusOr<std::vector<std::vector<RowHit>>> DeviceFlatStore::State::Collect(size_t n, size_t k) {
  std::vector<int32_t> hit_rows(n * k);
  std::vector<float> hit_scores(n * k);
  std::vector<SelectState> selected(n);
  CATENA_RETURN_IF_ERROR(CudaStatus(
      cudaMemcpyAsync(hit_rows.data(), out_rows.get(), n * k * sizeof(int32_t), cudaMemcpyDeviceToHost, stream),
      "downloading results"));
  CATENA_RETURN_IF_ERROR(CudaStatus(
      cudaMemcpyAsync(hit_scores.data(), out_scores.get(), n * k * sizeof(float), cudaMemcpyDeviceToHost, stream),
      "downloading results"));
  CATENA_RETURN_IF_ERROR(CudaStatus(
      cudaMemcpyAsync(selected.data(), states.get(), n * sizeof(SelectState), cudaMemcpyDeviceToHost, stream),
      "downloading results"));
  CATENA_RETURN_IF_ERROR(CudaStatus(cudaStreamSynchronize(stream), "search"));
  std::vector<std::vector<RowHit>> results(n);
  for (size_t q = 0; q < n; ++q) {
    const size_t want = std::min<size_t>(selected[q].want, k);
    results[q].reserve(want);
    for (size_t j = 0; j < want; ++j) results[q].push_back({hit_rows[q * k + j], hit_scores[q * k + j]});
  }
  return results;
}

absl::StatusOr<std::vector<std::vector<RowHit>>> DeviceFlatStore::Search(const float* queries, size_t count, int k,
                                                                         std::span<const uint8_t> mask) const {
  State& s = *state_;
  std::lock_guard lock(s.mutex);
  std::vector<std::vector<RowHit>> results(count);
  if (s.rows == 0 || count == 0 || k < 1) return results;
  if (!mask.empty() && mask.size() != s.rows) {
    return absl::InternalError(absl::StrCat("device search mask has ", mask.size(), " rows, store ", s.rows));
  }
  const size_t k_rows = std::min(static_cast<size_t>(k), s.rows);
  const size_t chunk = std::clamp<size_t>(kScoreFloats / s.rows, 1, std::min(count, kMaxQueriesPerChunk));
  CATENA_RETURN_IF_ERROR(s.ReserveWorkspace(chunk, k_rows, !mask.empty()));
  if (!mask.empty()) {
    CATENA_RETURN_IF_ERROR(CudaStatus(
        cudaMemcpyAsync(s.mask.get(), mask.data(), mask.size(), cudaMemcpyHostToDevice, s.stream), "uploading mask"));
  }
  for (size_t begin = 0; begin < count; begin += chunk) {
    const size_t n = std::min(chunk, count - begin);
    CATENA_RETURN_IF_ERROR(s.ScoreAndSelect(queries + begin * s.dimension, n, k_rows, !mask.empty()));
    CATENA_ASSIGN_OR_RETURN(std::vector<std::vector<RowHit>> hits, s.Collect(n, k_rows));
    std::move(hits.begin(), hits.end(), results.begin() + static_cast<ptrdiff_t>(begin));
  }
  return results;
}

}  // namespace catena::retrieval::cuda
