// The `device` collection option on any machine: cpu stays the default, the catalog JSON and the proto carry it,
// and cuda is refused with an error naming spec.device when the index is not Flat or no CUDA device is usable.
#include <catch2/catch.hpp>
#include <string>

#include "catena/v1/retrieval.pb.h"
#include "retrieval/proto_convert.h"
#include "retrieval/retrieval_engine.h"
#include "retrieval/vector_index.h"
#include "tests/support/temp_dir.h"

namespace catena::retrieval {
namespace {

bool Mentions(const absl::Status& status, const std::string& text) {
  return std::string(status.message()).find(text) != std::string::npos;
}

TEST_CASE("device defaults to cpu and round-trips through the catalog JSON and the proto", "[unit]") {
  CHECK(CollectionSpec{}.device == IndexDevice::kCpu);
  CHECK(VectorIndexSpec{}.device == IndexDevice::kCpu);
  CHECK(ParseIndexDevice("cuda") == IndexDevice::kCuda);
  CHECK_FALSE(ParseIndexDevice("gpu").has_value());

  CollectionSpec spec{.dimension = 8, .device = IndexDevice::kCuda};
  auto json = SpecToJson(spec);
  CHECK(json["device"] == "cuda");
  auto back = SpecFromJson(json);
  REQUIRE(back.ok());
  CHECK(back->device == IndexDevice::kCuda);
  json.erase("device");  // catalogs written before the option existed
  back = SpecFromJson(json);
  REQUIRE(back.ok());
  CHECK(back->device == IndexDevice::kCpu);

  v1::CollectionSpec proto;
  auto from_proto = SpecFromProto(proto);
  REQUIRE(from_proto.ok());
  CHECK(from_proto->device == IndexDevice::kCpu);
  proto.set_device(v1::INDEX_DEVICE_CUDA);
  from_proto = SpecFromProto(proto);
  REQUIRE(from_proto.ok());
  CHECK(from_proto->device == IndexDevice::kCuda);
  CHECK(SpecToProto(*from_proto).device() == v1::INDEX_DEVICE_CUDA);
  CHECK(SpecToProto(CollectionSpec{.dimension = 8}).device() == v1::INDEX_DEVICE_CPU);
  proto.set_device(static_cast<v1::IndexDevice>(9));
  from_proto = SpecFromProto(proto);
  CHECK(from_proto.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(Mentions(from_proto.status(), "spec.device"));
}

TEST_CASE("device cuda with a non-Flat index is INVALID_ARGUMENT naming spec.device", "[unit]") {
  testing::TempDir dir("index-device");
  auto engine = RetrievalEngine::Open({.data_dir = dir.path()});
  REQUIRE(engine.ok());
  for (const char* index : {"HNSW16", "IVF4,Flat", "SQ8"}) {
    auto created = (*engine)->CreateCollection(
        "t", "kb", CollectionSpec{.dimension = 8, .index = index, .device = IndexDevice::kCuda});
    CHECK(created.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(Mentions(created.status(), "spec.device"));
    CHECK(Mentions(created.status(), index));
  }
  auto direct = VectorIndex::Create({.dimension = 8, .index = "HNSW16", .device = IndexDevice::kCuda});
  CHECK(direct.status().code() == absl::StatusCode::kInvalidArgument);
  // The default device still builds every kind.
  CHECK((*engine)->CreateCollection("t", "cpu-hnsw", CollectionSpec{.dimension = 8, .index = "HNSW16"}).ok());
}

TEST_CASE("device cuda without a usable CUDA device is FAILED_PRECONDITION naming spec.device", "[unit]") {
  testing::TempDir dir("index-device");
  auto engine = RetrievalEngine::Open({.data_dir = dir.path()});
  REQUIRE(engine.ok());
  auto created = (*engine)->CreateCollection("t", "kb", CollectionSpec{.dimension = 8, .device = IndexDevice::kCuda});
  if (CudaDeviceName().ok()) {
    CHECK(created.ok());  // a machine with a GPU (and a CUDA build) accepts it
    return;
  }
  CHECK(created.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(Mentions(created.status(), "spec.device"));
  CHECK(Mentions(created.status(), std::string(CudaDeviceName().status().message())));
  CHECK(VectorIndex::Create({.dimension = 8, .device = IndexDevice::kCuda}).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK_FALSE((*engine)->Describe("t", "kb").ok());  // nothing was stored
}

}  // namespace
}  // namespace catena::retrieval
