#include <rocksdb/status.h>

#include <catch2/catch.hpp>
#include <limits>

#include "storage/rocksdb_util.h"

namespace catena::storage {
namespace {

TEST_CASE("ordered int64 keys sort like the numbers", "[unit]") {
  const std::vector<int64_t> values = {std::numeric_limits<int64_t>::min(), -5, -1, 0, 1, 300,
                                       std::numeric_limits<int64_t>::max()};
  std::string previous;
  for (int64_t value : values) {
    std::string key;
    AppendOrderedInt64(key, value);
    CHECK(ReadOrderedInt64(key) == value);
    if (!previous.empty()) CHECK(previous < key);
    previous = key;
  }
  CHECK_FALSE(ReadOrderedInt64("short").has_value());
}

TEST_CASE("key parts keep prefix order and prefix bounds cover the prefix", "[unit]") {
  std::string a, ab;
  AppendKeyPart(a, "a");
  AppendKeyPart(ab, "ab");
  CHECK(a < ab);
  CHECK(PrefixUpperBound("ab") == "ac");
  CHECK(PrefixUpperBound(std::string("a\xff", 2)) == "b");
  CHECK(PrefixUpperBound(std::string("\xff\xff", 2)).empty());
}

TEST_CASE("rocksdb statuses map to the matching absl codes", "[unit]") {
  CHECK(FromRocksDb(rocksdb::Status::OK(), "x").ok());
  CHECK(FromRocksDb(rocksdb::Status::NotFound(), "get").code() == absl::StatusCode::kNotFound);
  CHECK(FromRocksDb(rocksdb::Status::Corruption("bad block"), "open").code() == absl::StatusCode::kDataLoss);
  CHECK(FromRocksDb(rocksdb::Status::Busy(), "write").code() == absl::StatusCode::kUnavailable);
  CHECK(FromRocksDb(rocksdb::Status::Corruption("bad block"), "open db").message().find("open db: ") == 0);
}

}  // namespace
}  // namespace catena::storage
