#include "retrieval/flat_vectors.h"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace catena::retrieval {
namespace {

// Rows scored per sgemm block in SearchBatch: bounds the score buffer to about 16 MiB.
constexpr size_t kBatchScoreFloats = size_t{4} << 20;
// Single-query searches over at least this many rows split their coarse pass over two threads, when no other
// single-query search runs (concurrent searches already keep the cores busy; teams of two each would
// oversubscribe them).
constexpr size_t kParallelScanRows = 32768;
std::atomic<int> searches_in_flight{0};
// When the coarse pass keeps more than 1 / kFallbackFraction of the rows (data without structure, where 4-bit
// bounds cannot separate scores), one plain scan of the floats is cheaper than bounding and scoring them one by
// one.
constexpr size_t kFallbackFraction = 4;

// A size-k min-heap on BetterScored: the worst kept result sits at front().
class TopK {
 public:
  explicit TopK(int k) : k_(static_cast<size_t>(std::max(k, 0))) { heap_.reserve(k_); }
  void Offer(int64_t id, float score) {
    if (heap_.size() < k_) {
      heap_.push_back({id, score});
      std::push_heap(heap_.begin(), heap_.end(), BetterScored);
    } else if (k_ > 0 && BetterScored({id, score}, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), BetterScored);
      heap_.back() = {id, score};
      std::push_heap(heap_.begin(), heap_.end(), BetterScored);
    }
  }
  // Whether `score` could enter (cheap pre-check before building a ScoredId).
  bool MayAccept(float score) const { return heap_.size() < k_ || score >= heap_.front().score; }
  std::vector<ScoredId> Take() {
    std::sort(heap_.begin(), heap_.end(), BetterScored);
    return std::move(heap_);
  }

 private:
  size_t k_;
  std::vector<ScoredId> heap_;
};

float SquaredNorm(const float* v, int dimension) { return cblas_sdot(dimension, v, 1, v, 1); }

template <typename T>
void WritePod(std::ostream& out, const T& value) {
  out.write(reinterpret_cast<const char*>(&value), sizeof(T));
}

}  // namespace

void NormalizeInPlace(std::span<float> vector) {
  double sum = 0;
  for (float x : vector) sum += static_cast<double>(x) * x;
  if (sum <= 0) return;
  const float scale = static_cast<float>(1.0 / std::sqrt(sum));
  for (float& x : vector) x *= scale;
}

bool BetterScored(const ScoredId& a, const ScoredId& b) {
  if (a.score != b.score) return a.score > b.score;
  return a.id < b.id;
}

void FlatVectorStore::Put(int64_t id, std::span<const float> row) {
  auto [it, inserted] = rows_.try_emplace(id, ids_.size());
  if (inserted) {
    ids_.push_back(id);
    data_.insert(data_.end(), row.begin(), row.end());
    norms2_.push_back(0);
    codes_.Append(row);
  } else {
    std::copy(row.begin(), row.end(), data_.begin() + it->second * dimension_);
    codes_.Set(it->second, row);
  }
  norms2_[it->second] = SquaredNorm(row.data(), dimension_);
}

bool FlatVectorStore::Erase(int64_t id) {
  auto it = rows_.find(id);
  if (it == rows_.end()) return false;
  const size_t row = it->second;
  const size_t last = ids_.size() - 1;
  rows_.erase(it);
  if (row != last) {
    std::copy_n(data_.begin() + last * dimension_, dimension_, data_.begin() + row * dimension_);
    norms2_[row] = norms2_[last];
    ids_[row] = ids_[last];
    rows_[ids_[row]] = row;
  }
  ids_.pop_back();
  norms2_.pop_back();
  codes_.MoveLastTo(row);
  data_.resize(last * dimension_);
  return true;
}

std::span<const float> FlatVectorStore::Row(int64_t id) const {
  auto it = rows_.find(id);
  if (it == rows_.end()) return {};
  return std::span<const float>(data_).subspan(it->second * dimension_, dimension_);
}

void FlatVectorStore::FinishScores(const float* query_norm2, size_t begin, size_t n, float* scores) const {
  if (metric_ != Metric::kL2) return;
  for (size_t i = 0; i < n; ++i) scores[i] = -(norms2_[begin + i] - 2 * scores[i] + *query_norm2);
}

float FlatVectorStore::ScoreRow(const float* query, float query_norm2, size_t row) const {
  const float* r = data_.data() + row * dimension_;
  const float dot = cblas_sdot(dimension_, query, 1, r, 1);
  if (metric_ != Metric::kL2) return dot;
  return -(norms2_[row] - 2 * dot + query_norm2);
}

ScoreRange FlatVectorStore::ToScoreRange(const DotBounds& dot, float query_norm2, size_t row) const {
  if (metric_ != Metric::kL2) return {dot.approx - dot.margin, dot.approx + dot.margin};
  // -(|x|^2 - 2 q.x + |q|^2): twice the dot's margin, plus 8 ulps of the magnitudes for the float operations.
  constexpr float kL2Rounding = 0x1p-21f;
  const float n2 = norms2_[row];
  const float score = -(n2 - 2 * dot.approx + query_norm2);
  const float margin = 2 * dot.margin + kL2Rounding * (n2 + query_norm2 + 2 * (std::fabs(dot.approx) + dot.margin));
  return {score - margin, score + margin};
}

std::vector<size_t> FlatVectorStore::CoarsePass(const Int8Query& query, float query_norm2, int k,
                                                const IdFilter* filter, size_t begin, size_t end,
                                                std::vector<float>* lowers) const {
  std::vector<float>& best = *lowers;  // a min-heap of the best k lower bounds so far
  best.reserve(static_cast<size_t>(k));
  std::vector<size_t> candidates;
  float bar = -std::numeric_limits<float>::infinity();  // only rises, so no dropped row could come back
  constexpr size_t kBlock = 512;
  DotBounds bounds[kBlock];
  for (size_t block = begin; block < end; block += kBlock) {
    const size_t rows = std::min(kBlock, end - block);
    codes_.CoarseBounds(query, block, rows, bounds);
    for (size_t i = 0; i < rows; ++i) {
      const ScoreRange range = ToScoreRange(bounds[i], query_norm2, block + i);
      if (range.upper < bar) continue;
      if (filter != nullptr && !filter->Contains(ids_[block + i])) continue;
      candidates.push_back(block + i);
      if (best.size() == static_cast<size_t>(k)) {
        if (!(range.lower > best.front())) continue;
        std::pop_heap(best.begin(), best.end(), std::greater<>());
        best.back() = range.lower;
      } else {
        best.push_back(range.lower);
      }
      std::push_heap(best.begin(), best.end(), std::greater<>());
      if (best.size() == static_cast<size_t>(k)) bar = best.front();
    }
  }
  return candidates;
}

std::vector<ScoredId> FlatVectorStore::ScanAll(const float* query, float query_norm2, int k,
                                               const IdFilter* filter) const {
  const size_t n = ids_.size();
  std::vector<float> scores(n);
  cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(n), dimension_, 1.0f, data_.data(), dimension_, query, 1,
              0.0f, scores.data(), 1);
  FinishScores(&query_norm2, 0, n, scores.data());
  TopK top(k);
  for (size_t i = 0; i < n; ++i) {
    if (!top.MayAccept(scores[i])) continue;
    if (filter != nullptr && !filter->Contains(ids_[i])) continue;
    top.Offer(ids_[i], scores[i]);
  }
  return top.Take();
}

std::vector<ScoredId> FlatVectorStore::Search(const float* query, int k, const IdFilter* filter) const {
  TopK top(k);
  if (ids_.empty() || k <= 0) return top.Take();
  const Int8Query code = codes_.Quantize(query);
  const float query_norm2 = SquaredNorm(query, dimension_);
  // Pass 1 (high nibbles of every row): at least k rows passing the filter score >= threshold, so a row whose
  // upper bound is below it cannot be in the top k.
  const size_t n = ids_.size();
  const bool alone = searches_in_flight.fetch_add(1, std::memory_order_relaxed) == 0;
  const int parts = n >= kParallelScanRows && alone ? 2 : 1;
  std::vector<size_t> part_rows[2];
  std::vector<float> part_lowers[2];
#pragma omp parallel for num_threads(parts) schedule(static, 1)
  for (int p = 0; p < parts; ++p) {
    part_rows[p] = CoarsePass(code, query_norm2, k, filter, n * p / parts, n * (p + 1) / parts, &part_lowers[p]);
  }
  searches_in_flight.fetch_sub(1, std::memory_order_relaxed);
  if (part_rows[0].size() + part_rows[1].size() > n / kFallbackFraction) return ScanAll(query, query_norm2, k, filter);
  std::vector<size_t> coarse = std::move(part_rows[0]);
  coarse.insert(coarse.end(), part_rows[1].begin(), part_rows[1].end());
  std::vector<float>& best = part_lowers[0];
  best.insert(best.end(), part_lowers[1].begin(), part_lowers[1].end());
  float threshold = -std::numeric_limits<float>::infinity();
  if (best.size() >= static_cast<size_t>(k)) {
    std::nth_element(best.begin(), best.begin() + (k - 1), best.end(), std::greater<>());
    threshold = best[k - 1];
  }
  // Pass 2 (whole int8 codes of the rows left): tighter bounds, a higher threshold.
  std::vector<std::pair<size_t, float>> candidates;  // row, upper bound
  std::vector<float> lowers;
  for (size_t row : coarse) {
    const ScoreRange range = ToScoreRange(codes_.FineBounds(code, row), query_norm2, row);
    if (range.upper < threshold) continue;
    candidates.push_back({row, range.upper});
    lowers.push_back(range.lower);
  }
  if (lowers.size() >= static_cast<size_t>(k)) {
    std::nth_element(lowers.begin(), lowers.begin() + (k - 1), lowers.end(), std::greater<>());
    threshold = std::max(threshold, lowers[k - 1]);
  }
  // Pass 3: exact scores of the rows that may still reach the top k.
  for (const auto& [row, bound] : candidates) {
    if (bound >= threshold) top.Offer(ids_[row], ScoreRow(query, query_norm2, row));
  }
  return top.Take();
}

std::vector<std::vector<ScoredId>> FlatVectorStore::SearchBatch(const float* queries, size_t count, int k,
                                                                const IdFilter* filter) const {
  const size_t n = ids_.size();
  std::vector<TopK> tops(count, TopK(k));
  std::vector<float> query_norms2(count);
  for (size_t q = 0; q < count; ++q) query_norms2[q] = SquaredNorm(queries + q * dimension_, dimension_);
  const size_t block = std::max<size_t>(64, kBatchScoreFloats / std::max<size_t>(count, 1));
  std::vector<float> scores;
  for (size_t begin = 0; begin < n; begin += block) {
    const size_t rows = std::min(block, n - begin);
    scores.resize(rows * count);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(count), static_cast<int>(rows), dimension_,
                1.0f, queries, dimension_, data_.data() + begin * dimension_, dimension_, 0.0f, scores.data(),
                static_cast<int>(rows));
    for (size_t q = 0; q < count; ++q) {
      float* row_scores = scores.data() + q * rows;
      FinishScores(&query_norms2[q], begin, rows, row_scores);
      for (size_t i = 0; i < rows; ++i) {
        if (!tops[q].MayAccept(row_scores[i])) continue;
        if (filter != nullptr && !filter->Contains(ids_[begin + i])) continue;
        tops[q].Offer(ids_[begin + i], row_scores[i]);
      }
    }
  }
  std::vector<std::vector<ScoredId>> results(count);
  for (size_t q = 0; q < count; ++q) results[q] = tops[q].Take();
  return results;
}

std::vector<ScoredId> FlatVectorStore::SearchAmong(const float* query, int k, std::span<const int64_t> ids) const {
  TopK top(k);
  const float query_norm2 = SquaredNorm(query, dimension_);
  for (int64_t id : ids) {
    auto it = rows_.find(id);
    if (it != rows_.end()) top.Offer(id, ScoreRow(query, query_norm2, it->second));
  }
  return top.Take();
}

void FlatVectorStore::Write(std::ostream& out) const {
  WritePod(out, static_cast<uint64_t>(ids_.size()));
  out.write(reinterpret_cast<const char*>(ids_.data()), static_cast<std::streamsize>(ids_.size() * sizeof(int64_t)));
  out.write(reinterpret_cast<const char*>(data_.data()), static_cast<std::streamsize>(data_.size() * sizeof(float)));
}

absl::Status FlatVectorStore::Read(std::istream& in) {
  uint64_t count = 0;
  in.read(reinterpret_cast<char*>(&count), sizeof(count));
  if (!in || count > (uint64_t{1} << 40) / static_cast<uint64_t>(dimension_)) {
    return absl::DataLossError(absl::StrCat("vector store: bad row count ", count));
  }
  std::vector<int64_t> ids(count);
  std::vector<float> data(count * dimension_);
  in.read(reinterpret_cast<char*>(ids.data()), static_cast<std::streamsize>(count * sizeof(int64_t)));
  in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(data.size() * sizeof(float)));
  if (!in) return absl::DataLossError(absl::StrCat("vector store: truncated after header (", count, " rows)"));
  *this = FlatVectorStore(dimension_, metric_);
  for (size_t i = 0; i < count; ++i) {
    Put(ids[i], std::span<const float>(data).subspan(i * dimension_, dimension_));
  }
  return absl::OkStatus();
}

namespace {

constexpr char kMagic[8] = {'C', 'A', 'T', 'V', 'I', 'D', 'X', '1'};

// Writes with `write` to a temp file next to `path`, then renames it over `path`.
absl::Status WriteAtomically(const std::filesystem::path& path,
                             const std::function<absl::Status(const std::filesystem::path&)>& write) {
  const std::filesystem::path temp = path.string() + ".tmp";
  CATENA_RETURN_IF_ERROR(write(temp));
  std::error_code error;
  std::filesystem::rename(temp, path, error);
  if (error) return absl::InternalError(absl::StrCat("renaming ", temp.string(), ": ", error.message()));
  return absl::OkStatus();
}

}  // namespace

std::vector<float> FlatIndex::Prepare(std::span<const float> vectors) const {
  std::vector<float> rows(vectors.begin(), vectors.end());
  if (spec_.metric == Metric::kCosine) {
    for (size_t i = 0; i < rows.size(); i += spec_.dimension) {
      NormalizeInPlace(std::span<float>(rows).subspan(i, spec_.dimension));
    }
  }
  return rows;
}

absl::Status FlatIndex::Upsert(std::span<const int64_t> ids, std::span<const float> vectors) {
  CATENA_RETURN_IF_ERROR(ValidateVectors(ids, vectors, spec_.dimension));
  const std::vector<float> rows = Prepare(vectors);
  absl::MutexLock lock(&mutex_);
  size_t replaced = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    replaced += store_.Contains(ids[i]) ? 1 : 0;
    store_.Put(ids[i], std::span<const float>(rows).subspan(i * spec_.dimension, spec_.dimension));
  }
  return AddApprox(ids, rows, replaced);
}

absl::Status FlatIndex::Remove(std::span<const int64_t> ids) {
  absl::MutexLock lock(&mutex_);
  std::vector<int64_t> removed;
  for (int64_t id : ids) {
    if (store_.Erase(id)) removed.push_back(id);
  }
  if (removed.empty()) return absl::OkStatus();
  return RemoveApprox(removed);
}

bool FlatIndex::Selective(const IdFilter& filter, int k) const {
  const size_t threshold = std::max<size_t>(4 * static_cast<size_t>(k), store_.size() / 50);
  return filter.Count() < threshold;
}

std::vector<ScoredId> FlatIndex::Rerank(const float* query, std::span<const int64_t> candidates, int k) const {
  return store_.SearchAmong(query, k, candidates);
}

absl::StatusOr<std::vector<ScoredId>> FlatIndex::SearchPrepared(const float* query,
                                                                const IndexSearchParams& params) const {
  if (params.filter != nullptr && Selective(*params.filter, params.k)) {
    return store_.SearchAmong(query, params.k, params.filter->Ids());
  }
  if (!ApproxReady()) return store_.Search(query, params.k, params.filter);
  return SearchApprox(query, params);
}

absl::StatusOr<std::vector<ScoredId>> FlatIndex::Search(std::span<const float> query,
                                                        const IndexSearchParams& params) const {
  if (query.size() != static_cast<size_t>(spec_.dimension)) {
    return absl::InvalidArgumentError(
        absl::StrCat("query: expected ", spec_.dimension, " floats (the dimension), got ", query.size()));
  }
  CATENA_RETURN_IF_ERROR(ValidateQueries(query, spec_.dimension, params));
  const std::vector<float> prepared = Prepare(query);
  absl::ReaderMutexLock lock(&mutex_);
  return SearchPrepared(prepared.data(), params);
}

absl::StatusOr<std::vector<std::vector<ScoredId>>> FlatIndex::SearchBatch(std::span<const float> queries,
                                                                          const IndexSearchParams& params) const {
  CATENA_RETURN_IF_ERROR(ValidateQueries(queries, spec_.dimension, params));
  const std::vector<float> prepared = Prepare(queries);
  const size_t count = queries.size() / spec_.dimension;
  absl::ReaderMutexLock lock(&mutex_);
  const bool selective = params.filter != nullptr && Selective(*params.filter, params.k);
  if (!selective && !ApproxReady()) return store_.SearchBatch(prepared.data(), count, params.k, params.filter);
  if (!selective) return SearchBatchApprox(prepared.data(), count, params);
  std::vector<std::vector<ScoredId>> results(count);
  for (size_t q = 0; q < count; ++q) {
    CATENA_ASSIGN_OR_RETURN(results[q], SearchPrepared(prepared.data() + q * spec_.dimension, params));
  }
  return results;
}

absl::StatusOr<std::vector<std::vector<ScoredId>>> FlatIndex::SearchBatchApprox(const float* queries, size_t count,
                                                                                const IndexSearchParams& params) const {
  std::vector<std::vector<ScoredId>> results(count);
  for (size_t q = 0; q < count; ++q) {
    CATENA_ASSIGN_OR_RETURN(results[q], SearchApprox(queries + q * spec_.dimension, params));
  }
  return results;
}

std::optional<std::vector<float>> FlatIndex::Vector(int64_t id) const {
  absl::ReaderMutexLock lock(&mutex_);
  std::span<const float> row = store_.Row(id);
  if (row.empty()) return std::nullopt;
  return std::vector<float>(row.begin(), row.end());
}

size_t FlatIndex::size() const {
  absl::ReaderMutexLock lock(&mutex_);
  return store_.size();
}

absl::Status FlatIndex::Save(const std::filesystem::path& path) const {
  absl::ReaderMutexLock lock(&mutex_);
  const std::string suffix = SidecarSuffix();
  if (!suffix.empty()) {
    CATENA_RETURN_IF_ERROR(
        WriteAtomically(path.string() + suffix, [&](const std::filesystem::path& temp) { return SaveSidecar(temp); }));
  }
  return WriteAtomically(path, [&](const std::filesystem::path& temp) {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(kMagic, sizeof(kMagic));
    const int32_t header[3] = {spec_.dimension, static_cast<int32_t>(spec_.metric),
                               static_cast<int32_t>(spec_.index.size())};
    out.write(reinterpret_cast<const char*>(header), sizeof(header));
    out.write(spec_.index.data(), static_cast<std::streamsize>(spec_.index.size()));
    out.put(trained() ? 1 : 0);
    store_.Write(out);
    out.close();
    if (!out) return absl::InternalError(absl::StrCat("writing ", temp.string(), " failed"));
    return absl::OkStatus();
  });
}

absl::Status FlatIndex::LoadFrom(const std::filesystem::path& path) {
  absl::MutexLock lock(&mutex_);
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot open file");
  char magic[sizeof(kMagic)] = {};
  int32_t header[3] = {};
  in.read(magic, sizeof(magic));
  in.read(reinterpret_cast<char*>(header), sizeof(header));
  if (!in || std::memcmp(magic, kMagic, sizeof(kMagic)) != 0 || header[2] < 0 || header[2] > 4096) {
    return absl::DataLossError("not a Catena vector index file");
  }
  std::string index(static_cast<size_t>(header[2]), '\0');
  in.read(index.data(), header[2]);
  const bool saved_trained = in.get() == 1;
  if (header[0] != spec_.dimension || header[1] != static_cast<int32_t>(spec_.metric) || index != spec_.index) {
    return absl::FailedPreconditionError(absl::StrCat("saved spec (dimension ", header[0], ", metric ",
                                                      std::string(MetricName(static_cast<Metric>(header[1]))),
                                                      ", index \"", index, "\") differs from the requested one"));
  }
  CATENA_RETURN_IF_ERROR(store_.Read(in));
  CATENA_RETURN_IF_ERROR(Reloaded());
  const std::string suffix = SidecarSuffix();
  if (suffix.empty()) return absl::OkStatus();
  return LoadSidecar(path.string() + suffix, saved_trained);
}

}  // namespace catena::retrieval
