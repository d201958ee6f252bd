#include "retrieval/types.h"

#include <catch2/catch.hpp>

namespace catena::retrieval {
namespace {

TEST_CASE("id bitset counts and lists distinct ids in order", "[unit]") {
  const std::vector<int64_t> ids = {130, 5, 64, 5, 0, -3};
  IdBitset bitset(ids);
  CHECK(bitset.Count() == 4);
  CHECK(bitset.Contains(64));
  CHECK_FALSE(bitset.Contains(63));
  CHECK_FALSE(bitset.Contains(-3));
  CHECK_FALSE(bitset.Contains(100000));
  CHECK(bitset.Ids() == std::vector<int64_t>{0, 5, 64, 130});
}

TEST_CASE("metric names are the ones configs use", "[unit]") {
  CHECK(MetricName(Metric::kCosine) == "cosine");
  CHECK(MetricName(Metric::kInnerProduct) == "inner_product");
  CHECK(MetricName(Metric::kL2) == "l2");
}

}  // namespace
}  // namespace catena::retrieval
