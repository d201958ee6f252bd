// Vocabulary types shared by every part of the retrieval component: distance metrics, scored document
// numbers and the id filters that metadata filters compile to. Documents carry a stable string id for
// clients and a dense int64 "document number" inside a collection; indexes (FAISS, hnswlib, BM25) speak numbers.
// Value types; IdBitset is not synchronized (build it, then share it read-only).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace catena::retrieval {

// How vectors are compared. Scores are always "higher is better": cosine similarity, inner product, or the
// negated squared L2 distance.
enum class Metric { kCosine, kInnerProduct, kL2 };

// "cosine", "inner_product", "l2".
std::string_view MetricName(Metric metric);

// Where a collection's vectors are searched: host memory (every index kind) or CUDA device 0 (Flat only).
enum class IndexDevice { kCpu, kCuda };

// "cpu", "cuda".
std::string_view IndexDeviceName(IndexDevice device);
// The device named `name` ("cpu" or "cuda"), or nullopt.
std::optional<IndexDevice> ParseIndexDevice(std::string_view name);

// A document number with its score.
struct ScoredId {
  int64_t id = 0;
  float score = 0;
  friend bool operator==(const ScoredId&, const ScoredId&) = default;
};

// The set of document numbers a search may return (what a metadata filter compiles to).
class IdFilter {
 public:
  virtual ~IdFilter() = default;
  // Whether document `id` may be returned.
  virtual bool Contains(int64_t id) const = 0;
  // How many ids pass; used to pick exact search when the filter is very selective.
  virtual size_t Count() const = 0;
  // The passing ids in increasing order.
  virtual std::vector<int64_t> Ids() const = 0;
};

// IdFilter over non-negative document numbers, one bit each.
class IdBitset final : public IdFilter {
 public:
  IdBitset() = default;
  explicit IdBitset(std::span<const int64_t> ids);

  // Adds `id` (>= 0); grows as needed.
  void Insert(int64_t id);
  bool Contains(int64_t id) const override;
  size_t Count() const override { return count_; }
  std::vector<int64_t> Ids() const override;

 private:
  std::vector<uint64_t> words_;
  size_t count_ = 0;
};

}  // namespace catena::retrieval
