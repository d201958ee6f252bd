#include "retrieval/faiss_index.h"

#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/IndexPQ.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>

#include <algorithm>
#include <fstream>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace catena::retrieval {
namespace {

using FaissId = faiss::Index::idx_t;

// Default IVF lists probed per query when IndexSearchParams::nprobe is 0.
constexpr int kDefaultNprobe = 8;
// Candidates fetched per wanted result before exact re-ranking of lossy codes.
constexpr int kRerankFactor = 50;

// Runs `body`, turning FAISS (and other std) exceptions into a Status that names `what`.
template <typename Body>
absl::Status CallFaiss(absl::string_view what, Body&& body) {
  try {
    body();
    return absl::OkStatus();
  } catch (const faiss::FaissException& e) {
    return absl::InternalError(absl::StrCat("FAISS ", what, ": ", e.what()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("FAISS ", what, ": ", e.what()));
  }
}

// IdFilter seen as a FAISS IDSelector (consulted during IVF list scans).
class FilterSelector final : public faiss::IDSelector {
 public:
  explicit FilterSelector(const IdFilter& filter) : filter_(filter) {}
  bool is_member(FaissId id) const override { return filter_.Contains(id); }

 private:
  const IdFilter& filter_;
};

std::string FactoryString(const IndexKind& kind) {
  const std::string codes = kind.pq_m > 0 ? absl::StrCat("PQ", kind.pq_m) : kind.sq8 ? "SQ8" : "Flat";
  return kind.nlist > 0 ? absl::StrCat("IVF", kind.nlist, ",", codes) : codes;
}

// The factory turns on polysemous training for 8-bit PQ: minutes of simulated annealing that only helps
// Hamming-threshold search, which we never use.
void DisablePolysemousTraining(faiss::Index* index) {
  if (auto* ivf_pq = dynamic_cast<faiss::IndexIVFPQ*>(index)) ivf_pq->do_polysemous_training = false;
  if (auto* pq = dynamic_cast<faiss::IndexPQ*>(index)) pq->do_polysemous_training = false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<VectorIndex>> FaissIndex::Create(const VectorIndexSpec& spec, const IndexKind& kind) {
  const faiss::MetricType metric = spec.metric == Metric::kL2 ? faiss::METRIC_L2 : faiss::METRIC_INNER_PRODUCT;
  std::unique_ptr<faiss::Index> index;
  const absl::Status status = CallFaiss("index_factory", [&] {
    index.reset(faiss::index_factory(spec.dimension, FactoryString(kind).c_str(), metric));
    DisablePolysemousTraining(index.get());
    if (kind.nlist == 0) {  // flat codes keep no ids of their own
      auto id_map = std::make_unique<faiss::IndexIDMap2>(index.release());
      id_map->own_fields = true;
      index = std::move(id_map);
    }
  });
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("index \"", spec.index, "\": ", status.message()));
  }
  return std::unique_ptr<VectorIndex>(new FaissIndex(spec, kind, std::move(index)));
}

FaissIndex::FaissIndex(const VectorIndexSpec& spec, const IndexKind& kind, std::unique_ptr<faiss::Index> index)
    : FlatIndex(spec), kind_(kind), index_(std::move(index)) {}

FaissIndex::~FaissIndex() = default;

size_t FaissIndex::TrainThreshold() const {
  size_t threshold = std::max<size_t>(1000, 39 * static_cast<size_t>(kind_.nlist));
  if (kind_.pq_m > 0) threshold = std::max<size_t>(threshold, 4 * 256);
  return threshold;
}

absl::Status FaissIndex::TrainAndAddAll() {
  const auto data = store_.data();
  const auto ids = store_.ids();
  const auto n = static_cast<FaissId>(ids.size());
  CATENA_RETURN_IF_ERROR(CallFaiss("train", [&] {
    index_->train(n, data.data());
    index_->add_with_ids(n, data.data(), ids.data());
  }));
  trained_ = true;
  return absl::OkStatus();
}

absl::Status FaissIndex::AddApprox(std::span<const int64_t> ids, std::span<const float> rows, size_t replaced) {
  if (!trained_) return store_.size() >= TrainThreshold() ? TrainAndAddAll() : absl::OkStatus();
  // Later duplicates in one batch win, as in the store: add each id once, with its stored row.
  std::vector<int64_t> unique;
  std::unordered_set<int64_t> seen;
  std::vector<float> latest;
  for (int64_t id : ids) {
    if (!seen.insert(id).second) continue;
    unique.push_back(id);
    const auto row = store_.Row(id);
    latest.insert(latest.end(), row.begin(), row.end());
  }
  if (replaced > 0 || unique.size() != ids.size()) CATENA_RETURN_IF_ERROR(RemoveApprox(unique));
  return CallFaiss("add_with_ids",
                   [&] { index_->add_with_ids(static_cast<FaissId>(unique.size()), latest.data(), unique.data()); });
}

absl::Status FaissIndex::RemoveApprox(std::span<const int64_t> ids) {
  if (!trained_) return absl::OkStatus();
  return CallFaiss("remove_ids", [&] {
    faiss::IDSelectorBatch selector(ids.size(), ids.data());
    index_->remove_ids(selector);
  });
}

absl::StatusOr<std::vector<ScoredId>> FaissIndex::SearchApprox(const float* query,
                                                               const IndexSearchParams& params) const {
  // Flat codes scan everything anyway, so a filtered search is an exact filtered scan.
  if (kind_.nlist == 0 && params.filter != nullptr) return store_.Search(query, params.k, params.filter);
  const int fetch = kind_.lossy() ? params.k * kRerankFactor : params.k;
  std::vector<float> distances(fetch);
  std::vector<FaissId> labels(fetch, -1);
  std::unique_ptr<FilterSelector> selector;
  faiss::SearchParametersIVF ivf_params;
  if (kind_.nlist > 0) {
    ivf_params.nprobe = std::min(params.nprobe > 0 ? params.nprobe : kDefaultNprobe, kind_.nlist);
    if (params.filter != nullptr) selector = std::make_unique<FilterSelector>(*params.filter);
    ivf_params.sel = selector.get();
  }
  CATENA_RETURN_IF_ERROR(CallFaiss("search", [&] {
    index_->search(1, query, fetch, distances.data(), labels.data(), kind_.nlist > 0 ? &ivf_params : nullptr);
  }));
  std::vector<int64_t> candidates;
  std::vector<ScoredId> results;
  for (int i = 0; i < fetch; ++i) {
    if (labels[i] < 0) continue;
    candidates.push_back(labels[i]);
    results.push_back({labels[i], spec_.metric == Metric::kL2 ? -distances[i] : distances[i]});
  }
  if (kind_.lossy()) return Rerank(query, candidates, params.k);
  std::sort(results.begin(), results.end(), BetterScored);
  return results;
}

absl::Status FaissIndex::SaveSidecar(const std::filesystem::path& path) const {
  if (!trained_) {
    std::ofstream(path, std::ios::trunc).close();  // placeholder: an untrained index is rebuilt from the store
    return absl::OkStatus();
  }
  return CallFaiss("write_index", [&] { faiss::write_index(index_.get(), path.c_str()); });
}

absl::Status FaissIndex::LoadSidecar(const std::filesystem::path& path, bool saved_trained) {
  if (!saved_trained) return store_.size() >= TrainThreshold() ? TrainAndAddAll() : absl::OkStatus();
  faiss::Index* loaded = nullptr;
  CATENA_RETURN_IF_ERROR(CallFaiss("read_index", [&] { loaded = faiss::read_index(path.c_str()); }));
  index_.reset(loaded);
  if (index_->ntotal != static_cast<FaissId>(store_.size()) || index_->d != spec_.dimension) {
    return absl::DataLossError(absl::StrCat(path.string(), " holds ", index_->ntotal, " vectors of dimension ",
                                            index_->d, ", the store ", store_.size(), " of ", spec_.dimension));
  }
  trained_ = true;
  return absl::OkStatus();
}

}  // namespace catena::retrieval
