#include "inference/embedder_registry.h"

#include <catch2/catch.hpp>
#include <string>

#include "inference/hashing_embedder.h"

namespace catena::inference {
namespace {

std::shared_ptr<const Embedder> Hashing(int dimension, std::string name = "") {
  auto embedder = HashingEmbedder::Create({.dimension = dimension, .name = std::move(name)});
  REQUIRE(embedder.ok());
  return std::move(embedder).value();
}

TEST_CASE("registry finds embedders by name and defaults to the first registered", "[unit]") {
  EmbedderRegistry registry;
  CHECK(registry.Find("").status().code() == absl::StatusCode::kNotFound);
  REQUIRE(registry.Register(Hashing(64)).ok());
  REQUIRE(registry.Register(Hashing(32)).ok());
  CHECK((*registry.Find(""))->info().name == "hashing-64");
  CHECK((*registry.Find("hashing-32"))->info().dimension == 32);
  const std::vector<EmbedderInfo> infos = registry.List();
  REQUIRE(infos.size() == 2);
  CHECK(infos[0].name == "hashing-64");
  CHECK(infos[1].name == "hashing-32");
}

TEST_CASE("registry rejects duplicates and lists known names for unknown ones", "[unit]") {
  EmbedderRegistry registry;
  REQUIRE(registry.Register(Hashing(64)).ok());
  REQUIRE(registry.Register(Hashing(16, "small")).ok());
  CHECK(registry.Register(Hashing(64)).code() == absl::StatusCode::kAlreadyExists);
  CHECK(registry.Register(nullptr).code() == absl::StatusCode::kInvalidArgument);
  const auto missing = registry.Find("bert");
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK(std::string(missing.status().message()) == "unknown embedder \"bert\"; known: hashing-64, small");
}

}  // namespace
}  // namespace catena::inference
