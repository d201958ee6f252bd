// HnswIndex: the HNSW<M> kind of VectorIndex, a hnswlib 0.6 graph (ef_construction 200) over the exact
// FlatIndex store. The graph code is compiled twice (AVX2+FMA and generic SSE) and picked at runtime by
// __builtin_cpu_supports. Removal marks graph nodes deleted; re-upserting an id updates its node.
// hnswlib 0.6 has no search-time filter, so filters post-filter an enlarged candidate list (exact scan
// for very selective ones). Threading: as VectorIndex; hnswlib searches run concurrently under the shared lock.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "retrieval/flat_vectors.h"

namespace catena::retrieval {

// hnswlib's ef_construction for every graph we build.
inline constexpr int kHnswEfConstruction = 200;
// The ef used when IndexSearchParams::ef_search is 0.
inline constexpr int kHnswDefaultEf = 64;

// One hnswlib graph behind an interface, so the AVX2 and generic builds stay in separate translation units.
// Methods may throw std::exception (hnswlib does); HnswIndex catches.
class HnswGraph {
 public:
  virtual ~HnswGraph() = default;
  // Inserts `row` as `label` or updates (and undeletes) the node that has it; grows capacity as needed.
  virtual void Add(const float* row, int64_t label) = 0;
  virtual void MarkDeleted(int64_t label) = 0;
  // The `count` nearest labels with an `ef`-wide search (ef >= count), as (distance, label), nearest first.
  virtual std::vector<std::pair<float, int64_t>> Search(const float* query, size_t count, size_t ef) const = 0;
  virtual void Save(const std::string& path) const = 0;
  virtual void Load(const std::string& path) = 0;
};

// Parameters shared by both builds of the graph.
struct HnswGraphOptions {
  int dimension = 0;
  bool inner_product = true;  // false: squared L2
  int m = 16;
};

// The graph build for this CPU: AVX2+FMA when __builtin_cpu_supports says so, generic otherwise.
std::unique_ptr<HnswGraph> MakeHnswGraph(const HnswGraphOptions& options);
std::unique_ptr<HnswGraph> MakeHnswGraphGeneric(const HnswGraphOptions& options);
std::unique_ptr<HnswGraph> MakeHnswGraphAvx2(const HnswGraphOptions& options);
// Whether MakeHnswGraph picks the AVX2 build.
bool HnswUsesAvx2();

class HnswIndex final : public FlatIndex {
 public:
  HnswIndex(const VectorIndexSpec& spec, const IndexKind& kind);

 private:
  absl::Status AddApprox(std::span<const int64_t> ids, std::span<const float> rows, size_t replaced) override;
  absl::Status RemoveApprox(std::span<const int64_t> ids) override;
  absl::StatusOr<std::vector<ScoredId>> SearchApprox(const float* query,
                                                     const IndexSearchParams& params) const override;
  bool ApproxReady() const override { return true; }
  std::string SidecarSuffix() const override { return ".hnsw"; }
  absl::Status SaveSidecar(const std::filesystem::path& path) const override;
  absl::Status LoadSidecar(const std::filesystem::path& path, bool saved_trained) override;

  // The graph's nearest `count` labels (ef-wide), re-scored exactly; filter applied afterwards if given.
  absl::StatusOr<std::vector<ScoredId>> GraphSearch(const float* query, size_t count, size_t ef, const IdFilter* filter,
                                                    int k) const;

  std::unique_ptr<HnswGraph> graph_;
};

}  // namespace catena::retrieval
