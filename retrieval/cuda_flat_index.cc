#include "retrieval/cuda_flat_index.h"

#include <algorithm>

#include "common/status.h"
#include "retrieval/cuda/device_flat_store.h"
#include "spdlog/spdlog.h"

namespace catena::retrieval {

absl::StatusOr<std::unique_ptr<VectorIndex>> CudaFlatIndex::Create(const VectorIndexSpec& spec) {
  auto device = cuda::DeviceFlatStore::Create(spec.dimension, spec.metric == Metric::kL2);
  if (!device.ok()) return Annotate(device.status(), "device \"cuda\"");
  return std::unique_ptr<VectorIndex>(new CudaFlatIndex(spec, *std::move(device)));
}

CudaFlatIndex::CudaFlatIndex(const VectorIndexSpec& spec, std::unique_ptr<cuda::DeviceFlatStore> device)
    : FlatIndex(spec), device_(std::move(device)) {}

CudaFlatIndex::~CudaFlatIndex() = default;

absl::Status CudaFlatIndex::UploadAll() {
  const size_t rows = store_.size();
  CATENA_RETURN_IF_ERROR(device_->Resize(rows));
  CATENA_RETURN_IF_ERROR(device_->Write(0, rows, store_.data().data()));
  device_ids_.assign(store_.ids().begin(), store_.ids().end());
  stale_ = false;
  return absl::OkStatus();
}

absl::Status CudaFlatIndex::UploadRows(std::vector<size_t> rows) {
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  const size_t dimension = static_cast<size_t>(spec_.dimension);
  for (size_t i = 0; i < rows.size();) {
    size_t end = i + 1;
    while (end < rows.size() && rows[end] == rows[end - 1] + 1) ++end;
    const size_t first = rows[i];
    CATENA_RETURN_IF_ERROR(device_->Write(first, end - i, store_.data().data() + first * dimension));
    i = end;
  }
  return absl::OkStatus();
}

void CudaFlatIndex::MarkStale(const absl::Status& error) {
  stale_ = true;
  device_ids_.clear();
  spdlog::warn(
      "retrieval: device cuda copy of a Flat index is out of date ({}); searching on the CPU until the "
      "next write re-uploads it",
      error.ToString());
}

absl::Status CudaFlatIndex::AddApprox(std::span<const int64_t> ids, std::span<const float> rows, size_t replaced) {
  // The host store appended new ids at the end and overwrote replaced ones in place; no row moved.
  absl::Status status;
  if (stale_) {
    status = UploadAll();
  } else {
    const size_t old_rows = device_ids_.size();
    const size_t new_rows = store_.size();
    std::vector<size_t> overwritten;
    for (int64_t id : ids) {
      const std::optional<size_t> row = store_.RowOf(id);
      if (row.has_value() && *row < old_rows) overwritten.push_back(*row);
    }
    status = device_->Resize(new_rows);
    if (status.ok()) status = UploadRows(std::move(overwritten));
    if (status.ok()) {
      const size_t dimension = static_cast<size_t>(spec_.dimension);
      status = device_->Write(old_rows, new_rows - old_rows, store_.data().data() + old_rows * dimension);
    }
    if (status.ok()) device_ids_.insert(device_ids_.end(), store_.ids().begin() + old_rows, store_.ids().end());
  }
  if (!status.ok()) MarkStale(status);
  return absl::OkStatus();  // the host store has the write; searches stay exact on the CPU meanwhile
}

absl::Status CudaFlatIndex::RemoveApprox(std::span<const int64_t> ids) {
  // The host store swap-removed: some rows below the new size now hold rows moved from the end.
  absl::Status status;
  if (stale_) {
    status = UploadAll();
  } else {
    const std::span<const int64_t> host_ids = store_.ids();
    std::vector<size_t> moved;
    for (size_t row = 0; row < host_ids.size(); ++row) {
      if (device_ids_[row] != host_ids[row]) moved.push_back(row);
    }
    status = device_->Resize(host_ids.size());
    if (status.ok()) status = UploadRows(std::move(moved));
    if (status.ok()) device_ids_.assign(host_ids.begin(), host_ids.end());
  }
  if (!status.ok()) MarkStale(status);
  return absl::OkStatus();
}

absl::Status CudaFlatIndex::Reloaded() {
  absl::Status status = UploadAll();
  if (!status.ok()) MarkStale(status);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ScoredId>> CudaFlatIndex::SearchApprox(const float* query,
                                                                  const IndexSearchParams& params) const {
  CATENA_ASSIGN_OR_RETURN(std::vector<std::vector<ScoredId>> results, SearchBatchApprox(query, 1, params));
  return std::move(results[0]);
}

absl::StatusOr<std::vector<std::vector<ScoredId>>> CudaFlatIndex::SearchBatchApprox(
    const float* queries, size_t count, const IndexSearchParams& params) const {
  if (stale_) return store_.SearchBatch(queries, count, params.k, params.filter);
  const std::span<const int64_t> ids = store_.ids();
  std::vector<uint8_t> mask;
  if (params.filter != nullptr) {
    mask.resize(ids.size());
    for (size_t row = 0; row < ids.size(); ++row) mask[row] = params.filter->Contains(ids[row]) ? 1 : 0;
  }
  CATENA_ASSIGN_OR_RETURN(std::vector<std::vector<cuda::RowHit>> hits, device_->Search(queries, count, params.k, mask));
  std::vector<std::vector<ScoredId>> results(count);
  for (size_t q = 0; q < count; ++q) {
    results[q].reserve(hits[q].size());
    for (const cuda::RowHit& hit : hits[q]) {
      if (hit.row < 0 || static_cast<size_t>(hit.row) >= ids.size()) {
        return absl::InternalError(absl::StrCat("device search returned row ", hit.row, " of ", ids.size()));
      }
      results[q].push_back({ids[hit.row], hit.score});
    }
    std::sort(results[q].begin(), results[q].end(), BetterScored);
  }
  return results;
}

}  // namespace catena::retrieval
