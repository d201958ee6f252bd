#include "retrieval/types.h"

#include <bit>

namespace catena::retrieval {

std::string_view MetricName(Metric metric) {
  switch (metric) {
    case Metric::kCosine:
      return "cosine";
    case Metric::kInnerProduct:
      return "inner_product";
    case Metric::kL2:
      return "l2";
  }
  return "unknown";
}

std::string_view IndexDeviceName(IndexDevice device) {
  return device == IndexDevice::kCuda ? "cuda" : "cpu";
}

std::optional<IndexDevice> ParseIndexDevice(std::string_view name) {
  if (name == "cpu") return IndexDevice::kCpu;
  if (name == "cuda") return IndexDevice::kCuda;
  return std::nullopt;
}

IdBitset::IdBitset(std::span<const int64_t> ids) {
  for (int64_t id : ids) Insert(id);
}

void IdBitset::Insert(int64_t id) {
  if (id < 0) return;
  const size_t word = static_cast<size_t>(id) / 64;
  if (word >= words_.size()) words_.resize(word + 1, 0);
  const uint64_t bit = uint64_t{1} << (id % 64);
  if ((words_[word] & bit) == 0) ++count_;
  words_[word] |= bit;
}

bool IdBitset::Contains(int64_t id) const {
  if (id < 0) return false;
  const size_t word = static_cast<size_t>(id) / 64;
  return word < words_.size() && (words_[word] >> (id % 64) & 1) != 0;
}

std::vector<int64_t> IdBitset::Ids() const {
  std::vector<int64_t> ids;
  ids.reserve(count_);
  for (size_t word = 0; word < words_.size(); ++word) {
    for (uint64_t bits = words_[word]; bits != 0; bits &= bits - 1) {
      ids.push_back(static_cast<int64_t>(word * 64 + std::countr_zero(bits)));
    }
  }
  return ids;
}

}  // namespace catena::retrieval
